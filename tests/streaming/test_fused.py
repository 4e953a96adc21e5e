"""The native stream kernel (`streaming.fused`) renders what the PyTorch renderer renders."""

from __future__ import annotations

import copy

import pytest
import torch

from ddsp_repro import native
from ddsp_repro.streaming import StreamingRenderer
from ddsp_repro.streaming.session import offline_reference, stream_controls
from tests.streaming.conftest import controls, small_model

pytestmark = pytest.mark.skipif(native.load_kernel("stream") is None, reason="no C compiler here")

TOLERANCE = 1e-4  # the parity bound against the offline render


def _streamed(model, block_size, fused, batch=1, z=None):
    f0, loudness = controls(model.config.n_frames, batch)
    renderer = StreamingRenderer(model, block_size, fused=fused)
    assert (renderer.fused is not None) == fused
    out, _ = stream_controls(renderer, f0, loudness, z)
    return out, offline_reference(model, f0, loudness, z), renderer.latency


@pytest.mark.parametrize(
    ("overrides", "block_frames", "batch"),
    [
        ({}, 1, 1),  # the paper's layout, one frame a block
        ({"layers_per_stack": 0}, 5, 1),  # the tiny model's layout: no MLPs
        ({"layers_per_stack": 3}, 40, 2),
        ({"z_dims": 4, "gru_cell": "v2"}, 2, 2),
        ({"z_dims": 4, "gru_cell": "v2", "layers_per_stack": 0, "reverb": False}, 4, 1),
    ],
)
def test_fused_stream_equals_offline_and_the_pytorch_stream(overrides, block_frames, batch):
    model = small_model(**overrides)
    z = torch.randn(batch, model.config.n_frames, 4) if overrides.get("z_dims") else None
    block = block_frames * model.config.hop
    fused, reference, latency = _streamed(model, block, True, batch, z)
    plain, _, _ = _streamed(model, block, False, batch, z)
    got = fused[:, latency : latency + reference.shape[1]]
    assert float((got - reference).abs().max()) < TOLERANCE  # render and the room's whole tail
    assert float((fused - plain).abs().max()) < 1e-5
    assert float(reference.abs().max()) > 1e-2  # not silence


@pytest.mark.parametrize("sample_rate", [48000, 44100])
def test_fused_stream_at_other_rates(sample_rate):
    """44.1 kHz hops (176 = 16 x 11) give the reverb 16-sample partitions, fewer than a vector."""
    model = small_model(sample_rate, n_frames=24)
    hop = model.config.hop
    fused, reference, latency = _streamed(model, 2 * hop, True)
    assert float((fused[:, latency : latency + reference.shape[1]] - reference).abs().max()) < TOLERANCE


@pytest.mark.parametrize("block_size", [64, 320, 2560])
def test_long_room_head_and_deferred_tail(block_size):
    """A 20k-tap IR: past 2Q (Q = max(16 P, 1024)) the kernel convolves the tail in partitions of Q,
    one job per Q samples (blocks 64 and 320: P = 64); at 2560 (P = 512) all of it is head."""
    model = small_model(reverb_length=20000, n_frames=80)
    with torch.no_grad():
        model.reverb.ir.normal_(0.0, 0.02).mul_(torch.linspace(1, 0.2, model.reverb.ir.numel()))
    fused, reference, latency = _streamed(model, block_size, True, batch=2)
    n = model.config.n_samples
    got = fused[:, latency : latency + reference.shape[1]]
    assert float((got - reference).abs().max()) < TOLERANCE
    assert float(reference[:, n + 16000 :].abs().max()) > 1e-2  # the far tail rings and is matched


def test_refused_blocks_leave_the_kernel_state_as_it_was(model):
    f0, loudness = controls(8)
    clean = StreamingRenderer(model, 128)
    expected = torch.cat([clean(f0[:, i : i + 2], loudness[:, i : i + 2]) for i in range(0, 8, 2)], dim=1)
    renderer = StreamingRenderer(model, 128)
    assert renderer.fused is not None
    pieces = [renderer(f0[:, :2], loudness[:, :2])]
    bad_f0 = f0[:, 2:4].clone()
    bad_f0[0, 1] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinite controls"):
        renderer(bad_f0, loudness[:, 2:4])
    with pytest.raises(ValueError, match=">= 0 Hz"):
        renderer(-1.0 - f0[:, 2:4], loudness[:, 2:4])
    with pytest.raises(ValueError, match="multiple of 128"):
        renderer(f0[:, 2:3], loudness[:, 2:3])
    assert renderer.frames_done == 2
    pieces += [renderer(f0[:, i : i + 2], loudness[:, i : i + 2]) for i in range(2, 8, 2)]
    assert torch.equal(torch.cat(pieces, dim=1), expected)
    renderer.reset(1)  # a new stream starts from silence, as the first did
    assert torch.equal(renderer(f0[:, :2], loudness[:, :2]), expected[:, :128])


def test_non_finite_z_is_refused_by_the_kernel():
    model = small_model(z_dims=4)
    renderer = StreamingRenderer(model, 64)
    f0, loudness = controls(1)
    z = torch.zeros(1, 1, 4)
    z[0, 0, 2] = float("inf")
    with pytest.raises(ValueError, match="z must be finite"):
        renderer(f0, loudness, z)


def test_fused_is_optional_and_insisting_says_why(model):
    with native.disabled():
        assert StreamingRenderer(model, 64).fused is None  # the PyTorch path
        with pytest.raises(RuntimeError, match="cannot be built"):
            StreamingRenderer(model, 64, fused=True)
    assert StreamingRenderer(model, 64, fused=False).fused is None
    with pytest.raises(TypeError, match="cannot be copied"):  # two owners of native memory
        copy.deepcopy(StreamingRenderer(model, 64))
    scripted = torch.jit.script(StreamingRenderer(model, 64))  # the kernel stays out of TorchScript
    f0, loudness = controls(4)
    plain = StreamingRenderer(model, 64, fused=False)
    assert torch.allclose(scripted(f0, loudness), plain(f0, loudness), atol=1e-6)
