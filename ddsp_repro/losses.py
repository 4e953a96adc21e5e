"""Training losses: the multi-scale spectral loss (paper §4.2.1) and the CREPE perceptual loss (§4.2.2)."""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ddsp_repro import native
from ddsp_repro.dsp import core, spectral

__all__ = ["MultiScaleSpectralLoss", "PretrainedCREPEEmbeddingLoss", "crepe_embedding"]


def _mean_difference(a: Tensor, b: Tensor, loss_type: str) -> Tensor:
    if loss_type == "L1":
        return (a - b).abs().mean()
    if loss_type == "L2":
        return ((a - b) ** 2).mean()
    raise ValueError(f"loss_type must be 'L1' or 'L2', got {loss_type!r}")


def _check_pair(audio: Tensor, target_audio: Tensor) -> None:
    core.check_rank(audio, 2, "audio", "[batch, n_samples]")
    core.check_rank(target_audio, 2, "target_audio", "[batch, n_samples]")
    if audio.shape != target_audio.shape:
        raise ValueError(
            f"audio {tuple(audio.shape)} and target_audio {tuple(target_audio.shape)} differ in shape"
        )


class _FusedSpectralL1(torch.autograd.Function):
    """``mean(mag_w |m - T| + logmag_w |log(m + eps) - log(T + eps)|)`` with m = |spec| and
    T = |target_spec|, from the C kernel, which writes d loss / d spec in the same pass
    (`spectral_kernel.c`)."""

    @staticmethod
    def forward(ctx, spec: Tensor, target_spec: Tensor, mag_w: float, logmag_w: float) -> Tensor:  # noqa: D102
        pairs = torch.view_as_real(spec.contiguous())
        target_pairs = torch.view_as_real(target_spec.contiguous())
        grad = torch.empty_like(pairs)
        row_len = spec.shape[-1]
        n_rows = spec.numel() // row_len
        row_sums = torch.empty(n_rows, 2, dtype=torch.float64)
        native.load_kernel("spectral").spectral_l1(
            pairs.data_ptr(),
            target_pairs.data_ptr(),
            grad.data_ptr(),
            row_sums.data_ptr(),
            n_rows,
            row_len,
            mag_w,
            logmag_w,
            1.0 / spec.numel(),
            spectral.LOG_EPS,
            torch.get_num_threads(),
        )
        ctx.save_for_backward(torch.view_as_complex(grad))
        sums = row_sums.sum(0) / spec.numel()
        return (mag_w * sums[0] + logmag_w * sums[1]).to(pairs.dtype)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_loss: Tensor):  # noqa: D102
        (grad,) = ctx.saved_tensors
        return grad * grad_loss, None, None, None


def _fused_term(loss_type: str, audio: Tensor, target_audio: Tensor) -> bool:
    """Whether one scale's L1 terms can come from the C kernel (CPU float32, target without grad)."""
    return (
        loss_type == "L1"
        and audio.device.type == target_audio.device.type == "cpu"
        and audio.dtype == target_audio.dtype == torch.float32
        and not target_audio.requires_grad
        and native.kernel("spectral") is not None
    )


class MultiScaleSpectralLoss(nn.Module):
    """Multi-scale spectral loss: a sum over FFT sizes of magnitude and log-magnitude L1 terms.

    Per size: ``mag_weight * mean|S - S'| + logmag_weight * mean|log(S + 1e-5) - log(S' + 1e-5)|``.

    S are STFT magnitudes with a periodic Hann window, 75% overlap and end padding; the means run
    over batch, frames and bins (the official v0.0.6 `SpectralLoss` with the paper's weights).
    The loss is symmetric in its two arguments.

    On the CPU in float32 with an L1 loss and a target that needs no gradient, each scale's two
    terms and their gradient come from one fused pass over the spectrum (`_FusedSpectralL1`),
    so the magnitudes, logs and differences are never materialised for autograd; elsewhere (and
    inside `native.disabled()`) the same maths runs as plain PyTorch.
    """

    def __init__(
        self,
        fft_sizes: Sequence[int] = (2048, 1024, 512, 256, 128, 64),
        loss_type: str = "L1",
        mag_weight: float = 1.0,
        logmag_weight: float = 1.0,
        overlap: float = 0.75,
    ) -> None:
        super().__init__()
        self.fft_sizes = tuple(int(s) for s in fft_sizes)
        self.loss_type = loss_type
        self.mag_weight = mag_weight
        self.logmag_weight = logmag_weight
        self.overlap = overlap

    def forward(self, audio: Tensor, target_audio: Tensor) -> Tensor:
        """Scalar loss between ``[batch, n_samples]`` signals."""
        _check_pair(audio, target_audio)
        loss = audio.new_zeros(())
        if _fused_term(self.loss_type, audio, target_audio):
            for size in self.fft_sizes:
                with torch.no_grad():
                    target_spec = spectral.stft(target_audio, size, self.overlap)
                spec = spectral.stft(audio, size, self.overlap)
                loss = loss + _FusedSpectralL1.apply(spec, target_spec, self.mag_weight, self.logmag_weight)
            return loss
        for size in self.fft_sizes:
            mag = spectral.compute_mag(audio, size, self.overlap)
            target_mag = spectral.compute_mag(target_audio, size, self.overlap)
            if self.mag_weight > 0:
                loss = loss + self.mag_weight * _mean_difference(target_mag, mag, self.loss_type)
            if self.logmag_weight > 0:
                loss = loss + self.logmag_weight * _mean_difference(
                    spectral.safe_log(target_mag), spectral.safe_log(mag), self.loss_type
                )
        return loss


