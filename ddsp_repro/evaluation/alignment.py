"""Where do features and rendered audio put an event? Offsets in ms at any sample rate.

A synthetic phrase with known events, made at the rate under test: a harmonic tone (220 Hz, eight
harmonics) starts at `ONSET`, steps up a whole tone at `PITCH_STEP`, drops 20 dB at `LEVEL_STEP`. None
of the times falls on a frame boundary at any rate. Then:

- **f0**: CREPE f0 on the model's frame grid; the pitch step is where the track crosses the middle
  of the two notes (in semitones).
- **loudness**: the onset and the level step are where the track, as a linear amplitude, crosses
  the middle of the two plateaus.
- **rendered**: the harmonic synth plays those f0 and loudness tracks (the amplitude follows the
  loudness in dB); the same three events are located in its audio (a linear RMS envelope and the
  analytic signal's instantaneous frequency).

A frame track's crossing is turned into a time by the grid's convention: frame ``i`` stands for
the middle of samples ``[i * hop, (i + 1) * hop)``. The offset is that time minus the true one.
Measured: the paper's 128 ms loudness window spreads a step over +-64 ms whatever the alignment;
``"centered"`` frames spread it evenly (onset about -64 ms, drop about +65 ms), and CREPE puts
the pitch step 1.1-1.4 hops early. The paper's 16 kHz convention shifts loudness a further 62 ms
and f0 30 ms early (its frames start at ``i * hop``).
`ddsp-repro alignment` prints the table.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ddsp_repro.crepe import compute_features
from ddsp_repro.rates import SUPPORTED_RATES, default_alignment, hop_for, paddings, samples_for
from ddsp_repro.synths import HarmonicSynth

__all__ = ["EVENTS", "alignment_offsets", "alignment_table", "phrase"]

SECONDS = 2.2
ONSET, PITCH_STEP, LEVEL_STEP, END = 0.50137, 1.00731, 1.50419, 2.0
F0_LOW, F0_HIGH = 220.0, 246.94  # a whole tone
EVENTS = ("onset", "pitch_step", "level_step")


def phrase(sample_rate: int) -> np.ndarray:
    """The test phrase at `sample_rate`, rounded up to whole hops (float32, peak 0.5)."""
    n = samples_for(SECONDS, sample_rate, hop_for(sample_rate))
    t = np.arange(n) / sample_rate
    f0 = np.where(t < PITCH_STEP, F0_LOW, F0_HIGH)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    tone = sum(np.sin(k * phase) / k for k in range(1, 9))
    gain = np.where((t >= ONSET) & (t < END), 1.0, 0.0) * np.where(t < LEVEL_STEP, 1.0, 0.1)
    audio = gain * tone
    return (0.5 * audio / np.abs(audio).max()).astype(np.float32)


def _crossing(track: np.ndarray, after: int, level: float, rising: bool) -> float:
    """Fractional index where `track` first crosses `level` at or after index `after`."""
    above = track >= level if rising else track <= level
    hits = np.flatnonzero(above[after:])
    if hits.size == 0:
        return math.nan
    i = after + int(hits[0])
    if i == 0:
        return 0.0
    a, b = track[i - 1], track[i]
    return i - 1 + (level - a) / (b - a) if b != a else float(i)


def _frame_events(f0_hz: np.ndarray, loudness: np.ndarray, hop: int, sample_rate: int) -> dict[str, float]:
    """Event times (s) read off frame tracks; frame ``i`` stands for ``(i + 1/2) * hop``."""
    frame_s = hop / sample_rate

    def frame_index(seconds: float) -> int:
        return int(seconds / frame_s)

    def at(index: float) -> float:
        return (index + 0.5) * frame_s

    semitones = 12 * np.log2(np.maximum(f0_hz, 1.0) / F0_LOW)
    mid_pitch = 6 * math.log2(F0_HIGH / F0_LOW)
    amplitude = 10 ** (loudness / 20)
    quiet = float(np.median(amplitude[: frame_index(ONSET - 0.2)]))
    loud = float(np.median(amplitude[frame_index(ONSET + 0.2) : frame_index(PITCH_STEP - 0.1)]))
    soft = float(np.median(amplitude[frame_index(LEVEL_STEP + 0.1) : frame_index(END - 0.1)]))
    return {
        "onset": at(_crossing(amplitude, frame_index(ONSET - 0.2), (quiet + loud) / 2, rising=True)),
        "pitch_step": at(_crossing(semitones, frame_index(PITCH_STEP - 0.2), mid_pitch, rising=True)),
        "level_step": at(
            _crossing(amplitude, frame_index(LEVEL_STEP - 0.2), (loud + soft) / 2, rising=False)
        ),
    }


def _audio_events(audio: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Event times (s) in audio: a linear RMS envelope (4 ms window) and the instantaneous pitch."""
    from scipy.signal import hilbert

    window = max(1, int(0.004 * sample_rate))
    power = np.convolve(audio.astype(np.float64) ** 2, np.ones(window) / window, mode="same")
    envelope = np.sqrt(power)
    phase = np.unwrap(np.angle(hilbert(audio.astype(np.float64))))
    inst_hz = np.convolve(np.diff(phase) * sample_rate / (2 * np.pi), np.ones(window) / window, mode="same")

    def sample(seconds: float) -> int:
        return int(seconds * sample_rate)

    loud = float(np.median(envelope[sample(ONSET + 0.2) : sample(PITCH_STEP - 0.1)]))
    soft = float(np.median(envelope[sample(LEVEL_STEP + 0.1) : sample(END - 0.1)]))
    quiet = 0.0
    mid_hz = math.sqrt(F0_LOW * F0_HIGH)
    return {
        "onset": _crossing(envelope, sample(ONSET - 0.2), (quiet + loud) / 2, rising=True) / sample_rate,
        "pitch_step": (_crossing(inst_hz, sample(PITCH_STEP - 0.1), mid_hz, rising=True) + 0.5) / sample_rate,
        "level_step": _crossing(envelope, sample(LEVEL_STEP - 0.1), (loud + soft) / 2, rising=False)
        / sample_rate,
    }


