"""Timbre transfer: the paper's recipe on any input file; clear errors on unusable ones."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from ddsp_repro.audio import AudioFileError, audio_problem
from ddsp_repro.demos.features import match_quantiles
from ddsp_repro.demos.transfer import auto_octave_shift, hold_f0
from tests.helpers import cli


def test_transfer_cli_on_a_96k_stereo_voice(violin_ckpt, voice_file, tmp_path):
    cli("transfer", "--checkpoint", violin_ckpt, "--input", str(voice_file), "--out", str(tmp_path))
    results = json.loads((tmp_path / "results.json").read_text())
    summary = results["table"][0]
    out, sr = sf.read(tmp_path / results["files"]["output"]["path"], dtype="float32")
    assert sr == 16000 and out.ndim == 1 and abs(out.size - 1.5 * 16000) <= 64
    assert audio_problem(out) is None  # not silent, not clipped, no NaN
    assert (tmp_path / results["images"][0]).stat().st_size > 20_000
    # The tones are G3-A4 (MIDI 55-69); a ~140 Hz voice (MIDI 49-53) is shifted up one octave.
    assert summary["octave_shift"] == 1
    assert summary["room_applied_before_loudness"] and summary["loudness_matched"]
    assert 0.5 < summary["pitched_fraction"] < 0.95  # the pause is unpitched


def test_octave_override_and_no_recipe_steps(violin_ckpt, voice_file, tmp_path):
    args = ["--checkpoint", violin_ckpt, "--input", str(voice_file), "--out", str(tmp_path)]
    cli("transfer", *args, "--octave-shift", "0", "--no-room", "--no-match-loudness")
    summary = json.loads((tmp_path / "results.json").read_text())["table"][0]
    assert summary["octave_shift"] == 0 and not summary["room_applied_before_loudness"]
    assert not summary["loudness_matched"]


@pytest.mark.parametrize(
    ("samples", "match"),
    [
        (np.zeros((0, 1)), "empty"),
        (np.full((1, 1), 0.5), "too short"),
        (np.zeros((16000, 1)), "silent"),
        (np.full((16000, 1), np.nan), "NaN"),
    ],
    ids=["empty", "one-sample", "silence", "nan"],
)
def test_bad_inputs_get_a_clear_message(violin_ckpt, tmp_path, samples, match):
    path = tmp_path / "bad.wav"
    sf.write(path, samples.astype(np.float32), 16000, subtype="FLOAT")
    with pytest.raises((AudioFileError, ValueError), match=match):
        cli("transfer", "--checkpoint", violin_ckpt, "--input", str(path), "--out", str(tmp_path / "o"))
    assert not (tmp_path / "o" / "results.json").exists()


def test_unpitched_input_is_refused_with_advice(violin_ckpt, tmp_path):
    path = tmp_path / "noise.wav"
    sf.write(path, 0.3 * np.random.default_rng(0).uniform(-1, 1, 16000).astype(np.float32), 16000)
    with pytest.raises(ValueError, match="no pitched sound"):
        cli("transfer", "--checkpoint", violin_ckpt, "--input", str(path), "--out", str(tmp_path / "o"))


def test_octave_shift_hold_and_quantile_matching():
    assert auto_octave_shift(47.0, 72.0) == 2 and auto_octave_shift(72.0, 60.0) == -1
    f0 = torch.tensor([50.0, 200.0, 30.0, 40.0, 220.0, 35.0])
    pitched = torch.tensor([False, True, False, False, True, False])
    assert hold_f0(f0, pitched).tolist() == [200.0, 200.0, 200.0, 220.0, 220.0, 220.0]
    ref = np.percentile(np.arange(100.0), np.arange(101))
    assert np.allclose(match_quantiles(np.array([10.0, 50.0]), ref, ref), [10.0, 50.0])
    shifted = match_quantiles(np.array([-20.0, 50.0, 120.0]), ref, ref - 30)
    assert np.allclose(shifted, [-50.0, 20.0, 90.0])  # beyond the range: same distance to its end
