"""Build an NSynth-format dataset of real sampled instruments, offline.

    ddsp-repro build-data builtin --out data/builtin_nsynth [--check 40]
    python -m ddsp_repro.data.builtin --out data/builtin_nsynth    # the same

Notes are rendered from the FluidR3 General-MIDI soundfont (Debian package `fluid-soundfont-gm`,
MIT licence; real recorded strings, brass, reeds, flute, piano, mallets, ...) with `tinysoundfont`,
in NSynth's own layout: 4 s at 16 kHz, the key held for 3 s and released, MIDI pitches 24-84,
several velocities, acoustic families only. It is a stand-in with NSynth's format and kinds of
sounds, **not NSynth**: one sampled instrument per program, no recording variety within an
instrument. Deterministic: the same command gives the same files.

Splits follow the GANSynth-subset idea (instruments shared across splits, notes not): each
(instrument, pitch, velocity) goes to train/valid/test 80/10/10 by a fixed hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ddsp_repro.audio import atomic_path, write_wav
from ddsp_repro.data.nsynth import FAMILIES
from ddsp_repro.logs import get_logger

__all__ = ["INSTRUMENTS", "SOUNDFONT_PATHS", "BuiltinSpec", "build", "ensure_builtin", "find_soundfont"]

log = get_logger(__name__)

SAMPLE_RATE = 16000
N_SECONDS = 4.0
HOLD_SECONDS = 3.0
SOUNDFONT_PATHS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/soundfonts/FluidR3_GM.sf2")

# (instrument_str, family, General-MIDI program, lowest MIDI pitch, highest MIDI pitch)
INSTRUMENTS = (
    ("keyboard_acoustic_000", "keyboard", 0, 24, 84),
    ("mallet_acoustic_000", "mallet", 11, 48, 84),
    ("mallet_acoustic_001", "mallet", 12, 36, 84),
    ("guitar_acoustic_000", "guitar", 24, 40, 84),
    ("bass_acoustic_000", "bass", 32, 24, 60),
    ("string_acoustic_000", "string", 40, 55, 84),
    ("string_acoustic_001", "string", 41, 48, 84),
    ("string_acoustic_002", "string", 42, 36, 76),
    ("brass_acoustic_000", "brass", 56, 52, 84),
    ("brass_acoustic_001", "brass", 57, 40, 72),
    ("brass_acoustic_002", "brass", 60, 34, 77),
    ("reed_acoustic_000", "reed", 65, 49, 81),
    ("reed_acoustic_001", "reed", 68, 58, 84),
    ("reed_acoustic_002", "reed", 71, 50, 84),
    ("flute_acoustic_000", "flute", 73, 60, 84),
    ("vocal_acoustic_000", "vocal", 52, 41, 79),
)
FAMILY_INDEX = {name: i for i, name in enumerate(FAMILIES)}


@dataclass(frozen=True)
class BuiltinSpec:
    velocities: tuple[int, ...] = (50, 75, 100, 127)
    pitch_step: int = 1
    min_pitch: int = 24
    max_pitch: int = 84
    sample_rate: int = SAMPLE_RATE  # the soundfont renders natively at any rate


def find_soundfont(path: str | None = None) -> Path:
    """The soundfont to render from, or a FileNotFoundError saying how to install it."""
    candidates = [path] if path else [os.environ.get("DDSP_REPRO_SOUNDFONT"), *SOUNDFONT_PATHS]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FileNotFoundError(
        "No General-MIDI soundfont found. Install one with `apt-get install fluid-soundfont-gm` "
        "(FluidR3_GM.sf2, MIT licence, ~140 MB) or point DDSP_REPRO_SOUNDFONT at an .sf2 file."
    )


def _split_of(note_str: str) -> str:
    bucket = int(hashlib.sha256(note_str.encode()).hexdigest(), 16) % 10
    return "valid" if bucket == 0 else "test" if bucket == 1 else "train"


def render_note(
    synth, sfid: int, program: int, pitch: int, velocity: int, sample_rate: int = SAMPLE_RATE
) -> np.ndarray:
    """4 s of mono float32 audio at `sample_rate` (the synth's): key held for 3 s, then released."""
    synth.notes_off()
    synth.sounds_off()
    synth.program_select(0, sfid, 0, program)
    hold = int(HOLD_SECONDS * sample_rate)
    tail = int(N_SECONDS * sample_rate) - hold
    synth.noteon(0, pitch, velocity)
    head = np.frombuffer(synth.generate(hold), dtype=np.float32)
    synth.noteoff(0, pitch)
    rest = np.frombuffer(synth.generate(tail), dtype=np.float32)
    return np.concatenate([head, rest]).reshape(-1, 2).mean(axis=1)


def build(out: str | Path, spec: BuiltinSpec = BuiltinSpec(), soundfont: str | None = None) -> dict[str, int]:
    """Render every note into ``out/nsynth-{split}``; returns the number of notes per split.

    Writes into a temporary folder and renames it into place at the end, so an interrupted build
    never leaves a folder that looks complete.
    """
    out = Path(out)
    if (out / "nsynth-train" / "examples.json").is_file():
        raise FileExistsError(f"{out} already holds a built dataset; remove it to rebuild")
    sf_path = find_soundfont(soundfont)
    with atomic_path(out) as partial:
        meta = _render_all(partial, spec, sf_path)
    return {split: len(entries) for split, entries in meta.items()}


def _render_all(partial: Path, spec: BuiltinSpec, sf_path: Path) -> dict[str, dict[str, dict]]:
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=spec.sample_rate)
    sfid = synth.sfload(str(sf_path))
    meta: dict[str, dict[str, dict]] = {s: {} for s in ("train", "valid", "test")}
    for index, (instrument, family, program, lo, hi) in enumerate(INSTRUMENTS):
        for pitch in range(max(lo, spec.min_pitch), min(hi, spec.max_pitch) + 1, spec.pitch_step):
            for velocity in spec.velocities:
                note_str = f"{instrument}-{pitch:03d}-{velocity:03d}"
                audio = render_note(synth, sfid, program, pitch, velocity, spec.sample_rate)
                peak = float(np.max(np.abs(audio)))
                if peak < 1e-4:
                    continue  # the soundfont has no sample for this key: skip rather than store silence
                if peak > 0.99:
                    audio = audio * (0.99 / peak)
                split = _split_of(note_str)
                folder = partial / f"nsynth-{split}" / "audio"
                folder.mkdir(parents=True, exist_ok=True)
                write_wav(folder / f"{note_str}.wav", audio, spec.sample_rate, peak="raise")
                meta[split][note_str] = {
                    "note": len(meta[split]),
                    "note_str": note_str,
                    "pitch": pitch,
                    "velocity": velocity,
                    "sample_rate": spec.sample_rate,
                    "instrument": index,
                    "instrument_str": instrument,
                    "instrument_source": 0,
                    "instrument_source_str": "acoustic",
                    "instrument_family": FAMILY_INDEX[family],
                    "instrument_family_str": family,
                    "qualities": [0] * 10,
                    "qualities_str": [],
                    "gm_program": program,
                }
    for split, entries in meta.items():
        folder = partial / f"nsynth-{split}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "examples.json").write_text(json.dumps(entries, indent=1, sort_keys=True))
    (partial / "README.txt").write_text(
        "Built-in NSynth-format stand-in rendered by ddsp_repro.data.builtin from "
        f"{sf_path.name} (FluidR3 GM soundfont, MIT licence). Sampled instruments, not NSynth.\n"
    )
    return meta


