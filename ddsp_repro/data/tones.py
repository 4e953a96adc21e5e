"""A tiny synthetic data set: six 4.5 s harmonic tones, prepared (CREPE tiny), half held out.

Small enough to build in seconds, real enough to train on: the metric regression job and the
tests use it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["build_tones"]


def build_tones(folder: Path, sample_rate: int = 16000) -> Path:
    """Prepared features of six 4.5 s harmonic tones (train/valid halves), made at `sample_rate`
    and prepared for a model at that rate (`FeatureSettings.at_rate`)."""
    import soundfile as sf

    from ddsp_repro.data.prepare import FeatureSettings, prepare

    src = folder / "src"
    src.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(4.5 * sample_rate)) / sample_rate
    for i, hz in enumerate((196.0, 247.0, 294.0, 330.0, 392.0, 440.0)):
        envelope = np.minimum(1.0, t / 0.05) * np.exp(-0.4 * t)
        tone = sum(0.3 / k * np.sin(2 * np.pi * k * hz * t) for k in (1, 2, 3))
        noise = 0.01 * np.random.default_rng(i).uniform(-1, 1, t.shape)
        sf.write(src / f"tone{i}.wav", (envelope * (tone + noise)).astype(np.float32), sample_rate)
    out = folder / "prepared"
    settings = FeatureSettings.at_rate(sample_rate, crepe_model="tiny", valid_fraction=0.5)
    prepare(src, out, settings, progress=False)
    return out
