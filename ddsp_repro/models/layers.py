"""Small building blocks with the official Keras conventions (appendix B; v0.0.6 training/nn.py)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ddsp_repro.rates import frame_rate_of, paddings

__all__ = ["FcStack", "FrameGrid", "InstanceNormalize", "keras_init_"]


class FrameGrid:
    """The time grid of a model config with `n_samples`, `n_frames`, `sample_rate` and `alignment`.

    Every size that depends on the rate comes from `ddsp_repro.rates`; this only names the grid.
    """

    n_samples: int
    n_frames: int
    sample_rate: int
    alignment: str

    @property
    def hop(self) -> int:
        """Samples per control frame (64 for the paper's 4 s at 250 frames per second)."""
        return self.n_samples // self.n_frames

    @property
    def frame_rate(self) -> int | float:
        """Control frames per second: ``sample_rate / hop`` (250.57 at 44.1 kHz)."""
        return frame_rate_of(self.sample_rate, self.hop)

    @property
    def paddings(self) -> tuple[str, str | None]:
        """``(f0 padding, loudness padding)`` of the features this model is conditioned on."""
        return paddings(self.alignment)


def keras_init_(module: nn.Module) -> nn.Module:
    """Initialise every dense and convolution layer in `module` as Keras does, in place.

    Glorot-uniform kernels (fan-in and fan-out include the receptive field, the same formula as
    `nn.init.xavier_uniform_`) and zero biases; LayerNorm and the normalisation layers already
    start at scale 1 and shift 0, and `GRU` initialises itself as Keras. PyTorch's own defaults
    (Kaiming-uniform weights, non-zero biases) would start training from another distribution.
    """
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


class FcStack(nn.Sequential):
    """``layers`` x [Dense(ch) -> LayerNorm -> leaky ReLU(0.2)].

    The paper's figures say ReLU; the official code uses leaky ReLU with TF's default slope 0.2 and
    Keras' LayerNorm epsilon 1e-3. We follow the code. ``layers=0`` is the identity (tiny model).
    """

    def __init__(self, in_features: int, ch: int = 512, layers: int = 3) -> None:
        blocks: list[nn.Module] = []
        for i in range(layers):
            blocks += [
                nn.Linear(in_features if i == 0 else ch, ch),
                nn.LayerNorm(ch, eps=1e-3),
                nn.LeakyReLU(0.2),
            ]
        super().__init__(*blocks)
        self.out_features = ch if layers > 0 else in_features


class InstanceNormalize(nn.Module):
    """Per-example, per-channel normalisation over time with a learnable scale and shift.

    ``x [batch, time, channels]``; mean and (biased) variance over time, eps 1e-5, as the official
    ``Normalize('instance')`` applied to the MFCCs.
    """

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(channels))
        self.shift = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: Tensor) -> Tensor:
        mean = x.mean(dim=1, keepdim=True)
        var = x.var(dim=1, keepdim=True, correction=0)
        return (x - mean) / torch.sqrt(var + self.eps) * self.scale + self.shift
