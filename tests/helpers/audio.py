"""Test audio: a synthetic voice and a tiny raw NSynth folder."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf


def voice(seconds: float = 1.5, sample_rate: int = 16000, channels: int = 1) -> np.ndarray:
    """A sung-vowel stand-in: a glottal-like pulse train around 140 Hz with vibrato, formant
    shaping, and a pause in the middle (unpitched frames)."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    f0 = 140.0 * 2 ** (0.3 * np.sin(2 * np.pi * 5 * t) / 12) * np.where(t < seconds / 2, 1.0, 1.25)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    formants = (700.0, 1200.0, 2600.0)
    x = sum(
        (0.6 / k)
        * np.sin(k * phase)
        * sum(np.exp(-(((k * f0) - f) ** 2) / (2 * 150.0**2)) + 0.05 for f in formants)
        for k in range(1, 30)
    )
    gate = np.ones_like(t)
    gate[(t > 0.45 * seconds) & (t < 0.55 * seconds)] = 0.0
    x = 0.5 * x / np.abs(x).max() * np.convolve(gate, np.ones(160) / 160, mode="same")
    x += 1e-4 * np.random.default_rng(0).standard_normal(t.size)
    return (
        np.repeat(x[:, None], channels, axis=1).astype(np.float32) if channels > 1 else x.astype(np.float32)
    )


def nsynth_folder(root, pitches=(57, 64, 69)):
    folder = root / "nsynth-train"
    (folder / "audio").mkdir(parents=True)
    meta = {}
    t = np.arange(64000) / 16000
    for p in pitches:
        note = f"string_acoustic_000-{p:03d}-100"
        hz = 440 * 2 ** ((p - 69) / 12)
        sf.write(
            folder / "audio" / f"{note}.wav", (0.4 * np.sin(2 * np.pi * hz * t)).astype(np.float32), 16000
        )
        meta[note] = {
            "pitch": p,
            "velocity": 100,
            "instrument_str": "string_acoustic_000",
            "instrument_family_str": "string",
            "instrument_source_str": "acoustic",
        }
    (folder / "examples.json").write_text(json.dumps(meta))
    return root


def _harmonic_note(f0: np.ndarray, sample_rate: int, n_harmonics: int = 20) -> np.ndarray:
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    nyquist = sample_rate / 2
    return sum(np.where(k * f0 < nyquist, np.sin(k * phase) / k, 0.0) for k in range(1, n_harmonics + 1))


def melody(seconds: float, sample_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """A monophonic, sustained, bowed-string-like line: legato notes of 0.4-0.9 s, vibrato, swells,
    a little breath noise (float32, peak 0.5)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    pitches, starts, at = [], [], 0.0
    while at < seconds:
        pitches.append(rng.integers(62, 79))
        starts.append(at)
        at += rng.uniform(0.4, 0.9)
    index = np.searchsorted(np.array(starts), t, side="right") - 1
    midi = np.array(pitches, float)[index] + 0.2 * np.sin(2 * np.pi * 5.5 * t)
    x = _harmonic_note(440 * 2 ** ((midi - 69) / 12), sample_rate)
    x *= 0.6 + 0.4 * np.sin(2 * np.pi * t / 4.0) ** 2
    x += 0.01 * rng.standard_normal(n)
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def chord(seconds: float, sample_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """Three-note chords (a minor triad plus its fourth above, changing every second): polyphony."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    roots = rng.integers(55, 67, size=int(np.ceil(seconds)) + 1)[t.astype(int)]
    x = sum(_harmonic_note(440 * 2 ** ((roots + i - 69) / 12), sample_rate) for i in (0, 3, 7, 10))
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def noise(seconds: float, sample_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """Pink-ish noise with slow swells: sound without a pitch."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    x = np.cumsum(rng.standard_normal(n)) * 0.02 + rng.standard_normal(n)
    x -= np.convolve(x, np.ones(400) / 400, mode="same")
    x *= 0.6 + 0.4 * np.sin(2 * np.pi * np.arange(n) / sample_rate / 3.0) ** 2
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


def plucks(seconds: float, sample_rate: int = 16000, seed: int = 0) -> np.ndarray:
    """Struck notes every 250 ms, each a click and a fast decay: percussive material."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    out = np.zeros(n)
    step = sample_rate // 4
    for start in range(0, n, step):
        length = min(step, n - start)
        t = np.arange(length) / sample_rate
        hz = 440 * 2 ** ((rng.integers(50, 70) - 69) / 12)
        tone = _harmonic_note(np.full(length, hz), sample_rate, 8) * np.exp(-t / 0.03)
        click = rng.standard_normal(length) * np.exp(-t / 0.004)
        out[start : start + length] = tone + 2 * click
    return (0.5 * out / np.abs(out).max()).astype(np.float32)