# Per-layer scales of the official loss (v0.0.6 losses.py), which brought each layer's L1 to a
# comparable size: effective weight = 20 / scale * weight.
CREPE_LAYER_SCALES = {
    "classifier": 6.8e-4,
    "conv6-maxpool": 2.5e4,
    "conv5-maxpool": 4.0e4,
    "conv4-maxpool": 4.9e3,
    "conv3-maxpool": 4.0e2,
    "conv2-maxpool": 3.0e1,
    "conv1-maxpool": 1.3e0,
    "conv6-BN": 1.8e4,
    "conv5-BN": 3.5e4,
    "conv4-BN": 3.9e3,
    "conv3-BN": 2.6e2,
    "conv2-BN": 2.1e1,
    "conv1-BN": 1.0e0,
}


def crepe_embedding(
    audio: Tensor,
    crepe_model: str = "tiny",
    activation_layer: str = "conv5-maxpool",
    net: nn.Module | None = None,
) -> Tensor:
    """Activations of a frozen, pretrained CREPE layer, differentiable with respect to `audio`.

    As in the official v0.0.6 loss, audio ``[batch, n_samples]`` is cut into non-overlapping
    1024-sample frames (a remainder is dropped: 64,000 samples give 62 frames) that are **not**
    normalised, and the chosen layer's activations are flattened per example. `net` replaces the
    frozen pretrained network (the loss's own trainable copy).

    Returns:
        ``[batch, n_frames * channels * time]``.
    """
    from ddsp_repro.crepe.model import FRAME_SIZE, load_crepe

    core.check_rank(audio, 2, "audio", "[batch, n_samples]")
    batch, n_samples = audio.shape
    n_frames = n_samples // FRAME_SIZE
    if n_frames < 1:
        raise ValueError(f"CREPE embedding needs at least {FRAME_SIZE} samples, got {n_samples}")
    frames = audio[:, : n_frames * FRAME_SIZE].reshape(batch * n_frames, FRAME_SIZE)
    if net is None:
        net = load_crepe(crepe_model, audio.device, audio.dtype)
    return net(frames, layer=activation_layer).reshape(batch, -1)


class PretrainedCREPEEmbeddingLoss(nn.Module):
    """L1 distance between frozen CREPE activations of synthesised and target audio (perceptual loss).

    The unsupervised model uses tiny CREPE's ``conv5-maxpool`` with the official gin weight 0.1,
    i.e. an effective weight of ``20 / 4.0e4 * 0.1 = 5e-5`` on the mean absolute difference.
    `weight` here is the gin-style weight; `effective_weight` is what multiplies the L1.

    ``trainable=True`` is what v0.0.6 does: its CREPE variables are ordinary trainable variables
    (restored from the pretrained checkpoint, then optimised with the model, since the official
    `get_variables_to_optimize` returns every trainable variable); BatchNorm keeps its pretrained
    statistics. The loss then owns a copy of the pretrained network as the submodule ``crepe``,
    which an optimiser over the training module's parameters updates. ``False`` keeps CREPE frozen.
    """

    def __init__(
        self,
        weight: float = 0.1,
        loss_type: str = "L1",
        crepe_model: str = "tiny",
        activation_layer: str = "conv5-maxpool",
        trainable: bool = False,
        model_capacity: str | None = None,
    ) -> None:
        super().__init__()
        crepe_model = model_capacity or crepe_model  # magenta's name for the CREPE size
        if activation_layer not in CREPE_LAYER_SCALES:
            raise ValueError(
                f"activation_layer must be one of {sorted(CREPE_LAYER_SCALES)}, got {activation_layer!r}"
            )
        self.weight = weight
        self.effective_weight = 20.0 / CREPE_LAYER_SCALES[activation_layer] * weight
        self.loss_type = loss_type
        self.crepe_model = crepe_model
        self.activation_layer = activation_layer
        self.crepe: nn.Module | None = None
        if trainable:
            from ddsp_repro.crepe.model import load_crepe

            self.crepe = copy.deepcopy(load_crepe(crepe_model)).requires_grad_(True)

    def forward(self, audio: Tensor, target_audio: Tensor) -> Tensor:
        _check_pair(audio, target_audio)
        embed = functools.partial(
            crepe_embedding,
            crepe_model=self.crepe_model,
            activation_layer=self.activation_layer,
            net=self.crepe,
        )
        # A trainable CREPE gets gradients through the target's embedding too, as in v0.0.6.
        with torch.set_grad_enabled(torch.is_grad_enabled() and self.crepe is not None):
            target = embed(target_audio)
        return self.effective_weight * _mean_difference(target, embed(audio), self.loss_type)
