"""Scaling functions, unit conversions, input checks and frame-to-sample resampling.

Layouts used throughout `ddsp_repro.dsp`:

- control signals: ``[batch, n_frames, channels]``
- mono audio: ``[batch, n_samples]``
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = [
    "DB_RANGE",
    "F0_RANGE",
    "LD_RANGE",
    "amplitude_to_db",
    "db_to_amplitude",
    "db_to_power",
    "exp_sigmoid",
    "hashed_uniform_noise",
    "hz_to_midi",
    "hz_to_midi_tensor",
    "midi_to_hz",
    "power_to_db",
    "resample",
    "upsample_with_windows",
]

F0_RANGE = 127.0  # MIDI; network input is f0_midi / F0_RANGE.
LD_RANGE = 120.0  # dB; paper-era loudness floor and scaling (ld_scaled = dB / 120 + 1).
DB_RANGE = 80.0  # dB; v2 loudness range (official code from v2.0 on).


# Input checks ---------------------------------------------------------------------------------
def check_rank(x: Tensor, rank: int, name: str, layout: str) -> None:
    """Raise a ValueError naming `name` unless `x` has exactly `rank` dimensions."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != rank:
        raise ValueError(f"{name} must have shape {layout} ({rank} dims), got {tuple(x.shape)}")


def check_finite(x: Tensor, name: str) -> None:
    """Raise a ValueError if `x` holds NaN or infinite values.

    Skipped while tracing/compiling, where data-dependent checks are not allowed.
    """
    if torch.compiler.is_compiling():
        return
    if not bool(torch.isfinite(x).all()):
        n_bad = int((~torch.isfinite(x)).sum())
        raise ValueError(f"{name} contains {n_bad} NaN or infinite values")


def as_batch(audio: Tensor) -> tuple[Tensor, bool]:
    """``[n_samples]`` or ``[batch, n_samples]`` audio as 2-D, and whether a batch axis was added."""
    if not isinstance(audio, Tensor):
        raise TypeError(f"audio must be a torch.Tensor, got {type(audio).__name__}")
    if audio.dim() == 1:
        return audio[None], True
    if audio.dim() != 2:
        raise ValueError(f"audio must have shape [batch, n_samples] or [n_samples], got {tuple(audio.shape)}")
    return audio, False


# Scaling --------------------------------------------------------------------------------------
def exp_sigmoid(x: Tensor, exponent: float = 10.0, max_value: float = 2.0, threshold: float = 1e-7) -> Tensor:
    """Exponentiated sigmoid, the paper's positive-output nonlinearity (§B.5).

    ``max_value * sigmoid(x) ** log(exponent) + threshold``: bounded to ``[threshold, max_value]``,
    changing by a factor of `exponent` per unit of `x` away from zero. The floor `threshold`
    (1e-7) keeps amplitudes from collapsing to exactly zero.
    """
    return max_value * torch.sigmoid(x) ** math.log(exponent) + threshold


# Unit conversions -----------------------------------------------------------------------------
def midi_to_hz(notes: Tensor | float) -> Tensor:
    """MIDI note number to frequency in Hz (A4 = MIDI 69 = 440 Hz)."""
    notes = (
        torch.as_tensor(notes, dtype=torch.get_default_dtype()) if not isinstance(notes, Tensor) else notes
    )
    return 440.0 * torch.pow(2.0, (notes - 69.0) / 12.0)


def hz_to_midi(frequencies: Tensor | float) -> Tensor:
    """Frequency in Hz to MIDI note number; 0 Hz (and below) maps to MIDI 0, as in the official code."""
    if not isinstance(frequencies, Tensor):
        frequencies = torch.as_tensor(frequencies, dtype=torch.get_default_dtype())
    return hz_to_midi_tensor(frequencies)


def hz_to_midi_tensor(frequencies: Tensor) -> Tensor:
    """`hz_to_midi` of a tensor (TorchScript-compatible: the streaming renderer scripts it)."""
    safe = torch.where(frequencies > 0, frequencies, torch.ones_like(frequencies))
    notes = 12.0 * (torch.log2(safe) - 8.78135971352466) + 69.0  # log2(440 Hz), A4 = MIDI 69
    return torch.where(frequencies > 0, notes, torch.zeros_like(notes))


def hashed_uniform_noise(start: int, n_samples: int, batch: int = 1, seed: int = 0) -> Tensor:
    """Uniform noise in ``[-1, 1)``, ``[batch, n_samples]`` float32, where sample ``t`` is a hash of
    ``(t, batch row, seed)``: samples ``start .. start + n_samples - 1`` of one endless sequence.

    Any cut of the sequence into blocks gives the same samples, so a block-by-block render and an
    offline render of the same controls draw the same noise (``Autoencoder.synthesize(noise=...)``).
    The hash is an integer avalanche (xor-shift 16, multiply by 0x45D9F3B, twice) on 32 bits, held
    in int64 so that no product overflows; it repeats after 2**32 samples (24 hours at 48 kHz).
    TorchScript-compatible.
    """
    t = torch.arange(n_samples, dtype=torch.int64) + start
    rows = torch.arange(batch, dtype=torch.int64)[:, None]
    x = (t[None, :] + rows * 0x3C6EF372 + seed * 0x9E3779B9) & 0xFFFFFFFF
    for _ in range(2):
        x = (((x >> 16) ^ x) * 0x45D9F3B) & 0xFFFFFFFF
    x = (x >> 16) ^ x
    return (x >> 8).to(torch.float32) * (2.0 / 16777216.0) - 1.0


