import numpy as np
import pytest
import torch

from ddsp_repro import native
from ddsp_repro.losses import MultiScaleSpectralLoss, PretrainedCREPEEmbeddingLoss, crepe_embedding
from tests.helpers import t


def test_spectral_loss_and_gradient_match_official(official):
    audio = t(official["loss_audio"]).clone().requires_grad_(True)
    loss = MultiScaleSpectralLoss()(audio, t(official["loss_target"]))
    assert float(loss.detach()) == pytest.approx(float(official["loss_value"]), rel=1e-4)
    loss.backward()
    grad_ref = official["loss_grad"]
    assert np.abs(audio.grad.numpy() - grad_ref).max() < 1e-3 * np.abs(grad_ref).max()


def test_spectral_loss_zero_for_identical_and_symmetric():
    loss_fn = MultiScaleSpectralLoss()
    a, b = torch.randn(2, 4000), torch.randn(2, 4000)
    assert float(loss_fn(a, a)) == 0.0
    assert float(loss_fn(a, b)) == pytest.approx(float(loss_fn(b, a)), rel=1e-6)
    assert float(loss_fn(a, b)) > 0


def test_spectral_loss_weights_and_shape_errors():
    a, b = torch.randn(1, 4000), torch.randn(1, 4000)
    mag_only = MultiScaleSpectralLoss(logmag_weight=0.0)(a, b)
    both = MultiScaleSpectralLoss()(a, b)
    assert float(both) > float(mag_only) > 0
    with pytest.raises(ValueError, match="differ in shape"):
        MultiScaleSpectralLoss()(a, torch.randn(1, 3999))


def test_crepe_embedding_shape_matches_official_framing():
    emb = crepe_embedding(torch.randn(2, 64000) * 0.1, "tiny", "conv5-maxpool")
    assert emb.shape == (2, 62 * 32 * 8)  # 62 non-overlapping frames x 32 channels x 8 steps


def test_crepe_loss_weight_zero_and_gradients():
    loss_fn = PretrainedCREPEEmbeddingLoss()
    assert loss_fn.effective_weight == pytest.approx(5e-5)
    target = torch.sin(torch.arange(4096) / 16000 * 2 * np.pi * 440)[None] * 0.5
    assert float(loss_fn(target, target)) == 0.0
    audio = (torch.randn(1, 4096) * 0.1).requires_grad_(True)
    value = loss_fn(audio, target)
    value.backward()
    assert float(value.detach()) > 0
    assert torch.isfinite(audio.grad).all() and audio.grad.abs().sum() > 0
    # The pretrained network stays frozen.
    from ddsp_repro.crepe import load_crepe

    assert not any(p.requires_grad for p in load_crepe("tiny").parameters())


def _grad_of(loss_fn, audio, target):
    audio = audio.clone().requires_grad_(True)
    value = loss_fn(audio, target)
    value.backward()
    return value.detach(), audio.grad


@pytest.mark.skipif(native.load_kernel("spectral") is None, reason="no C compiler here")
@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_fused_spectral_loss_matches_plain_pytorch_and_float64(scale):
    g = torch.Generator().manual_seed(0)
    audio = 0.1 * torch.randn(3, 8000, generator=g)
    # |S'| = scale |S| in every bin: no |S| = |S'| ties, where the L1 terms have a kink and two
    # roundings may take different sides of it.
    target = scale * audio
    loss_fn = MultiScaleSpectralLoss()
    fused = _grad_of(loss_fn, audio, target)
    with native.disabled():
        plain = _grad_of(loss_fn, audio, target)
        exact = _grad_of(loss_fn, audio.double(), target.double())
    assert float(fused[0]) == pytest.approx(float(plain[0]), rel=1e-6)
    assert (fused[1] - plain[1]).abs().max() <= 1e-5 * plain[1].abs().max()
    # Against float64 both float32 paths carry the STFT's own rounding (amplified by 1 / |S| in
    # near-empty bins); the fused one is no further from it than the plain one.
    assert float(fused[0]) == pytest.approx(float(exact[0]), rel=1e-6)
    fused_error = (fused[1].double() - exact[1]).abs().max()
    assert fused_error <= 1.01 * (plain[1].double() - exact[1]).abs().max() + 1e-7 * exact[1].abs().max()
    again = _grad_of(loss_fn, audio, target)
    assert torch.equal(fused[0], again[0]) and torch.equal(fused[1], again[1])


def test_spectral_loss_falls_back_where_the_kernel_does_not_apply():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(2, 4000, generator=g), torch.randn(2, 4000, generator=g)
    l2 = MultiScaleSpectralLoss(loss_type="L2")
    with native.disabled():
        expected = l2(a, b)
    assert float(l2(a, b)) == pytest.approx(float(expected), rel=1e-6)
    # a float64 target beside float32 audio takes the plain path too
    mixed = MultiScaleSpectralLoss()(a, b.double())
    assert float(mixed) == pytest.approx(float(MultiScaleSpectralLoss()(a.double(), b.double())), rel=1e-5)
    # a target that needs a gradient too (the loss is symmetric): both get one
    a_, b_ = a.clone().requires_grad_(True), b.clone().requires_grad_(True)
    MultiScaleSpectralLoss()(a_, b_).backward()
    assert a_.grad.abs().sum() > 0 and b_.grad.abs().sum() > 0