def _render(f0_hz: torch.Tensor, loudness: torch.Tensor, sample_rate: int, hop: int) -> np.ndarray:
    """The harmonic synth playing the tracks: one harmonic, amplitude ``10^(ld / 20)`` (relative)."""
    n_frames = f0_hz.shape[-1]
    synth = HarmonicSynth(n_frames * hop, sample_rate, scale_fn=None)
    amplitudes = torch.pow(10.0, (loudness - loudness.max()) / 20.0)[None, :, None]
    distribution = torch.ones(1, n_frames, 1)
    return synth(amplitudes, distribution, f0_hz[None, :, None].clamp(min=F0_LOW / 2))[0].numpy()


def alignment_offsets(sample_rate: int, alignment: str | None = None, crepe_model: str = "tiny") -> dict:
    """Offsets (ms, measured minus true) of each event in f0, loudness and rendered audio."""
    alignment = alignment or default_alignment(sample_rate)
    hop = hop_for(sample_rate)
    audio = phrase(sample_rate)
    features = compute_features(
        torch.from_numpy(audio), sample_rate, hop, paddings(alignment), crepe_model=crepe_model
    )
    f0_hz, loudness = features["f0_hz"], features["loudness_db"]
    from_frames = _frame_events(f0_hz.numpy(), loudness.numpy(), hop, sample_rate)
    rendered = _audio_events(_render(f0_hz, loudness, sample_rate, hop), sample_rate)
    truth = {"onset": ONSET, "pitch_step": PITCH_STEP, "level_step": LEVEL_STEP}
    source = _audio_events(audio, sample_rate)  # the measurement itself, on the input
    offsets = {
        "f0": {"pitch_step": from_frames["pitch_step"] - truth["pitch_step"]},
        "loudness": {k: from_frames[k] - truth[k] for k in ("onset", "level_step")},
        "rendered": {k: rendered[k] - truth[k] for k in EVENTS},
        "input (measure check)": {k: source[k] - truth[k] for k in EVENTS},
    }
    return {
        "sample_rate": sample_rate,
        "alignment": alignment,
        "hop": hop,
        "hop_ms": 1000 * hop / sample_rate,
        "frames": int(f0_hz.shape[-1]),
        "samples": int(audio.size),
        "offsets_ms": {
            feature: {k: round(1000 * float(v), 3) for k, v in events.items()}
            for feature, events in offsets.items()
        },
    }


def alignment_table(
    rates: tuple[int, ...] = SUPPORTED_RATES, crepe_model: str = "tiny", with_paper: bool = True
) -> list[dict]:
    """`alignment_offsets` at every rate (and the paper's 16 kHz convention, for comparison)."""
    rows = [alignment_offsets(rate, crepe_model=crepe_model) for rate in rates]
    if with_paper and 16000 in rates:
        rows.insert(1, alignment_offsets(16000, "centered", crepe_model))
    return rows
