"""Where do features and rendered audio put an event? Offsets in ms at any sample rate.

A synthetic phrase with known events, made at the rate under test: a harmonic tone (eight
harmonics) that starts (`ONSET`), steps up a whole tone (`PITCH_UP`), drops 20 dB (`LEVEL_DOWN`),
comes back up 20 dB (`LEVEL_UP`), steps down the whole tone (`PITCH_DOWN`) and stops (`OFFSET`).
Each change is a raised-cosine transition of `RAMP` seconds centred on its time (amplitude linear
for the note's start and end, in dB for the level steps, in log frequency for the pitch steps): a
hard step would be a click, and a click's broadband energy, not the level, is what a mean-of-dB
loudness reads. None of the times falls on a frame boundary at any rate.

Each event is located where a track crosses the middle of the plateaus on its two sides (f0 in
semitones; loudness as a linear amplitude; the rendered audio's RMS envelope and instantaneous
frequency). A frame track's crossing becomes a time by the grid's convention: frame ``i`` stands
for the middle of samples ``[i * hop, (i + 1) * hop)``. The offset is that time minus the true one.

A window spreads a step over its length, and a non-linear feature (loudness is a mean over bins
of dB) does not cross its midpoint where the window is centred on the step: a 128 ms loudness
window reads an onset tens of ms early and the matching stop as late. The events come in mirrored
pairs (start and stop, level down and up, pitch up and down), so each pair gives two numbers:

- **lag**: the mean of the pair's two offsets, where the feature puts the moment (a time-symmetric
  analysis centred on the frame gives 0 whatever its spread); this is the alignment;
- **spread**: half the difference, how far the window smears a step (about half its length).

`ddsp-repro alignment` prints the table.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ddsp_repro.crepe import compute_features
from ddsp_repro.rates import SUPPORTED_RATES, default_alignment, hop_for, paddings, samples_for
from ddsp_repro.synths import HarmonicSynth

__all__ = ["EVENTS", "PAIRS", "alignment_offsets", "alignment_table", "phrase"]

SECONDS = 2.6
RAMP = 0.008  # each transition's length (s), centred on the event's time
EVENTS = {
    "onset": 0.30137,
    "pitch_up": 0.70731,
    "level_down": 1.10419,
    "level_up": 1.50313,
    "pitch_down": 1.90127,
    "offset": 2.30071,
}
PAIRS = {
    "note": ("onset", "offset"),
    "level": ("level_down", "level_up"),
    "pitch": ("pitch_up", "pitch_down"),
}
F0_LOW, F0_HIGH = 220.0, 246.94  # a whole tone
LEVEL_STEP_DB = 20.0
PLATEAU_MARGIN = 0.12  # plateaus are read this far (s) from any event


def _ramp(t: np.ndarray, at: float) -> np.ndarray:
    """0 before ``at - RAMP/2``, 1 after ``at + RAMP/2``, a raised cosine between."""
    x = np.clip((t - at) / RAMP + 0.5, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def phrase(sample_rate: int) -> np.ndarray:
    """The test phrase at `sample_rate`, rounded up to whole hops (float32, peak 0.5)."""
    n = samples_for(SECONDS, sample_rate, hop_for(sample_rate))
    t = np.arange(n) / sample_rate
    e = EVENTS
    semitones = 12 * math.log2(F0_HIGH / F0_LOW) * (_ramp(t, e["pitch_up"]) - _ramp(t, e["pitch_down"]))
    phase = 2 * np.pi * np.cumsum(F0_LOW * 2 ** (semitones / 12)) / sample_rate
    tone = sum(np.sin(k * phase) / k for k in range(1, 9))
    level_db = -LEVEL_STEP_DB * (_ramp(t, e["level_down"]) - _ramp(t, e["level_up"]))
    gate = _ramp(t, e["onset"]) - _ramp(t, e["offset"])
    audio = gate * 10 ** (level_db / 20) * tone
    return (0.5 * audio / np.abs(audio).max()).astype(np.float32)


def _crossing(track: np.ndarray, start: int, level: float, rising: bool) -> float:
    """Fractional index where `track` first crosses `level` at or after index `start`."""
    above = track >= level if rising else track <= level
    hits = np.flatnonzero(above[start:])
    if hits.size == 0:
        return math.nan
    i = start + int(hits[0])
    if i == 0:
        return 0.0
    a, b = track[i - 1], track[i]
    return i - 1 + (level - a) / (b - a) if b != a else float(i)


def _locate(track: np.ndarray, rate: float, event: str, first: float = 0.0) -> float:
    """Time (s) of `event` in `track` (`rate` values per second, value ``i`` at ``first + i / rate``).

    The level crossed is the middle of the medians of the plateaus before and after the event; the
    search starts halfway to the previous event.
    """
    names = list(EVENTS)
    k = names.index(event)
    at = EVENTS[event]
    before = EVENTS[names[k - 1]] if k > 0 else 0.0
    after = EVENTS[names[k + 1]] if k + 1 < len(names) else SECONDS

    def index(seconds: float) -> int:
        return max(0, int(round((seconds - first) * rate)))

    # plateaus: from the previous event (the track's start) to this one, and on to the next (its end)
    start = index(before + PLATEAU_MARGIN) if k > 0 else 0
    stop = index(after - PLATEAU_MARGIN) if k + 1 < len(names) else None
    low = float(np.median(track[start : index(at - PLATEAU_MARGIN)]))
    high = float(np.median(track[index(at + PLATEAU_MARGIN) : stop]))
    crossing = _crossing(track, index((before + at) / 2), (low + high) / 2, rising=high > low)
    return first + crossing / rate


def _frame_events(f0_hz: np.ndarray, loudness: np.ndarray, frame_rate: float) -> dict[str, dict[str, float]]:
    """Event times (s) read off frame tracks; frame ``i`` stands for ``(i + 1/2) / frame_rate``."""
    semitones = 12 * np.log2(np.maximum(f0_hz, 1.0) / F0_LOW)
    amplitude = 10 ** (loudness / 20)
    first = 0.5 / frame_rate
    return {
        "f0": {e: _locate(semitones, frame_rate, e, first) for e in ("pitch_up", "pitch_down")},
        "loudness": {e: _locate(amplitude, frame_rate, e, first) for e in EVENTS if "pitch" not in e},
    }


def _audio_events(audio: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Event times (s) in audio: an RMS envelope and the instantaneous frequency (4 ms windows).

    The frequency is the phase slope of the fundamental's analytic signal, median-filtered: where
    the amplitude is small its phase is noisy, and a mean would let one spike decide a crossing.
    """
    from scipy.ndimage import median_filter
    from scipy.signal import butter, hilbert, sosfiltfilt

    window = max(1, int(0.004 * sample_rate))
    x = audio.astype(np.float64)
    envelope = np.sqrt(np.convolve(x**2, np.ones(window) / window, mode="same"))
    # the fundamental alone (a zero-phase low-pass: no delay), whose phase slope is the pitch
    fundamental = sosfiltfilt(butter(4, 1.5 * F0_HIGH, fs=sample_rate, output="sos"), x)
    phase = np.unwrap(np.angle(hilbert(fundamental)))
    inst_hz = median_filter(np.diff(phase) * sample_rate / (2 * np.pi), size=window, mode="nearest")
    pitch = 12 * np.log2(np.maximum(inst_hz, 1.0) / F0_LOW)
    located = {e: _locate(envelope, sample_rate, e) for e in EVENTS if "pitch" not in e}
    # diff(phase)[j] is the frequency between samples j and j + 1
    located.update({e: _locate(pitch, sample_rate, e, 0.5 / sample_rate) for e in ("pitch_up", "pitch_down")})
    return located


