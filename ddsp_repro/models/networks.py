"""The z-encoder and the decoder of the DDSP autoencoder (paper appendix B.1-B.2, official ae.gin)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ddsp_repro.dsp import compute_mfcc, resample
from ddsp_repro.models.gru import GRU
from ddsp_repro.models.layers import FcStack, InstanceNormalize
from ddsp_repro.timing import stage

__all__ = ["MfccZEncoder", "RnnFcDecoder"]

# z frame rate -> (FFT size, overlap) for 4 s of 16 kHz audio, the official table.
Z_FRAMES = {63: (2048, 0.5), 125: (1024, 0.5), 250: (1024, 0.75), 500: (512, 0.75), 1000: (256, 0.75)}


class MfccZEncoder(nn.Module):
    """MFCCs (30 of a 128-bin log-mel, 20-8000 Hz) -> instance norm -> GRU(512) -> Dense(z_dims).

    `z_frames` per 4 s sets the MFCC framing: 125 (FFT 1024, 50% overlap; supervised ae.gin) or 250
    (FFT 1024, 75% overlap; unsupervised ae_abs.gin and the paper's appendix text). z is then
    linearly resampled to the decoder's frame count. `gru_cell` as `GRU` (``"v1"``: the paper's).
    """

    def __init__(
        self,
        z_dims: int = 16,
        rnn_channels: int = 512,
        z_frames: int = 125,
        n_mfcc: int = 30,
        gru_cell: str = "v1",
    ) -> None:
        super().__init__()
        if z_frames not in Z_FRAMES:
            raise ValueError(f"z_frames must be one of {sorted(Z_FRAMES)}, got {z_frames}")
        self.fft_size, self.overlap = Z_FRAMES[z_frames]
        self.n_mfcc = n_mfcc
        self.norm = InstanceNormalize(n_mfcc)
        self.rnn = GRU(n_mfcc, rnn_channels, gru_cell)
        self.dense = nn.Linear(rnn_channels, z_dims)

    def forward(self, audio: Tensor, n_frames: int) -> Tensor:
        """``audio [batch, n_samples]`` -> ``z [batch, n_frames, z_dims]``."""
        mfcc = compute_mfcc(audio, fft_size=self.fft_size, overlap=self.overlap, mfcc_bins=self.n_mfcc)
        z = self.rnn(self.norm(mfcc))
        return resample(self.dense(z), n_frames, "linear")


class RnnFcDecoder(nn.Module):
    """Per-input MLP stacks -> GRU -> [f0 stack, loudness stack, GRU out] -> MLP -> Dense.

    As the official v0.0.6 decoders: z (when present) feeds the GRU but is not re-appended after it
    (`ZRnnFcDecoder`, output MLP input 3 x 512 = 1536 wide). Outputs are split by `output_splits`.
    """

    def __init__(
        self,
        output_splits: tuple[tuple[str, int], ...] = (
            ("amplitudes", 1),
            ("harmonic_distribution", 100),
            ("noise_magnitudes", 65),
        ),
        z_dims: int | None = 16,
        ch: int = 512,
        layers_per_stack: int = 3,
        rnn_channels: int = 512,
        gru_cell: str = "v1",
    ) -> None:
        super().__init__()
        self.output_splits = tuple(output_splits)
        self.f_stack = FcStack(1, ch, layers_per_stack)
        self.l_stack = FcStack(1, ch, layers_per_stack)
        self.z_stack = FcStack(z_dims, ch, layers_per_stack) if z_dims else None
        rnn_in = self.f_stack.out_features + self.l_stack.out_features
        rnn_in += self.z_stack.out_features if self.z_stack is not None else 0
        self.rnn = GRU(rnn_in, rnn_channels, gru_cell)
        out_in = rnn_channels + self.f_stack.out_features + self.l_stack.out_features
        self.out_stack = FcStack(out_in, ch, layers_per_stack)
        self.dense_out = nn.Linear(self.out_stack.out_features, sum(n for _, n in self.output_splits))

    def forward(self, f0_scaled: Tensor, ld_scaled: Tensor, z: Tensor | None = None) -> dict[str, Tensor]:
        """Inputs ``[batch, n_frames, 1]`` (and ``z [batch, n_frames, z_dims]``) -> raw outputs by name."""
        if self.z_stack is not None and z is None:
            raise ValueError("this decoder was built with z_dims and needs z")
        with stage("decoder MLPs"):
            f, ld = self.f_stack(f0_scaled), self.l_stack(ld_scaled)
            parts = [f, ld] if self.z_stack is None else [f, ld, self.z_stack(z)]
            x = torch.cat(parts, dim=-1)
        with stage("GRU"):
            x = self.rnn(x)
        with stage("decoder MLPs"):
            x = self.dense_out(self.out_stack(torch.cat([f, ld, x], dim=-1)))
        return dict(
            zip(
                [name for name, _ in self.output_splits],
                x.split([n for _, n in self.output_splits], -1),
                strict=True,
            )
        )
