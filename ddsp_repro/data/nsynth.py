"""Raw NSynth (the json + wav release) without TensorFlow.

Layout, as released: ``DIR/nsynth-{train,valid,test}/examples.json`` (note_str -> metadata) and
``DIR/nsynth-{split}/audio/{note_str}.wav`` (16 kHz, 16-bit, 4 s).

The paper's data is TFDS ``nsynth/gansynth_subset``: acoustic instruments, MIDI pitch 24-84,
**re-split** by the list ``gansynth_splits.csv`` (columns ``id``, ``split``; it sits beside the
NSynth download as ``nsynth-gansynth_splits.csv``), so each of its splits draws notes from all
three original splits. `gansynth_subset` reproduces that exactly and refuses to run without the
list; `acoustic_subset` is the same filter applied inside one original split, which gives other
examples (instruments and notes are divided differently) and is named so.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "FAMILIES",
    "GANSYNTH_SPLITS_NAMES",
    "SOURCES",
    "SPLITS",
    "NSynthExample",
    "acoustic_subset",
    "find_gansynth_splits",
    "gansynth_subset",
    "read_examples",
]

SPLITS = ("train", "valid", "test")
GANSYNTH_SPLITS_NAMES = ("gansynth_splits.csv", "nsynth-gansynth_splits.csv")
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


def acoustic_subset(
    examples: list[NSynthExample], min_pitch: int = 24, max_pitch: int = 84
) -> list[NSynthExample]:
    """Acoustic instruments with MIDI pitch 24-84 inclusive, within the examples given.

    The GANSynth filter, but not its splits: see `gansynth_subset` for the paper's data.
    """
    return [
        e for e in examples if e.instrument_source_str == "acoustic" and min_pitch <= e.pitch <= max_pitch
    ]


def find_gansynth_splits(root: str | Path) -> Path | None:
    """``gansynth_splits.csv`` (or its download name) in `root` or its parent, if there."""
    for folder in (Path(root), Path(root).parent):
        for name in GANSYNTH_SPLITS_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def gansynth_subset(
    root: str | Path, split: str, splits_csv: str | Path | None = None
) -> list[NSynthExample]:
    """The examples of TFDS ``nsynth/gansynth_subset``'s `split`, from the raw json/wav release.

    As the TFDS builder: the ids that ``gansynth_splits.csv`` assigns to `split`, looked up in
    every original split folder present under `root`, sorted by note name.

    Raises:
        FileNotFoundError: without the splits list (naming where it was looked for), or when
            listed notes are missing from the folders (with their count and the first few).
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    path = Path(splits_csv) if splits_csv is not None else find_gansynth_splits(root)
    if path is None or not path.is_file():
        raise FileNotFoundError(
            f"the gansynth_subset splits need {GANSYNTH_SPLITS_NAMES[1]} (beside the NSynth download; "
            f"looked in {Path(root)} and its parent{'' if path is None else f' and at {path}'}). "
            "Without it, `acoustic_subset` filters each original split, which gives other examples."
        )
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"id", "split"} <= set(rows[0]):
        raise ValueError(f"{path} is not a gansynth splits list (expected columns id, split)")
    wanted = {row["id"] for row in rows if row["split"] == split}
    found: dict[str, NSynthExample] = {}
    for original in SPLITS:
        if (Path(root) / f"nsynth-{original}" / "examples.json").is_file():
            found.update({e.note_str: e for e in read_examples(root, original) if e.note_str in wanted})
    missing = sorted(wanted - set(found))
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} of the {len(wanted)} notes {path.name} assigns to {split!r} are in none of "
            f"the nsynth-{{train,valid,test}} folders under {Path(root)} (first: {missing[:3]})"
        )
    return [found[k] for k in sorted(found)]
