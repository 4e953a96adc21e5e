"""Sample rates: every size that depends on the rate, derived here and nowhere else.

The paper fixes its sizes at 16 kHz; what they mean is a duration or a band, and that is what is
kept at another rate:

- **hop**: ``round(sample_rate / 250)`` samples, an integer. Where 250 does not divide the rate
  the frame rate becomes ``sample_rate / hop`` (44.1 and 22.05 kHz: 250.57 Hz, frames 3.99 ms).
- **windows and crops**: given in seconds, rounded *up* to a whole number of hops; the extra
  samples at the end are zeros (44.1 kHz: 4 s becomes 1003 frames of 176 samples, 4.0029 s).
- **FFT sizes** (loudness 2048, spectral loss 2048 ... 64, reverb 48000 taps): scaled by
  ``sample_rate / 16000`` to keep their duration (128 ms ... 4 ms, 3 s), rounded to a multiple of
  4 so that the loss's 75 % overlap stays an integer hop. Their bins keep their width in Hz.
- **harmonics**: scaled by the same ratio, so the lowest note reaches the model's Nyquist as at
  16 kHz; the synth still drops every harmonic above Nyquist.
- **noise bands**: kept (65); the FIR design spreads them over 0 .. Nyquist, so each band is
  ``Nyquist / 64`` wide (125 Hz at 16 kHz, 375 Hz at 48 kHz).
- **loudness**: averaged over the bins up to 8 kHz (the paper's band, all bins at 16 kHz). The
  values stay close, not equal, across rates (a 440 Hz tone: -100.2 dB at 16 kHz, -98.1 at 48).
- **alignment**: ``"paper"`` keeps the 16 kHz conventions the paper's numbers were made with
  (frames start at ``i * hop``: CREPE frame ``i`` is centred 32 ms and loudness 64 ms after
  ``i * hop``); ``"centered"`` centres CREPE's and loudness' frame ``i`` on the middle of
  samples ``[i * hop, (i + 1) * hop)``, the convention of every preset at another rate.
"""

from __future__ import annotations

import math

__all__ = [
    "ALIGNMENTS",
    "default_alignment",
    "LOUDNESS_MAX_HZ",
    "PAPER_FRAME_RATE",
    "PAPER_SAMPLE_RATE",
    "SPECTRAL_FFT_SIZES",
    "SUPPORTED_RATES",
    "exact_hop",
    "frame_rate_of",
    "harmonics_for",
    "hop_for",
    "paddings",
    "rate_tag",
    "reverb_tap_scale",
    "without_rate_tag",
    "samples_for",
    "scaled_size",
    "spectral_fft_sizes",
]

PAPER_SAMPLE_RATE = 16000
PAPER_FRAME_RATE = 250
SUPPORTED_RATES = (16000, 22050, 24000, 32000, 44100, 48000)
LOUDNESS_MAX_HZ = 8000.0
SPECTRAL_FFT_SIZES = (2048, 1024, 512, 256, 128, 64)  # the multi-scale loss at 16 kHz (paper 2.6)

# alignment -> (CREPE padding, loudness padding), as `compute_f0` and `compute_loudness` name them
# (None: the loudness definition's own, "end" for the paper's)
ALIGNMENTS: dict[str, tuple[str, str | None]] = {"paper": ("end", None), "centered": ("centered", "centered")}


def hop_for(sample_rate: int, frame_rate: float = PAPER_FRAME_RATE) -> int:
    """Samples per control frame: the integer nearest ``sample_rate / frame_rate``."""
    if sample_rate <= 0 or frame_rate <= 0:
        raise ValueError(f"sample_rate and frame_rate must be positive, got {sample_rate} and {frame_rate}")
    return max(1, math.floor(sample_rate / frame_rate + 0.5))


def frame_rate_of(sample_rate: int, hop: int) -> int | float:
    """Frames per second of a `hop`-sample grid (an int where it is one: 250 at 16 kHz)."""
    rate = sample_rate / hop
    return int(rate) if rate.is_integer() else rate


def exact_hop(sample_rate: int, frame_rate: float) -> int:
    """The integer hop that `frame_rate` names at `sample_rate`, or a clear error if there is none."""
    hop = hop_for(sample_rate, frame_rate)
    if abs(sample_rate / hop - frame_rate) > 1e-6 * frame_rate:
        raise ValueError(
            f"frame_rate ({frame_rate}) gives no integer hop at {sample_rate} Hz; pass "
            f"sample_rate / hop, e.g. {frame_rate_of(sample_rate, hop)} for a {hop}-sample hop "
            "(ddsp_repro.rates.hop_for)"
        )
    return hop


