"""A solo-violin stand-in, built offline: `ddsp-repro build-data violin --out DIR [--minutes 5]`.

The paper's solo-instrument models train on ~13 minutes of John Garner's violin recordings, which
cannot be downloaded here. This renders public-domain fiddle tunes — James Aird's *Selection of
Scotch, English, Irish and Foreign Airs* (1782-1803), from the corpus that ships with `music21` —
with the FluidR3 GM sampled violin (`fluid-soundfont-gm`, MIT), played expressively: legato
(each note starts as the last one stops), delayed vibrato through the pitch wheel, phrase-level
dynamics through the expression controller and accented note velocities. One mono wav per
tune (16 kHz, or `--sample-rate`), plus `tunes.json` with titles and the rendering settings. It
is a sampled violin playing notated melodies, **not** a violinist: no bow changes, no real phrasing, one room.

The folder is a "recordings" source: `ddsp-repro prepare DIR OUT --valid-fraction 0.1`.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ddsp_repro.audio import atomic_path, write_wav
from ddsp_repro.data.builtin import SAMPLE_RATE, find_soundfont
from ddsp_repro.rates import scaled_size

__all__ = ["ViolinSpec", "build_violin", "render_tune", "tune_notes"]

VIOLIN_PROGRAM = 40
LOWEST, HIGHEST = 55, 93  # G3 .. A6
BLOCK = 32  # samples at 16 kHz between pitch-wheel updates (2 ms; the same 2 ms at any rate)
BEND_RANGE = 1.0  # semitones at full pitch-wheel deflection


@dataclass(frozen=True)
class ViolinSpec:
    minutes: float = 5.0
    seed: int = 0
    books: tuple[str, ...] = ("airdsAirs/book1.abc",)
    max_tune_seconds: float = 40.0
    program: int = VIOLIN_PROGRAM  # another GM program plays the same airs (e.g. 73, flute)
    sample_rate: int = SAMPLE_RATE  # the soundfont renders natively at any rate


def tune_notes(score) -> list[tuple[int | None, float]]:
    """(MIDI pitch or None for a rest, length in quarter notes), octave-shifted into violin range."""
    notes = []
    for element in score.flatten().notesAndRests:
        if element.isChord:
            notes.append((max(p.midi for p in element.pitches), float(element.quarterLength)))
        elif element.isNote:
            notes.append((element.pitch.midi, float(element.quarterLength)))
        else:
            notes.append((None, float(element.quarterLength)))
    pitches = [p for p, _ in notes if p is not None]
    if not pitches:
        return []
    shift = 0
    while min(pitches) + shift < LOWEST:
        shift += 12
    while max(pitches) + shift > HIGHEST and min(pitches) + shift - 12 >= LOWEST:
        shift -= 12
    return [(None if p is None else p + shift, q) for p, q in notes if q > 0]


def render_tune(
    synth,
    sfid: int,
    notes: list[tuple[int | None, float]],
    rng: np.random.Generator,
    max_seconds: float,
    program: int = VIOLIN_PROGRAM,
    sample_rate: int = SAMPLE_RATE,
) -> np.ndarray:
    """Play one tune on the sampled violin (or GM `program`) with legato, vibrato, dynamics; mono float32."""
    synth.notes_off()
    synth.sounds_off()
    synth.program_select(0, sfid, 0, program)
    synth.pitchbend_range(0, BEND_RANGE)
    bpm = rng.uniform(72, 100)
    vib_rate, vib_depth = rng.uniform(5.0, 6.5), rng.uniform(0.15, 0.3)  # Hz, semitones
    phrase_seconds = rng.uniform(6.0, 10.0)
    out, t, current = [], 0.0, None
    block = scaled_size(BLOCK, sample_rate, multiple=1)
    for pitch, quarters in notes:
        seconds = quarters * 60.0 / bpm
        if t + seconds > max_seconds:
            break
        if pitch != current or pitch is None:
            if pitch is not None:
                accent = 1.0 if abs((t * bpm / 60.0) % 1.0) < 0.05 else 0.85
                synth.noteon(0, pitch, int(np.clip(95 * accent + rng.normal(0, 5), 40, 127)))
            if current is not None and current != pitch:
                synth.noteoff(0, current)  # after the next note-on: legato, no gap
            current = pitch
        n_blocks = max(1, int(round(seconds * sample_rate / block)))
        for b in range(n_blocks):
            since_onset = b * block / sample_rate
            ramp = min(1.0, max(0.0, (since_onset - 0.12) / 0.2))  # vibrato starts after 120 ms
            bend = vib_depth * ramp * math.sin(2 * math.pi * vib_rate * (t + since_onset))
            synth.pitchbend(0, int(8192 + 8191 * bend / BEND_RANGE))
            swell = 0.5 + 0.5 * math.sin(2 * math.pi * (t + since_onset) / phrase_seconds)
            synth.control_change(0, 11, int(70 + 50 * swell))  # expression: phrase dynamics
            out.append(np.frombuffer(synth.generate(block), dtype=np.float32))
        t += n_blocks * block / sample_rate
    if current is not None:
        synth.noteoff(0, current)
    out.append(np.frombuffer(synth.generate(sample_rate // 2), dtype=np.float32))  # let it ring out
    audio = np.concatenate(out).reshape(-1, 2).mean(axis=1)
    peak = float(np.abs(audio).max())
    return audio * (0.9 / peak) if peak > 0.9 else audio


def build_violin(out: str | Path, spec: ViolinSpec = ViolinSpec(), soundfont: str | None = None) -> dict:
    """Render tunes until `spec.minutes` of audio exist; atomic (a `.partial` folder renamed at the end)."""
    from music21 import corpus

    out = Path(out)
    if (out / "tunes.json").is_file():
        raise FileExistsError(f"{out} already holds a built violin set; remove it to rebuild")
    sf_path = find_soundfont(soundfont)
    scores = [(book, i, s) for book in spec.books for i, s in enumerate(corpus.parse(book).scores)]
    rng = np.random.default_rng(spec.seed)
    with atomic_path(out) as partial:
        partial.mkdir(parents=True)
        tunes, total = _render_tunes(partial, scores, spec, sf_path, rng)
    return {"tunes": len(tunes), "seconds": total}


def _render_tunes(partial: Path, scores: list, spec: ViolinSpec, sf_path: Path, rng) -> tuple[list, float]:
    import tinysoundfont

    synth = tinysoundfont.Synth(samplerate=spec.sample_rate)
    sfid = synth.sfload(str(sf_path))
    order = rng.permutation(len(scores))
    tunes, total = [], 0.0
    for index in order:
        if total >= spec.minutes * 60:
            break
        book, number, score = scores[index]
        notes = tune_notes(score)
        if len([p for p, _ in notes if p is not None]) < 8:
            continue
        audio = render_tune(synth, sfid, notes, rng, spec.max_tune_seconds, spec.program, spec.sample_rate)
        name = f"{Path(book).parent.name}_{Path(book).stem}_{number:03d}.wav"
        write_wav(partial / name, audio, spec.sample_rate, peak="clip")
        title = score.metadata.title if score.metadata is not None else None
        tunes.append({"file": name, "title": title, "seconds": round(len(audio) / spec.sample_rate, 2)})
        total += len(audio) / spec.sample_rate
    (partial / "tunes.json").write_text(
        json.dumps(
            {
                "source": "James Aird, A Selection of Scotch, English, Irish and Foreign Airs (1782-1803), "
                "public domain, "
                "as shipped in music21's corpus",
                "instrument": f"{sf_path.name}, GM program {spec.program}"
                + (" (violin)" if spec.program == VIOLIN_PROGRAM else ""),
                "spec": asdict(spec),
                "total_seconds": round(total, 1),
                "tunes": tunes,
            },
            indent=1,
        )
    )
    return tunes, total


if __name__ == "__main__":  # the documented `python -m` form of `ddsp-repro build-data violin`
    from ddsp_repro.cli import run_command

    run_command("build-data", ["violin", *sys.argv[1:]])
