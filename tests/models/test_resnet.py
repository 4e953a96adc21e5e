import torch

from ddsp_repro.models.resnet import ResNet, ResnetF0Encoder, _same_pad


def test_tf_same_padding():
    assert _same_pad(58, 3, 2) == (0, 1)  # TF puts the odd pixel at the end
    assert _same_pad(229, 7, 2) == (3, 3)
    assert _same_pad(10, 1, 2) == (0, 0)


def test_official_sizes():
    encoder = ResnetF0Encoder()
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(encoder.resnet) == 5_256_320  # ResNet "small" (reference: 5.26M; bare projections)
    assert count(encoder.dense_out) == 8192 * 256 + 256  # 1024 channels x 8 bins -> 256 f0 bins


def test_shapes_range_and_gradients():
    torch.manual_seed(0)
    encoder = ResnetF0Encoder()
    x = ResNet("small")(torch.randn(1, 1, 5, 229))
    assert x.shape == (1, 1024, 5, 8)
    audio = (0.1 * torch.randn(2, 8192)).requires_grad_()
    f0_scaled, f0_hz = encoder(audio, 128)
    assert f0_scaled.shape == f0_hz.shape == (2, 128, 1)
    assert (f0_scaled > 0).all() and (f0_scaled < 1).all()  # an expectation over bins i / 256
    torch.testing.assert_close(f0_hz, 440 * 2 ** ((f0_scaled * 127 - 69) / 12))
    f0_hz.sum().backward()
    assert torch.isfinite(audio.grad).all() and audio.grad.abs().sum() > 0