def power_to_db(power: Tensor, ref_db: float = 0.0, range_db: float = DB_RANGE) -> Tensor:
    """Power to dB relative to `ref_db`, floored at ``-range_db`` (official v2 ``power_to_db``).

    ``max(10 log10(max(power, 10^(-range_db/10))) - ref_db, -range_db)``.
    """
    floor = 10.0 ** (-range_db / 10.0)
    db = 10.0 * torch.log10(torch.clamp(power, min=floor)) - ref_db
    return torch.clamp(db, min=-range_db)


def amplitude_to_db(amplitude: Tensor, ref_db: float = 0.0, range_db: float = DB_RANGE) -> Tensor:
    """Amplitude to dB: `power_to_db` of the squared amplitude."""
    return power_to_db(amplitude**2, ref_db=ref_db, range_db=range_db)


def db_to_power(db: Tensor) -> Tensor:
    """dB to power, the inverse of `power_to_db` above its floor."""
    return torch.pow(10.0, db / 10.0)


def db_to_amplitude(db: Tensor) -> Tensor:
    """dB to amplitude, the inverse of `amplitude_to_db` above its floor."""
    return torch.pow(10.0, db / 20.0)


# Resampling -----------------------------------------------------------------------------------
def _linear_resample(x: Tensor, n_timesteps: int) -> Tensor:
    """TF1 bilinear image resize along time with ``align_corners=False`` and no half-pixel centres.

    Output step ``j`` reads input position ``j * n_frames / n_timesteps``; positions past the last
    frame hold it. (`F.interpolate(..., align_corners=False)` uses half-pixel centres instead,
    which shifts every envelope by half a frame.)
    """
    n_frames = x.shape[1]
    pos = torch.arange(n_timesteps, device=x.device, dtype=torch.float64) * (n_frames / n_timesteps)
    i0 = torch.floor(pos).long().clamp(max=n_frames - 1)
    i1 = (i0 + 1).clamp(max=n_frames - 1)
    frac = (pos - i0.to(torch.float64)).to(x.dtype)[None, :, None]
    return x[:, i0] * (1.0 - frac) + x[:, i1] * frac


def next_frame_weights(hop: int, method: str, device: torch.device | str = "cpu") -> Tensor:
    """Weight of frame ``j + 1`` at sample ``r`` of hop ``j``, ``[hop]`` float64.

    ``"window"``: ``sin^2(pi r / 2 hop)`` (overlap-added periodic Hann windows); ``"linear"``:
    ``r / hop`` (the TF1 linear mapping). Frame ``j`` gets one minus this.
    """
    r = torch.arange(hop, device=device, dtype=torch.float64)
    if method == "window":
        return torch.sin(math.pi * r / (2 * hop)) ** 2
    if method == "linear":
        return r / hop
    raise ValueError(f"method must be 'window' or 'linear', got {method!r}")


def upsample_with_windows(x: Tensor, n_timesteps: int) -> Tensor:
    """Upsample frames by overlap-adding periodic Hann windows of twice the hop (amplitude envelopes).

    The last frame is held for one extra hop (the official ``add_endpoint=True``), windows of
    length ``2 * hop`` are centred a hop apart, and one hop is trimmed from each end. Because the
    periodic Hann window is ``sin^2``, sample ``r`` of hop ``j`` is exactly
    ``x[j] * cos^2(pi r / 2hop) + x[j+1] * sin^2(pi r / 2hop)``, which is what is computed here.
    The paper's text says Hamming; the official code uses Hann, and so do we.

    Args:
        x: ``[batch, n_frames, channels]``.
        n_timesteps: output length; must be a multiple of ``n_frames``.

    Returns:
        ``[batch, n_timesteps, channels]``.
    """
    batch, n_frames, channels = x.shape
    if n_frames >= n_timesteps:
        raise ValueError(f"window upsampling cannot downsample: {n_frames} frames to {n_timesteps} timesteps")
    if n_timesteps % n_frames != 0:
        raise ValueError(
            f"window upsampling needs n_timesteps ({n_timesteps}) divisible by n_frames ({n_frames})"
        )
    hop = n_timesteps // n_frames
    rise = next_frame_weights(hop, "window", x.device).to(x.dtype)[None, None, :, None]
    x_next = torch.cat([x[:, 1:], x[:, -1:]], dim=1)
    out = x[:, :, None, :] * (1.0 - rise) + x_next[:, :, None, :] * rise
    return out.reshape(batch, n_timesteps, channels)


def resample(x: Tensor, n_timesteps: int, method: str = "linear") -> Tensor:
    """Interpolate a frame-wise control signal to `n_timesteps` steps.

    Args:
        x: ``[batch, n_frames, channels]`` (``[batch, n_frames]`` is accepted and returned 2-D).
        n_timesteps: number of output steps.
        method: ``"linear"`` (TF1 sample mapping, for frequencies) or ``"window"`` (Hann
            overlap-add, for amplitudes; needs ``n_timesteps`` divisible by ``n_frames``).

    Returns:
        ``[batch, n_timesteps, channels]``.
    """
    squeeze = x.dim() == 2
    if squeeze:
        x = x[..., None]
    check_rank(x, 3, "x", "[batch, n_frames, channels]")
    if x.shape[1] < 1:
        raise ValueError("cannot resample a signal with no frames")
    if method == "linear":
        out = _linear_resample(x, n_timesteps)
    elif method == "window":
        out = upsample_with_windows(x, n_timesteps)
    else:
        raise ValueError(f"method must be 'linear' or 'window', got {method!r}")
    return out[..., 0] if squeeze else out
