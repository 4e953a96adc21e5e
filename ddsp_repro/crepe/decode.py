"""Decoding CREPE's 360 pitch-bin activations to f0, as the `crepe` package does.

Bins are 20 cents apart, from 1997.38 cents (about 32.7 Hz) above 10 Hz. The pitch of a frame
is the activation-weighted mean of the cents of the 9 bins around a centre bin; the centre is
the frame's own argmax ("weighted argmax") or the state on the Viterbi path of an HMM whose
transitions allow at most 11 bins (220 cents) of movement per frame and whose emissions put
probability 0.1 + 0.9/360 on the observed argmax bin (``crepe.core.to_viterbi_cents``).
The Viterbi pass is vectorised over the batch and over a 23-bin transition band, in plain torch
with nothing compiled on first use.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import Tensor

__all__ = ["bins_to_cents", "cents_to_hz", "local_average_cents", "viterbi_path", "decode"]

N_BINS = 360
CENTS_PER_BIN = 20.0
CENTS_OFFSET = 1997.3794084376191
_HALF_BAND = 11  # max(12 - |i - j|, 0) is non-zero for |i - j| <= 11
_SELF_EMISSION = 0.1


def bins_to_cents(bins: Tensor) -> Tensor:
    """Bin index (float allowed) to cents above 10 Hz."""
    return CENTS_PER_BIN * bins + CENTS_OFFSET


def cents_to_hz(cents: Tensor) -> Tensor:
    """Cents above 10 Hz to Hz; NaN becomes 0 Hz as in ``crepe.predict``."""
    hz = 10.0 * torch.pow(2.0, cents / 1200.0)
    return torch.nan_to_num(hz, nan=0.0)


def local_average_cents(activation: Tensor, center: Tensor) -> Tensor:
    """Weighted mean of bin cents over bins ``center-4 .. center+4`` (clipped to the range).

    Args:
        activation: ``[..., 360]``.
        center: ``[...]`` integer bin per frame.
    """
    offsets = torch.arange(-4, 5, device=activation.device)
    idx = center[..., None] + offsets
    valid = (idx >= 0) & (idx < N_BINS)
    idx = idx.clamp(0, N_BINS - 1)
    weights = torch.gather(activation, -1, idx) * valid
    cents = bins_to_cents(idx.to(activation.dtype))
    return (weights * cents).sum(-1) / weights.sum(-1)


@functools.lru_cache(maxsize=4)
def _log_transition_band(device: str) -> Tensor:
    """``band[j, m] = log P(state j | previous state j - 11 + m)``, -inf outside the range."""
    i = torch.arange(N_BINS, dtype=torch.float64)
    full = torch.clamp(12.0 - (i[:, None] - i[None, :]).abs(), min=0.0)
    full = full / full.sum(dim=1, keepdim=True)  # rows: previous state
    with torch.no_grad():
        log_full = torch.log(full)
    band = torch.full((N_BINS, 2 * _HALF_BAND + 1), -math.inf, dtype=torch.float64)
    for m in range(2 * _HALF_BAND + 1):
        prev = torch.arange(N_BINS) - _HALF_BAND + m
        ok = (prev >= 0) & (prev < N_BINS)
        band[ok, m] = log_full[prev[ok], torch.arange(N_BINS)[ok]]
    return band.to(device=device, dtype=torch.float32)


def viterbi_path(observations: Tensor) -> Tensor:
    """Most likely state sequence of crepe's pitch HMM given argmax-bin observations.

    Args:
        observations: ``[batch, n_frames]`` integer bins.

    Returns:
        ``[batch, n_frames]`` integer states.
    """
    batch, n_frames = observations.shape
    device = observations.device
    band = _log_transition_band(str(device))
    log_hit = math.log(_SELF_EMISSION + (1.0 - _SELF_EMISSION) / N_BINS)
    log_miss = math.log((1.0 - _SELF_EMISSION) / N_BINS)
    emissions = torch.full((batch, n_frames, N_BINS), log_miss, device=device)
    emissions.scatter_(2, observations[..., None].long(), log_hit)

    delta = emissions[:, 0] - math.log(N_BINS)
    backpointers = torch.empty((batch, n_frames, N_BINS), dtype=torch.int16, device=device)
    state_index = torch.arange(N_BINS, device=device)
    for t in range(1, n_frames):
        padded = torch.nn.functional.pad(delta, (_HALF_BAND, _HALF_BAND), value=-math.inf)
        windows = padded.unfold(1, 2 * _HALF_BAND + 1, 1)  # [batch, 360, 23]: previous states
        scores = windows + band
        best, arg = scores.max(dim=-1)
        backpointers[:, t] = (arg + state_index - _HALF_BAND).to(torch.int16)
        delta = best + emissions[:, t]

    path = torch.empty((batch, n_frames), dtype=torch.long, device=device)
    path[:, -1] = delta.argmax(dim=-1)
    for t in range(n_frames - 1, 0, -1):
        path[:, t - 1] = backpointers[:, t].gather(1, path[:, t : t + 1])[:, 0].long()
    return path


def decode(activation: Tensor, viterbi: bool = True) -> tuple[Tensor, Tensor]:
    """Activations ``[batch, n_frames, 360]`` to ``(f0_hz, confidence)``, each ``[batch, n_frames]``.

    Confidence is the frame's largest activation whichever decoder is used, as in ``crepe``.
    """
    confidence = activation.max(dim=-1).values
    observed = activation.argmax(dim=-1)
    center = viterbi_path(observed) if viterbi else observed
    f0_hz = cents_to_hz(local_average_cents(activation, center))
    return f0_hz, torch.nan_to_num(confidence, nan=0.0)
