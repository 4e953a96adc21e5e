"""Small autoencoders built in the tests, and controls that cross silence and Nyquist."""

from __future__ import annotations

import pytest
import torch

from ddsp_repro.models.autoencoder import Autoencoder, AutoencoderConfig
from ddsp_repro.rates import harmonics_for, hop_for


def small_model(sample_rate: int = 16000, n_frames: int = 40, **overrides) -> Autoencoder:
    """A few-thousand-parameter autoencoder; its reverb IR drawn loud enough to ring audibly."""
    torch.manual_seed(0)
    hop = hop_for(sample_rate)
    options = dict(
        n_samples=n_frames * hop,
        sample_rate=sample_rate,
        n_frames=n_frames,
        z_dims=None,
        n_harmonics=60 if sample_rate == 16000 else harmonics_for(sample_rate, 200.0),
        reverb=True,
        reverb_length=1500,
        layers_per_stack=1,
        ch=32,
        rnn_channels=48,
        alignment="paper" if sample_rate == 16000 else "centered",
    )
    options.update(overrides)
    model = Autoencoder(AutoencoderConfig(**options)).eval()
    if model.reverb is not None:
        with torch.no_grad():
            model.reverb.ir.normal_(0.0, 0.05 * 16000 / sample_rate).mul_(
                torch.linspace(1, 0, model.reverb.ir.numel())
            )
    return model


def controls(n_frames: int = 40, batch: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """f0 gliding 200 -> 900 Hz with a few unvoiced (0 Hz) frames, loudness rising from near silence."""
    f0 = torch.linspace(200.0, 900.0, n_frames).repeat(batch, 1)
    f0[:, n_frames // 4 : n_frames // 4 + 3] = 0.0
    loudness = torch.linspace(-90.0, -10.0, n_frames).repeat(batch, 1)
    return f0, loudness


@pytest.fixture(scope="module")
def model() -> Autoencoder:
    return small_model()
