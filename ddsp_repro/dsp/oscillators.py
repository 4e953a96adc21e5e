"""Additive synthesis: a bank of sinusoidal oscillators and the harmonic synthesiser (paper §3.1, eq. 1-2).

Phase accuracy. The official code takes ``sin(cumsum(omega))`` in float32, which drifts from
exact arithmetic by about 0.5 rad after one second at 16 kHz. Here no long float32 sum ever
happens: `harmonic_synthesis` evaluates the fundamental's phase in closed form (f0 is linear
between frames) in float64 and gives harmonic k exactly k times it; `oscillator_bank`, for
arbitrary sample-wise frequencies, sums Hz within 64-sample chunks and adds float64 chunk offsets.
4 s of audio stays within ~1e-5 of exact on every device (where a device has no float64, such as
Apple's MPS, those short sums run on the CPU), and short signals agree with the official float32
output to within its own rounding.

Speed. `harmonic_synthesis` has three interchangeable implementations (see its docstring): a
fused C kernel (`native.py`, `_harmonic_kernel.c`) that never forms ``[batch, n_samples,
n_harmonics]`` tensors, a chunked pure-PyTorch path, and a plain reference.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ddsp_repro.dsp.core import check_finite, check_rank, next_frame_weights, resample

__all__ = [
    "accumulate_phase",
    "fundamental_phase",
    "fused_kernel_available",
    "get_harmonic_frequencies",
    "harmonic_sum",
    "harmonic_synthesis",
    "normalize_harmonics",
    "oscillator_bank",
    "remove_above_nyquist",
]

TWO_PI = 2.0 * math.pi
_PHASE_CHUNK = 64  # samples summed in the signal's dtype before an exact float64 offset is added


def accumulate_phase(frequency_envelopes: Tensor, sample_rate: int) -> Tensor:
    """Inclusive running phase of sample-wise frequencies, wrapped to ``[0, 2 pi)``.

    The sum runs over the frequencies in Hz themselves (exact inputs) rather than over
    ``2 pi f / sample_rate``, whose rounded constant would bias every step the same way
    (about 5e-3 rad after 4 s at 3.5 kHz in float32). Samples are summed in the signal's dtype
    within 64-sample chunks only; chunk totals are summed in float64 and wrapped modulo one
    cycle (``sample_rate`` Hz-samples) before being added back.

    Args:
        frequency_envelopes: Hz, ``[batch, n_samples, n_oscillators]``.

    Returns:
        phase in radians, same shape. ``phase[:, 0]`` is already one step, ``2 pi f[0] / sr``
        (the official cumulative sum is inclusive).
    """
    batch, n_samples, n_osc = frequency_envelopes.shape
    pad = (-n_samples) % _PHASE_CHUNK
    x = torch.nn.functional.pad(frequency_envelopes, (0, 0, 0, pad)) if pad else frequency_envelopes
    chunks = x.reshape(batch, -1, _PHASE_CHUNK, n_osc)
    within = torch.cumsum(chunks, dim=2)
    host = chunks.to("cpu") if chunks.device.type == "mps" else chunks  # MPS has no float64
    totals = torch.sum(host, dim=2, dtype=torch.float64)
    offsets = torch.remainder(torch.cumsum(totals, dim=1) - totals, float(sample_rate))
    offsets = offsets.to(device=x.device, dtype=x.dtype)
    cycles = torch.remainder(within + offsets[:, :, None, :], float(sample_rate))
    phase = cycles * (TWO_PI / sample_rate)
    return phase.reshape(batch, -1, n_osc)[:, :n_samples]


def remove_above_nyquist(
    frequency_envelopes: Tensor, amplitude_envelopes: Tensor, sample_rate: int = 16000
) -> Tensor:
    """Zero the amplitude of every oscillator at or above Nyquist (``f >= sample_rate / 2``).

    Args:
        frequency_envelopes: Hz, ``[batch, time, n_oscillators]``.
        amplitude_envelopes: same shape as `frequency_envelopes`.
    """
    return torch.where(
        frequency_envelopes >= sample_rate / 2.0,
        torch.zeros_like(amplitude_envelopes),
        amplitude_envelopes,
    )


def get_harmonic_frequencies(f0_hz: Tensor, n_harmonics: int) -> Tensor:
    """Integer multiples ``1 .. n_harmonics`` of the fundamental.

    Args:
        f0_hz: ``[batch, time, 1]``.

    Returns:
        ``[batch, time, n_harmonics]`` in Hz.
    """
    ratios = torch.arange(1, n_harmonics + 1, device=f0_hz.device, dtype=f0_hz.dtype)
    return f0_hz * ratios


def normalize_harmonics(
    harmonic_distribution: Tensor, f0_hz: Tensor, sample_rate: int = 16000, eps: float = 1e-7
) -> Tensor:
    """Silence harmonics at or above Nyquist, then normalise the distribution to sum to one.

    Args:
        harmonic_distribution: ``[batch, n_frames, n_harmonics]``, non-negative.
        f0_hz: ``[batch, n_frames, 1]``.

    A frame whose harmonics all lie above Nyquist keeps an all-zero distribution (the
    official code's ``safe_divide``) instead of dividing by zero.
    """
    n_harmonics = harmonic_distribution.shape[-1]
    frequencies = get_harmonic_frequencies(f0_hz, n_harmonics)
    dist = remove_above_nyquist(frequencies, harmonic_distribution, sample_rate)
    total = dist.sum(dim=-1, keepdim=True)
    return dist / torch.where(total == 0.0, torch.full_like(total, eps), total)


def oscillator_bank(
    frequency_envelopes: Tensor,
    amplitude_envelopes: Tensor,
    sample_rate: int = 16000,
    sum_sinusoids: bool = True,
) -> Tensor:
    """Sum of sinusoids with sample-wise frequencies and amplitudes (paper eq. 1), zero initial phase.

    Args:
        frequency_envelopes: Hz, ``[batch, n_samples, n_oscillators]``.
        amplitude_envelopes: linear amplitude, ``[batch, n_samples, n_oscillators]``.
        sample_rate: Hz.
        sum_sinusoids: sum over oscillators (default) or return each one.

    Returns:
        ``[batch, n_samples]`` (or ``[batch, n_samples, n_oscillators]`` if not summed).
    """
    check_rank(frequency_envelopes, 3, "frequency_envelopes", "[batch, n_samples, n_oscillators]")
    check_rank(amplitude_envelopes, 3, "amplitude_envelopes", "[batch, n_samples, n_oscillators]")
    if frequency_envelopes.shape != amplitude_envelopes.shape:
        raise ValueError(
            "frequency_envelopes and amplitude_envelopes must have the same shape, got "
            f"{tuple(frequency_envelopes.shape)} and {tuple(amplitude_envelopes.shape)}"
        )
    check_finite(frequency_envelopes, "frequency_envelopes")
    check_finite(amplitude_envelopes, "amplitude_envelopes")
    amplitudes = remove_above_nyquist(frequency_envelopes, amplitude_envelopes, sample_rate)
    audio = amplitudes * torch.sin(accumulate_phase(frequency_envelopes, sample_rate))
    return audio.sum(dim=-1) if sum_sinusoids else audio


def fundamental_phase(
    f0_hz: Tensor, hop: int, sample_rate: int, initial_phase: Tensor | None = None
) -> Tensor:
    """Exact running phase of a frame-wise f0, linearly interpolated to audio rate, in float64.

    With f0 linear between frames (the TF1 mapping: sample ``j*hop + r`` reads
    ``f[j] + (f[j+1] - f[j]) r / hop``, the last frame held), the inclusive phase sum has a closed
    form: inside frame j it is ``offset[j] + w ((r+1) f[j] + d[j] r (r+1) / (2 hop))`` with
    ``w = 2 pi / sample_rate`` and ``d[j] = f[j+1] - f[j]``. It is evaluated in float64, so
    harmonic k's phase ``k * phase`` stays exact to ~1e-9 rad even after minutes of audio.

    Args:
        f0_hz: ``[batch, n_frames]``.
        initial_phase: ``[batch]`` radians before the first sample (a block's start when rendering
            in blocks; zero by default).

    Returns:
        ``[batch, n_frames * hop]`` in radians, not wrapped; float64 (on devices without float64,
        wrapped to ``[0, 2 pi)`` and float32). Sample ``j * hop - 1`` holds the phase at which frame
        ``j`` starts. TorchScript-compatible (the streaming renderer scripts it).
    """
    device = f0_hz.device
    f = (f0_hz.to("cpu") if device.type == "mps" else f0_hz).to(torch.float64)
    batch, n_frames = f.shape
    w = (2.0 * math.pi) / sample_rate
    slope = torch.cat([f[:, 1:], f[:, -1:]], dim=1) - f
    frame_advance = w * (hop * f + slope * ((hop - 1) / 2.0))
    offsets = torch.cumsum(frame_advance, dim=1) - frame_advance
    if initial_phase is not None:
        offsets = offsets + initial_phase.to(offsets)[:, None]
    r = torch.arange(hop, device=f.device, dtype=torch.float64)
    in_frame = w * ((r + 1) * f[:, :, None] + slope[:, :, None] * (r * (r + 1) / (2.0 * hop)))
    # Not wrapped: in float64 even 1e6 rad keeps 1e-10 rad resolution, and sin/cos take it as it is.
    phase = (offsets[:, :, None] + in_frame).reshape(batch, n_frames * hop)
    if device.type == "mps":
        return torch.remainder(phase, (2.0 * math.pi)).to(device=device, dtype=torch.float32)
    return phase


def _f0_envelope(f0_hz: Tensor, hop: int) -> Tensor:
    """Linearly interpolated f0 at audio rate, ``[batch, n_frames * hop]``, formed as the kernel does."""
    f = f0_hz.to(torch.float64)
    f_next = torch.cat([f[:, 1:], f[:, -1:]], dim=1)
    frac = torch.arange(hop, device=f.device, dtype=torch.float64) / hop
    env = f[:, :, None] + (f_next - f)[:, :, None] * frac
    return env.reshape(f.shape[0], -1).to(f0_hz.dtype)


def _harmonic_sum_reference(
    phase: Tensor, f0_hz: Tensor, amps: Tensor, hop: int, sample_rate: int, method: str
) -> Tensor:
    """Plain PyTorch: every ``[batch, n_samples, n_harmonics]`` envelope is formed (slow, exact)."""
    n_harmonics = amps.shape[-1]
    n_samples = phase.shape[-1]
    k64 = torch.arange(1, n_harmonics + 1, device=phase.device, dtype=phase.dtype)
    phases = torch.remainder(phase[..., None] * k64, TWO_PI).to(amps.dtype)
    amplitude_envelopes = resample(amps, n_samples, method)
    frequency_envelopes = _f0_envelope(f0_hz, hop)[..., None] * k64.to(amps.dtype)
    amplitude_envelopes = remove_above_nyquist(frequency_envelopes, amplitude_envelopes, sample_rate)
    return (amplitude_envelopes * torch.sin(phases)).sum(dim=-1)


def _harmonic_sum_chunk(
    phase: Tensor, f_env: Tensor, a_cur: Tensor, a_next: Tensor, rise: Tensor, sample_rate: int
) -> Tensor:
    batch, n_frames, n_harmonics = a_cur.shape
    hop = rise.shape[0]
    k = torch.arange(1, n_harmonics + 1, device=phase.device, dtype=torch.float64)
    sines = torch.sin(phase.reshape(batch, n_frames, hop, 1) * k)
    active = (f_env.reshape(batch, n_frames, hop, 1) * k.to(f_env.dtype)) < sample_rate / 2.0
    sines = sines * active
    s_cur = (sines * a_cur[:, :, None, :].to(torch.float64)).sum(-1)
    s_next = (sines * a_next[:, :, None, :].to(torch.float64)).sum(-1)
    out = s_cur * (1.0 - rise) + s_next * rise
    return out.reshape(batch, n_frames * hop).to(a_cur.dtype)


def _harmonic_sum_chunked(
    phase: Tensor,
    f0_hz: Tensor,
    amps: Tensor,
    hop: int,
    sample_rate: int,
    method: str,
    max_elements: int = 1 << 21,
) -> Tensor:
    """Pure PyTorch, a few frames at a time, recomputed in backward: memory stays small on any device."""
    from torch.utils.checkpoint import checkpoint

    batch, n_frames, n_harmonics = amps.shape
    f_env = _f0_envelope(f0_hz, hop)
    a_next = torch.cat([amps[:, 1:], amps[:, -1:]], dim=1)
    rise = next_frame_weights(hop, method, phase.device)
    step = max(1, max_elements // max(1, batch * hop * n_harmonics))
    pieces = []
    for j0 in range(0, n_frames, step):
        j1 = min(n_frames, j0 + step)
        args = (
            phase[:, j0 * hop : j1 * hop],
            f_env[:, j0 * hop : j1 * hop],
            amps[:, j0:j1],
            a_next[:, j0:j1],
            rise,
            sample_rate,
        )
        if torch.is_grad_enabled() and (phase.requires_grad or amps.requires_grad):
            pieces.append(checkpoint(_harmonic_sum_chunk, *args, use_reentrant=False))
        else:
            pieces.append(_harmonic_sum_chunk(*args))
    return torch.cat(pieces, dim=1)


class _FusedHarmonicSum(torch.autograd.Function):
    """The C kernel (`native.kernel`) with its hand-written backward."""

    @staticmethod
    def forward(ctx, phase, f0_hz, amps, hop, sample_rate, window):  # noqa: D102
        from ddsp_repro.native import kernel

        lib = kernel()
        phase, f0_hz, amps = phase.contiguous(), f0_hz.contiguous(), amps.contiguous()
        batch, n_frames, n_harmonics = amps.shape
        out = torch.empty(batch, n_frames * hop, dtype=amps.dtype)
        lib.harmonic_forward(
            phase.data_ptr(),
            f0_hz.data_ptr(),
            amps.data_ptr(),
            out.data_ptr(),
            batch,
            n_frames,
            n_harmonics,
            hop,
            sample_rate / 2.0,
            int(window),
            torch.get_num_threads(),
        )
        ctx.save_for_backward(phase, f0_hz, amps)
        ctx.hop, ctx.sample_rate, ctx.window = hop, sample_rate, window
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_out):  # noqa: D102
        from ddsp_repro.native import load_kernel

        phase, f0_hz, amps = ctx.saved_tensors
        batch, n_frames, n_harmonics = amps.shape
        grad_out = grad_out.contiguous().to(amps.dtype)
        grad_phase = torch.empty_like(phase)
        grad_cur = torch.empty_like(amps)
        grad_next = torch.empty_like(amps)
        load_kernel().harmonic_backward(
            phase.data_ptr(),
            f0_hz.data_ptr(),
            amps.data_ptr(),
            grad_out.data_ptr(),
            grad_phase.data_ptr(),
            grad_cur.data_ptr(),
            grad_next.data_ptr(),
            batch,
            n_frames,
            n_harmonics,
            ctx.hop,
            ctx.sample_rate / 2.0,
            int(ctx.window),
            torch.get_num_threads(),
        )
        grad_amps = grad_cur
        grad_amps[:, 1:] += grad_next[:, :-1]
        grad_amps[:, -1] += grad_next[:, -1]  # the held last frame is its own "next" frame
        return grad_phase, None, grad_amps, None, None, None


def fused_kernel_available() -> bool:
    """Whether the compiled CPU kernel can be used on this machine."""
    from ddsp_repro.native import kernel

    return kernel() is not None


IMPLEMENTATIONS = ("auto", "fused", "chunked", "reference")


def _choose_implementation(implementation: str, device: torch.device, dtype: torch.dtype) -> str:
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}, got {implementation!r}")
    fused_ok = device.type == "cpu" and dtype == torch.float32 and fused_kernel_available()
    if implementation == "fused" and not fused_ok:
        raise RuntimeError("the fused kernel needs float32 CPU tensors and a C compiler; use 'auto'")
    if implementation == "auto":
        return "fused" if fused_ok else "chunked"
    return implementation


def harmonic_synthesis(
    f0_hz: Tensor | None = None,
    amplitudes: Tensor | None = None,
    harmonic_distribution: Tensor | None = None,
    n_samples: int = 64000,
    sample_rate: int = 16000,
    amp_resample_method: str = "window",
    implementation: str = "auto",
    *,
    frequencies: Tensor | None = None,
) -> Tensor:
    """Render a monophonic harmonic oscillator bank from frame-wise controls (paper eq. 2).

    Harmonic ``k`` has frequency ``k * f0`` (linearly interpolated to audio rate) and amplitude
    ``amplitudes * harmonic_distribution[..., k-1]`` (upsampled with `amp_resample_method`);
    any sample where ``k * f0 >= sample_rate / 2`` is silenced.

    Args:
        f0_hz: f0 in Hz, ``[batch, n_frames, 1]`` (magenta's keyword `frequencies` is accepted too).
        amplitudes: overall linear amplitude, ``[batch, n_frames, 1]``.
        harmonic_distribution: ``[batch, n_frames, n_harmonics]`` (normally summing to one;
            see `normalize_harmonics`).
        n_samples: output length; must be a multiple of ``n_frames``.
        sample_rate: Hz.
        amp_resample_method: ``"window"`` (official default) or ``"linear"``.
        implementation: ``"auto"`` (default) picks ``"fused"`` (a compiled CPU kernel that never
            forms ``[batch, n_samples, n_harmonics]`` tensors) where it is available and
            ``"chunked"`` (pure PyTorch, a few frames at a time) elsewhere; ``"reference"`` forms
            every envelope, as a direct port would. All three agree to ~1e-6.

    Returns:
        audio ``[batch, n_samples]``.
    """
    if frequencies is not None:  # magenta/ddsp's name for f0
        if f0_hz is not None:
            raise TypeError("give f0 once: f0_hz or (magenta's name) frequencies")
        f0_hz = frequencies
    if f0_hz is None or amplitudes is None or harmonic_distribution is None:
        raise TypeError("harmonic_synthesis needs f0_hz, amplitudes and harmonic_distribution")
    frequencies = f0_hz
    check_rank(frequencies, 3, "f0_hz", "[batch, n_frames, 1]")
    check_rank(amplitudes, 3, "amplitudes", "[batch, n_frames, 1]")
    check_rank(harmonic_distribution, 3, "harmonic_distribution", "[batch, n_frames, n_harmonics]")
    if frequencies.shape[-1] != 1 or amplitudes.shape[-1] != 1:
        raise ValueError(
            "f0_hz and amplitudes must have one channel, got "
            f"{tuple(frequencies.shape)} and {tuple(amplitudes.shape)}"
        )
    batch, n_frames, _ = frequencies.shape
    if amplitudes.shape[:2] != (batch, n_frames) or harmonic_distribution.shape[:2] != (batch, n_frames):
        raise ValueError(
            "frame counts differ: f0_hz "
            f"{tuple(frequencies.shape)}, amplitudes {tuple(amplitudes.shape)}, "
            f"harmonic_distribution {tuple(harmonic_distribution.shape)}"
        )
    if n_samples % n_frames != 0:
        raise ValueError(f"n_samples ({n_samples}) must be a multiple of the number of frames ({n_frames})")
    if amp_resample_method not in ("window", "linear"):
        raise ValueError(f"amp_resample_method must be 'window' or 'linear', got {amp_resample_method!r}")
    for name, x in (
        ("f0_hz", frequencies),
        ("amplitudes", amplitudes),
        ("harmonic_distribution", harmonic_distribution),
    ):
        check_finite(x, name)

    hop = n_samples // n_frames
    f0_hz = frequencies[..., 0]
    amps = amplitudes * harmonic_distribution  # [batch, n_frames, n_harmonics], frame rate
    phase = fundamental_phase(f0_hz, hop, sample_rate)
    return harmonic_sum(phase, f0_hz, amps, hop, sample_rate, amp_resample_method, implementation)


def harmonic_sum(
    phase: Tensor,
    f0_hz: Tensor,
    amps: Tensor,
    hop: int,
    sample_rate: int,
    amp_resample_method: str = "window",
    implementation: str = "auto",
) -> Tensor:
    """The oscillator bank of `harmonic_synthesis` from its fundamental's phase.

    ``phase [batch, n_frames * hop]`` (`fundamental_phase`), ``f0_hz [batch, n_frames]`` and the
    harmonics' frame-rate amplitudes ``amps [batch, n_frames, n_harmonics]`` -> ``[batch, n_frames *
    hop]``: harmonic k is ``sin(k phase)`` with its amplitude upsampled between frame j and j + 1
    (the last frame held), silenced where ``k f0 >= sample_rate / 2``. No input checks (the callers
    check); `implementation` as `harmonic_synthesis`.
    """
    chosen = _choose_implementation(implementation, amps.device, amps.dtype)
    if chosen == "fused":
        return _FusedHarmonicSum.apply(
            phase, f0_hz.detach(), amps, hop, sample_rate, amp_resample_method == "window"
        )
    if chosen == "chunked":
        return _harmonic_sum_chunked(phase, f0_hz, amps, hop, sample_rate, amp_resample_method)
    return _harmonic_sum_reference(phase, f0_hz, amps, hop, sample_rate, amp_resample_method)
