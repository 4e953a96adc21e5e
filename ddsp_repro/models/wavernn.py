"""A WaveRNN baseline given the DDSP autoencoder's conditioning (paper Table 1 / Table 2 row "WaveRNN").

The paper compares against the WaveRNN of Hantrakul et al. (ISMIR 2019, "Fast and Flexible Neural
Audio Synthesis"), conditioned on the same frame-wise CREPE f0 and loudness, at 23M parameters.
The paper gives no more than that. Details it leaves open, and what this module chooses:

- **Conditioning network.** The same per-input MLP stacks as the DDSP decoder (f0_scaled and
  ld_scaled, each 3 x Dense(512)-LayerNorm-leaky ReLU), a GRU over frames and a Dense to
  `cond_channels`, then linear upsampling from frame rate to audio rate (the f0 interpolation of
  the harmonic synth). This keeps "the same conditioning" literal: identical inputs and scaling.
- **Sample-level network.** One GRU over samples reading the previous sample (mu-law value scaled
  to [-1, 1]) and the upsampled conditioning, then Dense-ReLU-Dense-ReLU-Dense to the logits of an
  8-bit mu-law categorical (256 classes), as the single-softmax WaveRNN variants do (no
  coarse/fine split, no sparsity).
- **Size.** ``rnn_channels=2240`` and ``fc_channels=1024`` give 23.0M parameters, matching the
  paper's 23M; the `small` sizes (0.5M) are for CPU runs.
- **Training.** Teacher forcing with cross-entropy on `train_crop` random windows of each
  example (the conditioning is computed on the whole example first), Adam as the DDSP models.
- **Sampling.** Autoregressive, one GRU cell step per sample, drawing from the softmax
  (temperature 1): slow by construction, which is the baseline's point in the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ddsp_repro.dsp import F0_RANGE, LD_RANGE, hz_to_midi, resample
from ddsp_repro.models.layers import FcStack, FrameGrid

__all__ = ["WaveRNN", "WaveRNNConfig", "mu_law_decode", "mu_law_encode"]


def mu_law_encode(audio: Tensor, bits: int = 8) -> Tensor:
    """Audio in [-1, 1] -> integer classes in [0, 2**bits)."""
    mu = 2**bits - 1
    audio = audio.clamp(-1.0, 1.0)
    companded = torch.sign(audio) * torch.log1p(mu * audio.abs()) / math.log1p(mu)
    return ((companded + 1.0) / 2.0 * mu + 0.5).long()


def mu_law_decode(classes: Tensor, bits: int = 8) -> Tensor:
    """Integer classes -> audio in [-1, 1] (inverse of `mu_law_encode` up to quantisation)."""
    mu = 2**bits - 1
    companded = classes.float() / mu * 2.0 - 1.0
    return torch.sign(companded) * ((1.0 + mu) ** companded.abs() - 1.0) / mu


@dataclass(frozen=True)
class WaveRNNConfig(FrameGrid):
    """Sizes of the WaveRNN baseline. Defaults: the paper-size model (23.0M parameters)."""

    n_samples: int = 64000
    sample_rate: int = 16000
    n_frames: int = 1000
    ch: int = 512  # conditioning MLP width
    layers_per_stack: int = 3
    cond_rnn_channels: int = 512
    cond_channels: int = 128
    rnn_channels: int = 2240
    fc_channels: int = 1024
    bits: int = 8
    train_crop: int = 4000  # samples per teacher-forced window
    alignment: str = field(default="paper", metadata={"hashed_unless_default": True})  # see AutoencoderConfig

    def build(self) -> WaveRNN:
        return WaveRNN(self)


class WaveRNN(nn.Module):
    """Frame-wise f0 and loudness -> audio, one sample at a time."""

    def __init__(self, config: WaveRNNConfig = WaveRNNConfig()) -> None:
        super().__init__()
        self.config = c = config
        self.f_stack = FcStack(1, c.ch, c.layers_per_stack)
        self.l_stack = FcStack(1, c.ch, c.layers_per_stack)
        self.cond_rnn = nn.GRU(self.f_stack.out_features * 2, c.cond_rnn_channels, batch_first=True)
        self.cond_out = nn.Linear(c.cond_rnn_channels, c.cond_channels)
        self.rnn = nn.GRU(1 + c.cond_channels, c.rnn_channels, batch_first=True)
        self.fc_1 = nn.Linear(c.rnn_channels, c.fc_channels)
        self.fc_2 = nn.Linear(c.fc_channels, c.fc_channels)
        self.logits = nn.Linear(c.fc_channels, 2**c.bits)

    def conditioning(self, f0_hz: Tensor, loudness_db: Tensor, n_samples: int | None = None) -> Tensor:
        """``[batch, n_frames]`` f0 (Hz) and loudness (dB) -> ``[batch, n_samples, cond_channels]``."""
        f0_scaled = hz_to_midi(f0_hz[..., None]) / F0_RANGE
        ld_scaled = loudness_db[..., None] / LD_RANGE + 1.0
        x, _ = self.cond_rnn(torch.cat([self.f_stack(f0_scaled), self.l_stack(ld_scaled)], -1))
        return resample(self.cond_out(x), n_samples or self.config.n_samples)

    def _head(self, h: Tensor) -> Tensor:
        return self.logits(F.relu(self.fc_2(F.relu(self.fc_1(h)))))

    def forward(self, audio: Tensor, cond: Tensor) -> Tensor:
        """Teacher forcing: logits ``[batch, n, 2**bits]`` of ``audio[:, t]`` given ``audio[:, :t]``.

        ``audio [batch, n]`` and ``cond [batch, n, cond_channels]`` are aligned sample by sample.
        """
        bits = self.config.bits
        previous = mu_law_decode(mu_law_encode(audio, bits), bits)  # what sampling will feed back
        previous = F.pad(previous[:, :-1], (1, 0))
        h, _ = self.rnn(torch.cat([previous[..., None], cond], -1))
        return self._head(h)

    def loss(self, audio: Tensor, cond: Tensor) -> Tensor:
        """Mean cross-entropy (nats per sample) of the mu-law classes of ``audio``."""
        logits = self(audio, cond)
        return F.cross_entropy(logits.flatten(0, 1), mu_law_encode(audio, self.config.bits).flatten())

    @torch.no_grad()
    def generate(
        self, cond: Tensor, generator: torch.Generator | None = None, temperature: float = 1.0
    ) -> Tensor:
        """Sample audio ``[batch, n]`` autoregressively from ``cond [batch, n, cond_channels]``."""
        batch, n, _ = cond.shape
        bits = self.config.bits
        h = cond.new_zeros(batch, self.config.rnn_channels)
        x = cond.new_zeros(batch)
        w_ih, w_hh, b_ih, b_hh = (
            self.rnn.weight_ih_l0,
            self.rnn.weight_hh_l0,
            self.rnn.bias_ih_l0,
            self.rnn.bias_hh_l0,
        )
        out = cond.new_empty(batch, n)
        for t in range(n):
            h = torch.gru_cell(torch.cat([x[:, None], cond[:, t]], -1), h, w_ih, w_hh, b_ih, b_hh)
            probs = torch.softmax(self._head(h) / temperature, -1)
            classes = torch.multinomial(probs, 1, generator=generator)[:, 0]
            x = mu_law_decode(classes, bits)
            out[:, t] = x
        return out

    def n_trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
