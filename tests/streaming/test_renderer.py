"""The streaming renderer equals the offline render (after its latency), for any block size."""

from __future__ import annotations

import pytest
import torch

from ddsp_repro.dsp.core import hashed_uniform_noise
from ddsp_repro.streaming import StreamingRenderer
from ddsp_repro.streaming.session import offline_reference, stream_controls
from tests.streaming.conftest import controls, small_model

TOLERANCE = 1e-4  # the parity bound; measured ~3e-7


def _parity(model, block_size, batch=1, z=None, scripted=False) -> tuple[float, float]:
    """Max |stream - offline| over the render and over the room's tail after it."""
    f0, loudness = controls(model.config.n_frames, batch)
    reference = offline_reference(model, f0, loudness, z)
    renderer = StreamingRenderer(model, block_size)
    runner = torch.jit.script(renderer) if scripted else renderer
    streamed, times = stream_controls(runner, f0, loudness, z)
    assert times.summary()["blocks"] == -(-model.config.n_frames * model.config.hop // block_size)
    latency = renderer.latency
    assert float(streamed[:, :latency].abs().max()) < 1e-7  # silence before the held frame (FFT rounding)
    got = streamed[:, latency : latency + reference.shape[1]]
    assert got.shape == reference.shape
    n = model.config.n_samples
    tail = (got[:, n:] - reference[:, n:]).abs()
    return float((got[:, :n] - reference[:, :n]).abs().max()), float(tail.max()) if tail.numel() else 0.0


@pytest.mark.parametrize("block_size", [64, 128, 320, 640, 2560])
def test_stream_equals_offline_render_and_tail(model, block_size):
    render, tail = _parity(model, block_size)
    assert render < TOLERANCE and tail < TOLERANCE
    f0, loudness = controls(model.config.n_frames)
    assert (
        float(offline_reference(model, f0, loudness)[:, model.config.n_samples :].abs().max()) > 1e-3
    )  # a real tail


def test_scripted_renderer_batch_and_v2_cell_with_z():
    model = small_model(z_dims=4, gru_cell="v2", reverb=False)
    z = torch.randn(2, model.config.n_frames, 4)
    render, _ = _parity(model, 320, batch=2, z=z, scripted=True)
    assert render < TOLERANCE


@pytest.mark.parametrize("sample_rate", [48000, 44100])
def test_other_rates_stream(sample_rate):
    model = small_model(sample_rate, n_frames=24)
    hop = model.config.hop
    assert model.reverb.tap_scale == pytest.approx(16000 / sample_rate)
    render, tail = _parity(model, 4 * hop)
    assert render < TOLERANCE and tail < TOLERANCE


def test_hashed_noise_is_the_same_in_any_blocks():
    whole = hashed_uniform_noise(0, 5000, batch=2, seed=3)
    pieces = torch.cat([hashed_uniform_noise(s, 1000, batch=2, seed=3) for s in range(0, 5000, 1000)], dim=1)
    assert torch.equal(whole, pieces)
    assert not torch.equal(whole[0], whole[1])
    assert not torch.equal(whole, hashed_uniform_noise(0, 5000, batch=2, seed=4))
    assert float(whole.min()) >= -1.0 and float(whole.max()) < 1.0
    assert abs(float(whole.mean())) < 0.03 and abs(float(whole.var()) - 1 / 3) < 0.02
    # Neighbouring samples are uncorrelated.
    x = whole[0]
    assert abs(float((x[1:] * x[:-1]).mean())) < 0.02


def test_bad_input_is_refused_at_the_boundary(model):
    with pytest.raises(ValueError, match="multiple of the model's hop"):
        StreamingRenderer(model, 100)
    renderer = StreamingRenderer(model, 128)
    renderer.reset(1)
    f0, loudness = controls(2)
    with pytest.raises(ValueError, match="multiple of 128"):
        renderer(f0[:, :1], loudness[:, :1])
    with pytest.raises(ValueError, match="NaN"):
        renderer(torch.tensor([[440.0, float("nan")]]), loudness)
    with pytest.raises(ValueError, match=">= 0 Hz"):
        renderer(torch.tensor([[440.0, -1.0]]), loudness)
    with pytest.raises(ValueError, match="reset for batch 1"):
        renderer(f0.repeat(2, 1), loudness.repeat(2, 1))
    with pytest.raises(ValueError, match="conditioned on z"):
        StreamingRenderer(small_model(z_dims=4), 64)(f0, loudness)
    with pytest.raises(ValueError, match="nothing was streamed"):
        StreamingRenderer(model, 64).flush()
    assert renderer.frames_done == 0  # refused blocks left no state behind
