"""Spectral features: STFT magnitudes, mel spectra, MFCCs and A-weighted loudness.

All are differentiable torch functions on ``[batch, n_samples]`` audio. Framing follows the
official TensorFlow code: periodic Hann windows and end padding (``pad_end=True``), so a signal of
``n`` samples gives ``ceil(n / hop)`` frames.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ddsp_repro import native
from ddsp_repro.dsp.core import DB_RANGE, LD_RANGE, as_batch, check_finite, power_to_db
from ddsp_repro.dsp.filtering import overlap_add
from ddsp_repro.rates import LOUDNESS_MAX_HZ, exact_hop, hop_for, scaled_size

__all__ = [
    "a_weighting",
    "compute_logmag",
    "compute_logmel",
    "compute_loudness",
    "compute_mag",
    "compute_mel",
    "compute_mfcc",
    "linear_to_mel_weight_matrix",
    "pad_for_frames",
    "safe_log",
    "stft",
]

PAPER_REF_DB = 20.7  # A-weighted white noise of amplitude 1 at n_fft 2048 (paper-era loudness).


LOG_EPS = 1e-5  # the paper-era floor of every log-magnitude


def safe_log(x: Tensor, eps: float = LOG_EPS) -> Tensor:
    """``log(x + eps)``: the paper-era log used for log-magnitudes and log-mels."""
    return torch.log(x + eps)


def pad_for_frames(audio: Tensor, frame_size: int, hop_size: int, padding: str) -> Tensor:
    """Pad ``[batch, n_samples]`` audio for framing.

    - ``"end"``: zeros at the end so there are ``ceil(n / hop)`` frames (TF ``pad_end=True``,
      the paper-era code and TFDS NSynth features).
    - ``"center"``: ``frame_size // 2`` zeros at both ends, ``1 + n // hop`` frames, each centred
      on its hop (official code from v2.0 on).
    - ``"centered"``: ``ceil(n / hop)`` frames, frame ``i`` centred on the middle of samples
      ``[i * hop, (i + 1) * hop)`` (``(frame_size - hop) // 2`` zeros first, the rest at the end;
      an odd ``frame_size - hop`` puts the centre half a sample early). `ddsp_repro.rates`.
    - ``"valid"``: no padding.
    """
    n = audio.shape[-1]
    if padding == "centered":
        n_frames = max(1, math.ceil(n / hop_size))
        left = (frame_size - hop_size) // 2
        return F.pad(audio, (left, (n_frames - 1) * hop_size + frame_size - left - n))
    if padding == "end":
        n_frames = max(1, math.ceil(n / hop_size))
        pad = max(0, (n_frames - 1) * hop_size + frame_size - n)
        return F.pad(audio, (0, pad))
    if padding == "center":
        half = frame_size // 2
        return F.pad(audio, (half, half))
    if padding == "valid":
        if n < frame_size:
            raise ValueError(f"{n} samples are fewer than one frame of {frame_size}")
        return audio
    raise ValueError(f"padding must be 'end', 'center', 'centered' or 'valid', got {padding!r}")


@functools.lru_cache(maxsize=32)
def _hann(size: int, dtype: torch.dtype, device: str) -> Tensor:
    return torch.hann_window(size, periodic=True, dtype=dtype, device=device)


def stft(audio: Tensor, frame_size: int = 2048, overlap: float = 0.75, pad_end: bool = True) -> Tensor:
    """Short-time Fourier transform with a periodic Hann window.

    Args:
        audio: ``[batch, n_samples]``.
        frame_size: window and FFT length.
        overlap: fraction of overlap; hop is ``frame_size * (1 - overlap)``.
        pad_end: pad the end so the last samples start a frame (TF ``pad_end``).

    Returns:
        complex ``[batch, n_frames, frame_size // 2 + 1]``.
    """
    audio, squeeze = as_batch(audio)
    hop = int(frame_size * (1.0 - overlap))
    if hop < 1:
        raise ValueError(f"overlap {overlap} leaves no hop for frame_size {frame_size}")
    audio = pad_for_frames(audio, frame_size, hop, "end" if pad_end else "valid")
    spec = _frames_rfft(audio, frame_size, hop)
    return spec[0] if squeeze else spec


def _frames_rfft(audio: Tensor, frame_size: int, hop: int) -> Tensor:
    """Windowed frames -> rFFT, ``[batch, n_frames, frame_size // 2 + 1]``.

    Same numbers as ``torch.stft(center=False)``. Framing with `unfold` and one batched rFFT;
    when a gradient is needed on the CPU, `_WindowedFramesRFFT` gives it by one inverse real FFT
    and an overlap-add instead of autograd's complex FFT and scatter (measured faster there; GPUs
    and `native.disabled()` keep the plain autograd path).
    """
    window = _hann(frame_size, audio.dtype, str(audio.device))
    if audio.device.type == "cpu" and audio.requires_grad and torch.is_grad_enabled() and native.enabled():
        return _WindowedFramesRFFT.apply(audio, window, hop)
    return torch.fft.rfft(audio.unfold(-1, frame_size, hop) * window)


class _WindowedFramesRFFT(torch.autograd.Function):
    """``rfft(frames(audio) * window)`` with a hand-written backward.

    For ``y = rfft(x)`` of length n and PyTorch's convention for complex gradients g, the gradient
    of x is ``Re sum_k g_k exp(2 pi i k t / n)``, which is ``n * irfft(g')`` with the bins that
    have a mirror image (all but DC and Nyquist) halved in g'. Then the window, and the frames'
    overlap-add back onto the signal.
    """

    @staticmethod
    def forward(ctx, audio: Tensor, window: Tensor, hop: int) -> Tensor:  # noqa: D102
        ctx.save_for_backward(window)
        ctx.hop, ctx.n_samples = hop, audio.shape[-1]
        return torch.fft.rfft(audio.unfold(-1, window.shape[0], hop) * window)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor):  # noqa: D102
        (window,) = ctx.saved_tensors
        n = window.shape[0]
        grad = grad.clone()
        grad[..., 1 : (n + 1) // 2] *= 0.5
        grad_frames = torch.fft.irfft(grad, n=n) * (n * window)
        lead = grad_frames.shape[:-2]
        grad_audio = overlap_add(grad_frames.reshape(-1, *grad_frames.shape[-2:]), ctx.hop)
        grad_audio = grad_audio.reshape(*lead, -1)
        missing = ctx.n_samples - grad_audio.shape[-1]  # samples past the last frame get no gradient
        return F.pad(grad_audio, (0, missing)), None, None


def compute_mag(audio: Tensor, size: int = 2048, overlap: float = 0.75, pad_end: bool = True) -> Tensor:
    """STFT magnitude ``[batch, n_frames, size // 2 + 1]``."""
    return stft(audio, frame_size=size, overlap=overlap, pad_end=pad_end).abs()


def compute_logmag(audio: Tensor, size: int = 2048, overlap: float = 0.75, pad_end: bool = True) -> Tensor:
    """``log(|STFT| + 1e-5)``."""
    return safe_log(compute_mag(audio, size, overlap, pad_end))


@functools.lru_cache(maxsize=16)
def _mel_matrix_np(
    num_mel_bins: int, num_spectrogram_bins: int, sample_rate: float, lower_hz: float, upper_hz: float
) -> np.ndarray:
    def hz_to_mel(f):
        return 1127.0 * np.log1p(np.asarray(f, dtype=np.float64) / 700.0)

    nyquist = sample_rate / 2.0
    # The DC bin is left out (its row stays zero), as in tf.signal.linear_to_mel_weight_matrix.
    spec_mel = hz_to_mel(np.linspace(0.0, nyquist, num_spectrogram_bins)[1:])[:, None]
    edges = np.linspace(hz_to_mel(lower_hz), hz_to_mel(upper_hz), num_mel_bins + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (spec_mel - lower) / (center - lower)
    falling = (upper - spec_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.concatenate([np.zeros((1, num_mel_bins)), weights], axis=0)


def linear_to_mel_weight_matrix(
    num_mel_bins: int = 64,
    num_spectrogram_bins: int = 1025,
    sample_rate: float = 16000,
    lower_edge_hertz: float = 0.0,
    upper_edge_hertz: float = 8000.0,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """HTK-mel triangular filterbank ``[num_spectrogram_bins, num_mel_bins]``, unnormalised.

    Triangles are linear in mel (not in Hz, unlike librosa), peaking at 1, and the DC bin is
    excluded: the construction of ``tf.signal.linear_to_mel_weight_matrix`` that the official
    MFCCs use.
    """
    if not 0.0 <= lower_edge_hertz < upper_edge_hertz <= sample_rate / 2.0:
        raise ValueError(
            "need 0 <= lower_edge_hertz < upper_edge_hertz <= Nyquist, "
            f"got {lower_edge_hertz}, {upper_edge_hertz}"
        )
    m = _mel_matrix_np(
        num_mel_bins, num_spectrogram_bins, float(sample_rate), lower_edge_hertz, upper_edge_hertz
    )
    return torch.from_numpy(m).to(dtype)  # computed in float64, rounded once


def compute_mel(
    audio: Tensor,
    lo_hz: float = 0.0,
    hi_hz: float = 8000.0,
    bins: int = 64,
    fft_size: int = 2048,
    overlap: float = 0.75,
    pad_end: bool = True,
    sample_rate: int = 16000,
) -> Tensor:
    """Mel spectrum of STFT magnitudes (not power), ``[batch, n_frames, bins]``."""
    mag = compute_mag(audio, fft_size, overlap, pad_end)
    matrix = linear_to_mel_weight_matrix(bins, mag.shape[-1], sample_rate, lo_hz, hi_hz, mag.dtype)
    return mag @ matrix.to(mag.device)


def compute_logmel(
    audio: Tensor,
    lo_hz: float = 80.0,
    hi_hz: float = 7600.0,
    bins: int = 64,
    fft_size: int = 2048,
    overlap: float = 0.75,
    pad_end: bool = True,
    sample_rate: int = 16000,
) -> Tensor:
    """``log(mel + 1e-5)``, ``[batch, n_frames, bins]``."""
    return safe_log(compute_mel(audio, lo_hz, hi_hz, bins, fft_size, overlap, pad_end, sample_rate))


@functools.lru_cache(maxsize=8)
def _dct_matrix_np(n: int) -> np.ndarray:
    # Unnormalised DCT-II (y_k = 2 sum_n x_n cos(pi k (2n + 1) / 2N)) scaled by 1 / sqrt(2N), as
    # tf.signal.mfccs_from_log_mel_spectrograms does: orthonormal except coefficient 0, which is
    # sqrt(2) larger.
    idx = np.arange(n)
    basis = 2.0 * np.cos(np.pi * np.outer(2 * idx + 1, idx) / (2.0 * n))
    return basis / np.sqrt(2.0 * n)


def compute_mfcc(
    audio: Tensor,
    lo_hz: float = 20.0,
    hi_hz: float = 8000.0,
    fft_size: int = 1024,
    mel_bins: int = 128,
    mfcc_bins: int = 30,
    overlap: float = 0.75,
    pad_end: bool = True,
    sample_rate: int = 16000,
) -> Tensor:
    """MFCCs of the log-mel spectrum, ``[batch, n_frames, mfcc_bins]``.

    Defaults are the z-encoder's (paper appendix B.1): 128 mel bins over 20-8000 Hz from a
    1024-point FFT, first 30 coefficients. ``overlap=0.5`` gives the 125 frames per 4 s of the
    supervised NSynth config, 0.75 the 250 frames of the unsupervised one.
    """
    if not 1 <= mfcc_bins <= mel_bins:
        raise ValueError(f"mfcc_bins must be in [1, mel_bins={mel_bins}], got {mfcc_bins}")
    logmel = compute_logmel(audio, lo_hz, hi_hz, mel_bins, fft_size, overlap, pad_end, sample_rate)
    dct = torch.from_numpy(_dct_matrix_np(mel_bins)[:, :mfcc_bins])  # float64, rounded once
    return logmel @ dct.to(device=logmel.device, dtype=logmel.dtype)


@functools.lru_cache(maxsize=16)
def _a_weighting_np(n_fft: int, sample_rate: float, min_db: float) -> np.ndarray:
    freqs = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    f_sq = freqs**2
    c = np.array([12194.217, 20.598997, 107.65265, 737.86223]) ** 2
    with np.errstate(divide="ignore"):
        db = 2.0 + 20.0 * (
            np.log10(c[0])
            + 2.0 * np.log10(f_sq)
            - np.log10(f_sq + c[0])
            - np.log10(f_sq + c[1])
            - 0.5 * np.log10(f_sq + c[2])
            - 0.5 * np.log10(f_sq + c[3])
        )
    return np.maximum(db, min_db)


def a_weighting(
    n_fft: int, sample_rate: float = 16000, min_db: float = -80.0, dtype: torch.dtype = torch.float32
) -> Tensor:
    """A-weighting in dB (IEC 61672) at the ``n_fft // 2 + 1`` FFT bin frequencies, floored at `min_db`."""
    return torch.from_numpy(_a_weighting_np(n_fft, float(sample_rate), min_db)).to(dtype)


_LOUDNESS_DEFAULTS = {
    # semantics: (n_fft, ref_db, range_db, padding)
    "paper": (2048, PAPER_REF_DB, LD_RANGE, "end"),
    "v2": (512, 0.0, DB_RANGE, "center"),
}


def compute_loudness(
    audio: Tensor,
    sample_rate: int = 16000,
    frame_rate: float | None = None,
    n_fft: int | None = None,
    ref_db: float | None = None,
    range_db: float | None = None,
    semantics: str = "paper",
    padding: str | None = None,
    max_hz: float | None = LOUDNESS_MAX_HZ,
) -> Tensor:
    """A-weighted perceptual loudness in dB, frame-wise.

    Two definitions, chosen by `semantics` (each unset argument takes that definition's value):

    - ``"paper"`` (default): the paper-era official code, which the paper's numbers and the TFDS
      NSynth ``loudness/db`` feature use. ``20 log10 |X|`` per bin plus A-weighting (dB), minus
      ``ref_db = 20.7``, floored at ``-range_db = -120``, then the **mean over bins in dB**;
      ``n_fft = 2048``, end padding, ``ceil(n_samples / hop)`` frames (1000 for 4 s at 250 Hz).
    - ``"v2"``: the official code from v2.0 on. A-weighted **power** averaged over bins, then
      dB with ``ref_db = 0``, ``range_db = 80``; ``n_fft = 512``, centre padding,
      ``1 + n_samples // hop`` frames.

    At another rate than 16 kHz the default `n_fft` keeps its duration (6144 at 48 kHz) and the
    mean is over the bins up to `max_hz` (8 kHz: every bin at 16 kHz), the paper's band. The
    values are close to, not equal to, 16 kHz ones: a 440 Hz tone at -10 dBFS reads -100.2 dB at
    16 kHz and -98.1 dB at 48 kHz (`tests/test_rates.py`); compare loudness within one rate.

    Args:
        audio: ``[batch, n_samples]`` or ``[n_samples]``.
        sample_rate: Hz.
        frame_rate: loudness frames per second; ``sample_rate / frame_rate`` must be an integer
            hop (44.1 kHz: ``44100 / 176``, see `ddsp_repro.rates.frame_rate_of`). Default: the
            rate's own frame grid (250 at 16 kHz; `ddsp_repro.rates.hop_for`).
        padding: ``"end"``, ``"center"`` or ``"centered"`` (see `pad_for_frames`); ``"valid"``
            frames the audio as given (the streaming features pass one window per frame).
        max_hz: highest bin averaged (None: all bins).

    Returns:
        loudness in dB, ``[batch, n_frames]`` (or ``[n_frames]``).
    """
    if semantics not in _LOUDNESS_DEFAULTS:
        raise ValueError(f"semantics must be 'paper' or 'v2', got {semantics!r}")
    d_fft, d_ref, d_range, d_pad = _LOUDNESS_DEFAULTS[semantics]
    n_fft = scaled_size(d_fft, sample_rate) if n_fft is None else n_fft
    ref_db = d_ref if ref_db is None else ref_db
    range_db = d_range if range_db is None else range_db
    padding = d_pad if padding is None else padding
    hop = hop_for(sample_rate) if frame_rate is None else exact_hop(sample_rate, frame_rate)
    if padding not in ("end", "center", "centered", "valid"):
        raise ValueError(f"padding must be 'end', 'center', 'centered' or 'valid', got {padding!r}")
    audio, squeeze = as_batch(audio)
    check_finite(audio, "audio")
    if audio.shape[-1] == 0:
        raise ValueError("audio is empty")

    padded = pad_for_frames(audio, n_fft, hop, padding)
    amplitude = _frames_rfft(padded, n_fft, hop).abs()  # [batch, n_frames, n_bins]
    weighting_db = a_weighting(n_fft, sample_rate, dtype=amplitude.dtype).to(audio.device)
    if max_hz is not None and max_hz < sample_rate / 2:
        n_bins = math.floor(max_hz * n_fft / sample_rate) + 1
        amplitude, weighting_db = amplitude[..., :n_bins], weighting_db[:n_bins]

    if semantics == "paper":
        bin_db = 20.0 * torch.log10(torch.clamp(amplitude, min=1e-20)) + weighting_db - ref_db
        loudness = torch.clamp(bin_db, min=-range_db).mean(dim=-1)
    else:
        weighted_power = amplitude**2 * torch.pow(10.0, weighting_db / 10.0)
        loudness = power_to_db(weighted_power.mean(dim=-1), ref_db=ref_db, range_db=range_db)

    return loudness[0] if squeeze else loudness