def samples_for(seconds: float, sample_rate: int, hop: int) -> int:
    """`seconds` of audio rounded up to a whole number of hops (exact at 16 kHz: 4 s = 64000)."""
    return math.ceil(round(seconds * sample_rate, 6) / hop) * hop


def scaled_size(size_at_16k: int, sample_rate: int, multiple: int = 4) -> int:
    """A 16 kHz size (FFT, taps, harmonics) with its duration kept at `sample_rate`."""
    if sample_rate == PAPER_SAMPLE_RATE:
        return size_at_16k
    ratio = sample_rate / PAPER_SAMPLE_RATE
    return max(multiple, multiple * math.floor(size_at_16k * ratio / multiple + 0.5))


def spectral_fft_sizes(sample_rate: int) -> tuple[int, ...]:
    """The multi-scale spectral loss's FFT sizes at `sample_rate` (128 ms ... 4 ms kept)."""
    return tuple(scaled_size(n, sample_rate) for n in SPECTRAL_FFT_SIZES)


def paddings(alignment: str) -> tuple[str, str | None]:
    """``(f0 padding, loudness padding)`` of an alignment (see the module docstring)."""
    if alignment not in ALIGNMENTS:
        raise ValueError(f"alignment must be one of {sorted(ALIGNMENTS)}, got {alignment!r}")
    return ALIGNMENTS[alignment]


def default_alignment(sample_rate: int) -> str:
    """``"paper"`` at 16 kHz (the paper's numbers), ``"centered"`` at every other rate."""
    return "paper" if sample_rate == PAPER_SAMPLE_RATE else "centered"


def harmonics_for(sample_rate: int, lowest_hz: float) -> int:
    """Harmonics that reach Nyquist for every note from `lowest_hz` up: ``ceil(rate / 2 / lowest_hz)``.

    The paper's 60 at 16 kHz reach Nyquist from 133 Hz up; keeping that 133 Hz at 48 kHz (180
    harmonics) is what a duration-preserving scaling gives, but measured on the violin stand-in it
    stops the harmonic synth from training: after 200 steps of `tiny_violin_48k_cpu` its output was
    0.3x the noise synth's with 180 harmonics, 4.3x and 6.3x with 120 (two seeds each), 4.5x with 60, against
    6.9x at 16 kHz. The synths' output is the same for notes above 200 Hz in all three cases
    (harmonics above Nyquist are removed), so the difference is in how the decoder's larger output
    layer starts and learns; it is measured, not explained. The presets at other rates therefore
    cover their instrument's range (`lowest_hz`) rather than 133 Hz.
    """
    return math.ceil(sample_rate / 2 / lowest_hz - 1e-9)


def reverb_tap_scale(sample_rate: int) -> float:
    """Taps per unit of a learned reverb's parameter: ``16000 / sample_rate`` (1 at 16 kHz).

    A discrete IR that stands for the same room has taps ``1 / rate`` as large (the convolution
    sum approximates an integral), while Adam moves every parameter by about the learning rate per
    step whatever its scale. Scaled, a step moves the room by the same amount per second of IR as
    at 16 kHz. Measured after 200 steps of `tiny_violin_48k_cpu`: IR energy 0.82 unscaled, 0.19
    scaled (0.53 at 16 kHz). It does not by itself make the harmonic synth train at 48 kHz; the
    number of harmonics does (`harmonics_for`).
    """
    return PAPER_SAMPLE_RATE / sample_rate


def rate_tag(sample_rate: int) -> str:
    """``""`` at 16 kHz, else ``"_48k"`` / ``"_44k"`` (44.1 kHz): folder and preset name suffixes."""
    return "" if sample_rate == PAPER_SAMPLE_RATE else f"_{sample_rate // 1000}k"


def without_rate_tag(name: str) -> str:
    """`name` without its `rate_tag` (``tiny_violin_48k_cpu`` -> ``tiny_violin_cpu``)."""
    for rate in SUPPORTED_RATES:
        tag = rate_tag(rate)
        if tag and tag in name:
            return name.replace(tag, "", 1)
    return name
