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
