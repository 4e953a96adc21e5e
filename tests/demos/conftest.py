"""Tiny trained models (2 steps on the `tones` data) and a synthetic voice, for the demonstrations."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("lightning")

from ddsp_repro.training.presets import PRESETS  # noqa: E402
from ddsp_repro.training.train import run_dir_for, train  # noqa: E402
from tests.training.conftest import shrink  # noqa: E402


def _checkpoint(preset: str, tones, folder) -> str:
    config = shrink(PRESETS[preset], tones, folder)
    train(config)
    return str(run_dir_for(config) / "checkpoints" / "best.ckpt")


@pytest.fixture(scope="session")
def violin_ckpt(tones, tmp_path_factory):
    """A tiny solo-instrument model: f0 and loudness in, learned reverb, no z."""
    return _checkpoint("tiny_violin", tones, tmp_path_factory.mktemp("violin_runs"))


@pytest.fixture(scope="session")
def nsynth_ckpt(tones, tmp_path_factory):
    """A tiny supervised autoencoder: f0, loudness and z."""
    return _checkpoint("supervised_nsynth", tones, tmp_path_factory.mktemp("nsynth_runs"))


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


@pytest.fixture(scope="session")
def voice_file(tmp_path_factory):
    """The voice as a 96 kHz stereo file: rate and channels must be handled."""
    path = tmp_path_factory.mktemp("inputs") / "voice_96k_stereo.wav"
    sf.write(path, voice(1.5, 96000, channels=2), 96000, subtype="PCM_24")
    return path
