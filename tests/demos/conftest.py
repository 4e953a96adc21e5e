"""Tiny trained models (2 steps on the `tones` data) and a synthetic voice, for the demonstrations."""

from __future__ import annotations

import pytest
import soundfile as sf

pytest.importorskip("lightning")

from ddsp_repro.training.presets import PRESETS  # noqa: E402
from ddsp_repro.training.train import run_dir_for, train  # noqa: E402
from tests.helpers.audio import voice  # noqa: E402
from tests.helpers.runs import shrink  # noqa: E402


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


@pytest.fixture(scope="session")
def voice_file(tmp_path_factory):
    """The voice as a 96 kHz stereo file: rate and channels must be handled."""
    path = tmp_path_factory.mktemp("inputs") / "voice_96k_stereo.wav"
    sf.write(path, voice(1.5, 96000, channels=2), 96000, subtype="PCM_24")
    return path