def _render(f0_hz: torch.Tensor, loudness: torch.Tensor, sample_rate: int, hop: int) -> np.ndarray:
    """The harmonic synth playing the tracks: one harmonic, amplitude ``10^(ld / 20)`` (relative)."""
    n_frames = f0_hz.shape[-1]
    synth = HarmonicSynth(n_frames * hop, sample_rate, scale_fn=None)
    amplitudes = torch.pow(10.0, (loudness - loudness.max()) / 20.0)[None, :, None]
    distribution = torch.ones(1, n_frames, 1)
    return synth(amplitudes, distribution, f0_hz[None, :, None].clamp(min=F0_LOW / 2))[0].numpy()


def _pairs(offsets: dict[str, float]) -> dict[str, dict[str, float]]:
    """Lag (mean) and spread (half the difference) of each mirrored pair present in `offsets`."""
    out = {}
    for pair, (rise, fall) in PAIRS.items():
        if rise in offsets and fall in offsets:
            out[pair] = {
                "lag": (offsets[rise] + offsets[fall]) / 2,
                "spread": abs(offsets[fall] - offsets[rise]) / 2,
            }
    return out


def alignment_offsets(sample_rate: int, alignment: str | None = None, crepe_model: str = "full") -> dict:
    """Offsets (ms, measured minus true) of each event in f0, loudness and the rendered audio,
    and the lag and spread of each mirrored pair (see the module's docstring)."""
    alignment = alignment or default_alignment(sample_rate)
    hop = hop_for(sample_rate)
    audio = phrase(sample_rate)
    features = compute_features(
        torch.from_numpy(audio), sample_rate, hop, paddings(alignment), crepe_model=crepe_model
    )
    f0_hz, loudness = features["f0_hz"], features["loudness_db"]
    located = _frame_events(f0_hz.numpy(), loudness.numpy(), sample_rate / hop)
    located["rendered"] = _audio_events(_render(f0_hz, loudness, sample_rate, hop), sample_rate)
    located["input (measure check)"] = _audio_events(audio, sample_rate)  # the audio measure itself
    offsets = {
        source: {e: 1000 * (t - EVENTS[e]) for e, t in events.items()} for source, events in located.items()
    }

    def rounded(d: dict) -> dict:
        return {k: rounded(v) if isinstance(v, dict) else round(float(v), 3) for k, v in d.items()}

    return {
        "sample_rate": sample_rate,
        "alignment": alignment,
        "crepe_model": crepe_model,
        "hop": hop,
        "hop_ms": 1000 * hop / sample_rate,
        "frames": int(f0_hz.shape[-1]),
        "samples": int(audio.size),
        "offsets_ms": rounded(offsets),
        "pairs_ms": rounded({source: _pairs(events) for source, events in offsets.items()}),
    }


def alignment_table(
    rates: tuple[int, ...] = SUPPORTED_RATES, crepe_model: str = "full", with_paper: bool = True
) -> list[dict]:
    """`alignment_offsets` at every rate (and 16 kHz also with the centred convention, to compare)."""
    rows = [alignment_offsets(rate, crepe_model=crepe_model) for rate in rates]
    if with_paper and 16000 in rates:
        rows.insert(1, alignment_offsets(16000, "centered", crepe_model))
    return rows
