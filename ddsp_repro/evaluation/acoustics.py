"""Room measurements: energy decay, reverberation time and direct-to-reverberant ratio.

Measurements, not synthesis (not differentiable, numpy in and out). They give numbers to the
paper's dereverberation and room-transfer claims: the learned impulse response has a decay time,
audio rendered through it rings for about that long after a note stops, and the dry (bypassed)
audio does not.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["decay_after", "drr_db", "energy_decay_curve", "rt60"]


def energy_decay_curve(x: np.ndarray) -> np.ndarray:
    """Schroeder backward-integrated energy of `x`, in dB relative to its total (starts at 0 dB)."""
    energy = np.asarray(x, dtype=np.float64) ** 2
    remaining = np.cumsum(energy[::-1])[::-1]
    if remaining.size == 0 or remaining[0] <= 0:
        raise ValueError("no energy to measure a decay on")
    return 10.0 * np.log10(np.maximum(remaining / remaining[0], 1e-30))


def rt60(x: np.ndarray, sample_rate: int, start_db: float = -5.0, end_db: float = -25.0) -> float:
    """Reverberation time in seconds from the decay of `x` (an impulse response or a decaying tail).

    A line is fitted to the energy decay curve between `start_db` and `end_db` (T20 by default,
    ISO 3382 style) and extrapolated to -60 dB. NaN when the curve does not fall that far.
    """
    edc = energy_decay_curve(x)
    inside = np.flatnonzero((edc <= start_db) & (edc >= end_db))  # 0 to -10 dB gives the EDT
    if edc.min() > end_db or inside.size < 2:
        return math.nan
    t = inside / sample_rate
    slope = np.polyfit(t, edc[inside], 1)[0]  # dB per second, negative
    return float(-60.0 / slope) if slope < 0 else math.nan


def drr_db(ir: np.ndarray, sample_rate: int, direct_ms: float = 2.5) -> float:
    """Direct-to-reverberant ratio (dB): energy within `direct_ms` of the peak over the rest."""
    ir = np.asarray(ir, dtype=np.float64)
    peak = int(np.argmax(np.abs(ir)))
    half = int(round(direct_ms * 1e-3 * sample_rate))
    lo, hi = max(0, peak - half), peak + half + 1
    direct = float(np.sum(ir[lo:hi] ** 2))
    late = float(np.sum(ir[:lo] ** 2) + np.sum(ir[hi:] ** 2))
    if late <= 0:
        return math.inf
    return 10.0 * math.log10(direct / late)


def decay_after(audio: np.ndarray, offset: int, sample_rate: int) -> dict[str, float]:
    """How `audio` rings on after the sound feeding it stops at sample `offset`.

    ``rt60_s``: the reverberation time of the tail (`rt60` of ``audio[offset:]``, T20);
    ``edt_s``: its early decay time (the same from 0 to -10 dB);
    ``tail_db``: energy of the tail from 10 ms after the offset, relative to the energy before it.
    Dry audio stops within milliseconds (short time, very negative ratio); audio through a room
    rings for the room's decay time.
    """
    audio = np.asarray(audio, dtype=np.float64)
    if not 0 < offset < audio.size:
        raise ValueError(f"offset {offset} must fall inside the audio (0, {audio.size})")
    before = float(np.sum(audio[:offset] ** 2))
    tail = audio[offset + int(0.01 * sample_rate) :]
    after = float(np.sum(tail**2))
    tail_db = 10.0 * math.log10(max(after, 1e-30) / max(before, 1e-30))
    try:
        times = rt60(audio[offset:], sample_rate, 0.0, -10.0), rt60(audio[offset:], sample_rate)
    except ValueError:  # nothing after the offset
        times = math.nan, math.nan
    return {"edt_s": times[0], "rt60_s": times[1], "tail_db": tail_db}
