"""`compute_f0`: known tones, frame counts, rates, silence, bad input, bfloat16."""

import math

import numpy as np
import pytest
import torch

from ddsp_repro import dsp


def _tone(hz, seconds=0.5, sr=16000, amp=0.5):
    time = torch.arange(int(seconds * sr)) / sr
    return amp * torch.sin(2 * math.pi * hz * time)


def _cents(a, b):
    return 1200 * np.abs(np.log2(np.asarray(a, dtype=np.float64) / np.asarray(b, dtype=np.float64)))


@pytest.mark.parametrize("hz", [110.0, 261.63, 440.0, 987.77])
def test_tiny_finds_known_tones(hz):
    f0, conf = dsp.compute_f0(_tone(hz), crepe_model="tiny", frame_rate=100)
    confident = conf > 0.5
    assert confident.float().mean() > 0.8
    assert np.median(_cents(f0[confident], hz)) < 10


def test_full_finds_a_known_tone_with_high_confidence():
    f0, conf = dsp.compute_f0(_tone(329.63, seconds=0.25), crepe_model="full", frame_rate=50)
    assert f0.shape == (13,)  # ceil(0.25 s * 50 Hz), as the paper-era code
    assert float(conf[2:-2].min()) > 0.8
    assert np.max(_cents(f0[2:-2], 329.63)) < 10


def test_padding_frame_counts():
    audio = torch.zeros(2, 16000)
    f0, conf = dsp.compute_f0(audio, crepe_model="tiny", padding="end")
    assert f0.shape == conf.shape == (2, 250)  # seconds * frame_rate, as TFDS NSynth
    f0, _ = dsp.compute_f0(audio, crepe_model="tiny", padding="center")
    assert f0.shape == (2, 251)


def test_other_sample_rates_are_resampled():
    f0, conf = dsp.compute_f0(_tone(440.0, sr=44100), sample_rate=44100, crepe_model="tiny", frame_rate=100)
    assert f0.shape == (50,)
    assert np.median(_cents(f0[conf > 0.5], 440.0)) < 10


def test_silence_gives_finite_low_confidence():
    f0, conf = dsp.compute_f0(torch.zeros(8000), crepe_model="tiny")
    assert torch.isfinite(f0).all() and torch.isfinite(conf).all()
    assert float(conf.max()) < 0.5


def test_identical_results_run_to_run():
    audio = _tone(220.0) + 0.01 * torch.randn(8000)
    a = dsp.compute_f0(audio, crepe_model="tiny")
    b = dsp.compute_f0(audio, crepe_model="tiny")
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        dsp.compute_f0(torch.full((100,), float("nan")))
    with pytest.raises(ValueError, match="empty"):
        dsp.compute_f0(torch.zeros(0), crepe_model="tiny")
    assert dsp.compute_f0(torch.zeros(10), crepe_model="tiny")[0].shape == (1,)  # one zero-padded frame
    with pytest.raises(TypeError, match="floating"):
        dsp.compute_f0(torch.zeros(16000, dtype=torch.int16))
    with pytest.raises(ValueError, match="frame_rate"):
        dsp.compute_f0(torch.zeros(16000), frame_rate=0)


def test_bf16_mode_within_one_cent_of_float32():
    audio = _tone(440.0, seconds=0.25)
    f32, conf = dsp.compute_f0(audio, crepe_model="tiny", frame_rate=50)
    bf16, _ = dsp.compute_f0(audio, crepe_model="tiny", frame_rate=50, dtype=torch.bfloat16)
    confident = conf > 0.5
    assert confident.any()
    assert np.max(_cents(bf16[confident], f32[confident])) < 1.0
