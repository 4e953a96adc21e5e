import torch

from ddsp_repro.models import Autoencoder, AutoencoderConfig


def test_supervised_nsynth_parameter_count_matches_official_config():
    model = Autoencoder(AutoencoderConfig())
    # Official ae.gin, counted from its Keras layers: encoder 0.84M + decoder 6.15M = 6.99M.
    assert abs(model.n_trainable_parameters() - 6.99e6) / 6.99e6 < 0.02
    assert sum(p.numel() for p in model.encoder.parameters()) == 843_852
    assert sum(p.numel() for p in model.decoder.parameters()) == 6_145_190


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
