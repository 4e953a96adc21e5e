"""Raw NSynth (the json + wav release) without TensorFlow.

Layout, as released: ``DIR/nsynth-{train,valid,test}/examples.json`` (note_str -> metadata) and
``DIR/nsynth-{split}/audio/{note_str}.wav`` (16 kHz, 16-bit, 4 s). The GANSynth subset used by the
paper keeps acoustic instruments with MIDI pitch 24-84 (`gansynth_subset`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FAMILIES", "SOURCES", "SPLITS", "NSynthExample", "gansynth_subset", "read_examples"]

SPLITS = ("train", "valid", "test")
FAMILIES = (
    "bass",
    "brass",
    "flute",
    "guitar",
    "keyboard",
    "mallet",
    "organ",
    "reed",
    "string",
    "synth_lead",
    "vocal",
)
SOURCES = ("acoustic", "electronic", "synthetic")


@dataclass(frozen=True)
class NSynthExample:
    """One note: its wav file and the labels NSynth gives it."""

    note_str: str
    path: Path
    pitch: int
    velocity: int
    instrument_str: str
    instrument_family_str: str
    instrument_source_str: str
    sample_rate: int = 16000


def read_examples(root: str | Path, split: str) -> list[NSynthExample]:
    """All examples of one split of an NSynth-format folder, sorted by note name.

    Raises:
        FileNotFoundError: naming the missing folder or file and what is expected there.
        ValueError: for a malformed examples.json.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    folder = Path(root) / f"nsynth-{split}"
    meta_path = folder / "examples.json"
    if not meta_path.is_file():
        raise FileNotFoundError(
            f"{meta_path} not found: expected the NSynth json/wav release (nsynth-{split}/examples.json and "
            f"nsynth-{split}/audio/*.wav) under {Path(root)}; build a stand-in with "
            "`python -m ddsp_repro.data.builtin --out DIR`"
        )
    try:
        meta = json.loads(meta_path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{meta_path} is not valid JSON: {exc}") from exc
    examples = []
    for note_str, m in sorted(meta.items()):
        try:
            examples.append(
                NSynthExample(
                    note_str=note_str,
                    path=folder / "audio" / f"{note_str}.wav",
                    pitch=int(m["pitch"]),
                    velocity=int(m["velocity"]),
                    instrument_str=str(m["instrument_str"]),
                    instrument_family_str=str(m["instrument_family_str"]),
                    instrument_source_str=str(m["instrument_source_str"]),
                    sample_rate=int(m.get("sample_rate", 16000)),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{meta_path}: entry {note_str!r} lacks a field or has a bad value ({exc})"
            ) from exc
    return examples


def gansynth_subset(
    examples: list[NSynthExample], min_pitch: int = 24, max_pitch: int = 84
) -> list[NSynthExample]:
    """The paper's NSynth subset: acoustic instruments, MIDI pitch 24-84 inclusive."""
    return [
        e for e in examples if e.instrument_source_str == "acoustic" and min_pitch <= e.pitch <= max_pitch
    ]
