import math

import pytest
import torch

from ddsp_repro.models import Autoencoder, AutoencoderConfig


def test_supervised_nsynth_parameter_count_matches_official_config():
    model = Autoencoder(AutoencoderConfig())
    # Official ae.gin, counted from its Keras layers: encoder 0.84M + decoder 6.15M = 6.99M.
    assert abs(model.n_trainable_parameters() - 6.99e6) / 6.99e6 < 0.02
    assert sum(p.numel() for p in model.encoder.parameters()) == 842_316  # TF1 GRU: one bias
    assert sum(p.numel() for p in model.decoder.parameters()) == 6_143_654  # TF1 GRU: one bias


def test_small_autoencoder_forward_and_gradients():
    config = AutoencoderConfig(n_samples=8000, n_frames=125, n_harmonics=20, ch=32, rnn_channels=32, z_dims=4)
    model = Autoencoder(config)
    audio = torch.randn(2, 8000) * 0.1
    out = model(audio, torch.full((2, 125), 220.0), torch.full((2, 125), -30.0))
    assert out["audio"].shape == (2, 8000) and out["z"].shape == (2, 125, 4)
    assert torch.isfinite(out["audio"]).all()
    out["audio"].square().mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


def test_reverb_model_without_z():
    config = AutoencoderConfig(
        n_samples=8000,
        n_frames=125,
        n_harmonics=10,
        ch=16,
        rnn_channels=16,
        z_dims=None,
        reverb=True,
        reverb_length=2000,
    )
    model = Autoencoder(config)
    out = model(torch.randn(1, 8000) * 0.1, torch.full((1, 125), 300.0), torch.full((1, 125), -30.0))
    assert "z" not in out and out["audio"].shape == (1, 8000)
    assert not torch.equal(out["audio"], out["dry"])


def test_synthesize_from_controls_equals_forward_and_resized_renders_any_length():
    config = AutoencoderConfig(n_samples=8000, n_frames=125, n_harmonics=10, ch=16, rnn_channels=16, z_dims=4)
    model = Autoencoder(config).eval()
    audio, f0, ld = torch.randn(1, 8000) * 0.1, torch.full((1, 125), 220.0), torch.full((1, 125), -30.0)
    with torch.no_grad():
        full = model(audio, f0, ld, noise_generator=torch.Generator().manual_seed(0))
        parts = model.synthesize(
            f0, ld, model.encode(audio), noise_generator=torch.Generator().manual_seed(0)
        )
        assert torch.equal(full["audio"], parts["audio"])
        longer = model.resized(24000)  # three windows at the same 64-sample hop
        z = longer.encode(torch.randn(1, 24000) * 0.1)
        out = longer.synthesize(torch.full((1, 375), 220.0), torch.full((1, 375), -30.0), z)
    assert out["audio"].shape == (1, 24000) and torch.isfinite(out["audio"]).all()
    assert longer.decoder.rnn.recurrent_kernel.data_ptr() != model.decoder.rnn.recurrent_kernel.data_ptr()
    assert torch.equal(longer.decoder.rnn.recurrent_kernel, model.decoder.rnn.recurrent_kernel)
    with pytest.raises(ValueError, match="conditioned on z"):
        model.synthesize(f0, ld)


def test_keras_initialisation():
    """glorot-uniform kernels, zero biases, orthogonal recurrent kernels (official Keras layers)."""
    torch.manual_seed(0)
    model = Autoencoder(
        AutoencoderConfig(z_dims=16, ch=64, rnn_channels=32, f0_encoder=True, resnet_channels=4)
    )
    dense = model.decoder.out_stack[0]
    bound = math.sqrt(6 / (dense.in_features + dense.out_features))
    assert dense.weight.abs().max() <= bound and dense.weight.abs().max() > 0.9 * bound
    assert dense.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    stem = model.f0_encoder.resnet.stem
    fan_in, fan_out = stem.in_channels * 49, stem.out_channels * 49
    assert stem.weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out))
    for m in (dense, stem, model.decoder.dense_out, model.f0_encoder.dense_out):
        assert torch.count_nonzero(m.bias) == 0
    gru = model.decoder.rnn
    assert torch.count_nonzero(gru.bias) == 0
    u = gru.recurrent_kernel  # [H, 3H] with orthonormal rows, as Keras' Orthogonal
    torch.testing.assert_close(u @ u.T, torch.eye(u.shape[0]), atol=1e-5, rtol=0)
    assert model.decoder.out_stack[1].weight.eq(1).all() and model.decoder.out_stack[1].bias.eq(0).all()
