"""The unsupervised model's f0 encoder: a ResNet on a log-mel spectrogram (paper appendix B.1).

Follows the official v0.0.6 `ResnetF0Encoder` with the `ae_abs.gin` settings: a 229-bin log-mel
(0-8000 Hz, FFT 2048, 75% overlap, end padding) -> ResNet "small" -> Dense(256 f0 bins) ->
softplus + 1e-3, normalised to sum to one -> expected bin position / 256 = f0 on a unit-MIDI scale
(x 127 gives MIDI). The code notes that a softmax gave NaNs, hence the softplus.

Layout inside the ResNet is ``[batch, channels, time, frequency]``; strides apply to frequency
only, and convolutions use TensorFlow's "same" padding (extra padding at the end), so that the
229 mel bins shrink to exactly 8 and each frame flattens to 1024 x 8 = 8192 features, as in the
official network. Normalisation is the official "layer" norm: statistics over time, frequency and
channels of each example, with a per-channel scale and shift (`nn.GroupNorm` with one group).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ddsp_repro.dsp import F0_RANGE, compute_logmel, midi_to_hz, resample

__all__ = ["RESNET_SIZES", "ResNet", "ResnetF0Encoder"]

# size -> (base channels, blocks per stage), as the official `nn.ResNet`.
RESNET_SIZES = {"small": (32, (2, 3, 4)), "medium": (32, (3, 4, 6)), "large": (64, (3, 4, 6))}


def _same_pad(n: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow "same" padding (before, after) of one axis."""
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + kernel - n, 0)
    return total // 2, total - total // 2


class SameConv2d(nn.Conv2d):
    """`nn.Conv2d` with TensorFlow's "same" padding for any stride."""

    def forward(self, x: Tensor) -> Tensor:
        (kt, kf), (st, sf) = self.kernel_size, self.stride
        pt, pf = _same_pad(x.shape[-2], kt, st), _same_pad(x.shape[-1], kf, sf)
        return super().forward(F.pad(x, (*pf, *pt)))


def _layer_norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(1, channels, eps=1e-5)


class ResidualLayer(nn.Module):
    """Pre-activation bottleneck: norm-ReLU-1x1, norm-ReLU-3x3 (strided), norm-ReLU-1x1 (4x wide)."""

    def __init__(self, in_ch: int, ch: int, stride: int, shortcut: bool) -> None:
        super().__init__()
        self.norm_input = _layer_norm(in_ch)
        self.conv_1 = SameConv2d(in_ch, ch, 1)
        self.norm_1 = _layer_norm(ch)
        self.conv_2 = SameConv2d(ch, ch, 3, stride=(1, stride))
        self.norm_2 = _layer_norm(ch)
        self.conv_3 = SameConv2d(ch, 4 * ch, 1)
        self.proj = SameConv2d(in_ch, 4 * ch, 1, stride=(1, stride)) if shortcut else None

    def forward(self, x: Tensor) -> Tensor:
        # As the official v0.0.6 layer: a block without projection adds its raw input; the
        # projection (a bare 1x1 convolution, no norm after it) reads the normalised input.
        residual = x
        x = F.relu(self.norm_input(x))
        if self.proj is not None:
            residual = self.proj(x)
        x = F.relu(self.norm_1(self.conv_1(x)))
        x = F.relu(self.norm_2(self.conv_2(x)))
        return self.conv_3(x) + residual


class ResNet(nn.Module):
    """Stem (7x7 conv, 64 ch, frequency stride 2; 1x3 max-pool, stride 2) + bottleneck stages.

    `channels` overrides the size's base width (32 for "small"; the parity fixtures use 4).
    """

    def __init__(self, size: str = "small", channels: int | None = None) -> None:
        super().__init__()
        if size not in RESNET_SIZES:
            raise ValueError(f"size must be one of {sorted(RESNET_SIZES)}, got {size!r}")
        ch, blocks = RESNET_SIZES[size]
        ch = channels or ch
        self.stem = SameConv2d(1, 64, 7, stride=(1, 2))
        layers: list[nn.Module] = []
        in_ch = 64
        stages = [(ch, blocks[0], 1), (2 * ch, blocks[1], 2), (4 * ch, blocks[2], 2), (8 * ch, 3, 2)]
        for i, (width, n_blocks, stride) in enumerate(stages):
            for j in range(n_blocks):
                # Only the first block of a stage projects and strides.
                layers.append(ResidualLayer(in_ch, width, stride if j == 0 else 1, shortcut=j == 0))
                in_ch = 4 * width
            if i in (2, 3):  # the official network closes each of its two residual stacks so
                layers += [_layer_norm(in_ch), nn.ReLU()]
        self.layers = nn.Sequential(*layers)
        self.out_channels = in_ch

    def forward(self, x: Tensor) -> Tensor:
        """``[batch, 1, time, freq]`` -> ``[batch, out_channels, time, freq / 32 (rounded up)]``."""
        x = self.stem(x)
        pad = _same_pad(x.shape[-1], 3, 2)
        x = F.max_pool2d(F.pad(x, pad, value=-torch.inf), (1, 3), (1, 2))
        return self.layers(x)


class ResnetF0Encoder(nn.Module):
    """Audio -> f0 by a jointly trained ResNet, as ``f0_scaled`` (unit MIDI) and ``f0_hz``.

    Args:
        f0_bins: output bins over MIDI 0-127 (the ICLR config sets 256; the class default was 128).
        size: ResNet size ("small" in ae_abs.gin).
        mel_bins, fft_size, overlap, lo_hz, hi_hz: the log-mel input (Onsets-and-Frames settings).
    """

    def __init__(
        self,
        f0_bins: int = 256,
        size: str = "small",
        mel_bins: int = 229,
        fft_size: int = 2048,
        overlap: float = 0.75,
        lo_hz: float = 0.0,
        hi_hz: float = 8000.0,
        channels: int | None = None,
    ) -> None:
        super().__init__()
        self.mel = dict(lo_hz=lo_hz, hi_hz=hi_hz, bins=mel_bins, fft_size=fft_size, overlap=overlap)
        self.resnet = ResNet(size, channels)
        n_freq = mel_bins
        for stride in (2, 2, 1, 2, 2, 2):  # stem, max-pool, then the four stages
            n_freq = math.ceil(n_freq / stride)
        self.dense_out = nn.Linear(self.resnet.out_channels * n_freq, f0_bins)
        self.register_buffer("unit_midi", torch.arange(f0_bins) / f0_bins, persistent=False)

    def forward(self, audio: Tensor, n_frames: int) -> tuple[Tensor, Tensor]:
        """``audio [batch, n_samples]`` -> (``f0_scaled``, ``f0_hz``), each ``[batch, n_frames, 1]``."""
        logmel = compute_logmel(audio, **self.mel)  # [batch, time, mel_bins]
        x = self.resnet(logmel[:, None])  # [batch, ch, time, freq]
        x = x.permute(0, 2, 3, 1).flatten(2)  # per frame: freq x channels, the official order
        probs = F.softplus(self.dense_out(x)) + 1e-3
        probs = probs / probs.sum(-1, keepdim=True)
        f0_scaled = resample((probs * self.unit_midi).sum(-1, keepdim=True), n_frames)
        return f0_scaled, midi_to_hz(f0_scaled * F0_RANGE)
