"""The fused kernel, the chunked PyTorch path and the plain reference compute the same thing."""

import pytest
import torch

from ddsp_repro import native
from ddsp_repro.dsp import oscillators


def _controls(seed, n_frames=50, n_harmonics=100, batch=2):
    g = torch.Generator().manual_seed(seed)
    # f0 sweeps up so that harmonics cross Nyquist inside frames (the per-sample mask matters).
    f0 = torch.linspace(60, 3000, n_frames)[None, :, None] * (1 + 0.5 * torch.rand(batch, 1, 1, generator=g))
    amps = torch.rand(batch, n_frames, 1, generator=g)
    dist = torch.softmax(torch.randn(batch, n_frames, n_harmonics, generator=g), dim=-1)
    return [x.requires_grad_(True) for x in (f0, amps, dist)]


def _run(implementation, method, seed):
    f0, amps, dist = _controls(seed)
    audio = oscillators.harmonic_synthesis(
        f0, amps, dist, 3200, implementation=implementation, amp_resample_method=method
    )
    weights = torch.randn(audio.shape, generator=torch.Generator().manual_seed(99))
    (audio * weights).sum().backward()
    return audio.detach(), [x.grad for x in (f0, amps, dist)]


needs_kernel = pytest.mark.skipif(not oscillators.fused_kernel_available(), reason="no C compiler")


@pytest.mark.parametrize("method", ["window", "linear"])
@pytest.mark.parametrize("implementation", [pytest.param("fused", marks=needs_kernel), "chunked"])
def test_fast_paths_agree_with_reference_including_gradients(implementation, method):
    for seed in range(2):
        ref_audio, ref_grads = _run("reference", method, seed)
        audio, grads = _run(implementation, method, seed)
        assert float((audio - ref_audio).abs().max()) < 1e-6
        for grad, ref in zip(grads, ref_grads, strict=True):
            assert float((grad - ref).abs().max()) < 1e-5 * float(ref.abs().max())


@needs_kernel
def test_fused_and_chunked_agree_to_1e6():
    audio_f, grads_f = _run("fused", "window", 3)
    audio_c, grads_c = _run("chunked", "window", 3)
    assert float((audio_f - audio_c).abs().max()) < 1e-6
    for a, b in zip(grads_f, grads_c, strict=True):
        assert float((a - b).abs().max()) < 1e-6 * float(b.abs().max()) + 1e-12


def test_auto_falls_back_without_the_kernel(monkeypatch):
    monkeypatch.setattr(oscillators, "fused_kernel_available", lambda: False)
    assert oscillators._choose_implementation("auto", torch.device("cpu"), torch.float32) == "chunked"
    with pytest.raises(RuntimeError, match="fused kernel"):
        oscillators._choose_implementation("fused", torch.device("cpu"), torch.float32)
    with pytest.raises(ValueError, match="implementation"):
        oscillators._choose_implementation("magic", torch.device("cpu"), torch.float32)


def test_kernel_can_be_disabled_by_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DDSP_REPRO_NATIVE", "0")
    native.load_kernel.cache_clear()
    try:
        assert native.load_kernel() is None
    finally:
        native.load_kernel.cache_clear()


@needs_kernel
def test_kernel_builds_into_a_fresh_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("DDSP_REPRO_CACHE", str(tmp_path))
    native.load_kernel.cache_clear()
    try:
        assert native.load_kernel() is not None
        assert list(tmp_path.glob("harmonic_kernel_*.so"))
    finally:
        native.load_kernel.cache_clear()