def ensure_builtin(out: str | Path, spec: BuiltinSpec = BuiltinSpec(), soundfont: str | None = None) -> Path:
    """The built-in dataset at `out`, built first if it is missing (what the main job calls)."""
    out = Path(out)
    if not (out / "nsynth-train" / "examples.json").is_file():
        counts = build(out, spec, soundfont)
        log.info("built the built-in dataset at %s: %s", out, counts)
    return out


def check_pitch(
    root: str | Path, n_notes: int = 40, crepe_model: str = "full", seed: int = 0
) -> dict[str, float]:
    """Median |CREPE f0 - rendered pitch| in cents over confident frames (>= 0.85) of sampled notes."""
    import soundfile as sf
    import torch

    from ddsp_repro.data.nsynth import read_examples
    from ddsp_repro.dsp import compute_f0, midi_to_hz

    examples = read_examples(root, "train")
    rng = np.random.default_rng(seed)
    chosen = [examples[i] for i in rng.choice(len(examples), size=min(n_notes, len(examples)), replace=False)]
    errors = []
    for ex in chosen:
        audio, rate = sf.read(ex.path, dtype="float32")
        f0, conf = compute_f0(
            torch.from_numpy(audio[: int(HOLD_SECONDS * rate)]), rate, crepe_model=crepe_model, frame_rate=50
        )
        keep = conf >= 0.85
        if keep.any():
            target = float(midi_to_hz(torch.tensor(float(ex.pitch))))
            errors.append(1200 * np.abs(np.log2(f0[keep].numpy() / target)))
    cents = np.concatenate(errors) if errors else np.array([np.nan])
    return {
        "notes": len(chosen),
        "notes_with_confident_frames": len(errors),
        "median_cents": float(np.median(cents)),
        "p90_cents": float(np.percentile(cents, 90)),
    }


if __name__ == "__main__":  # the documented `python -m` form of `ddsp-repro build-data builtin`
    from ddsp_repro.cli import run_command

    run_command("build-data", ["builtin", *sys.argv[1:]])
