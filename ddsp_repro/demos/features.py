"""What the demonstrations measure and condition on: input audio, f0 / loudness, data-set statistics.

`read_input` turns any audio file into what a model takes (mono, the model's rate, a whole number
of frames) or says clearly why it cannot. `measure` gives CREPE f0, its confidence and loudness
frame by frame. `DatasetStats` describes the training data's pitch and loudness, for the octave
shift and the loudness matching of timbre transfer and for the training range of extrapolation.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ddsp_repro.audio import load_audio
from ddsp_repro.crepe import compute_features
from ddsp_repro.dsp import compute_loudness, hz_to_midi
from ddsp_repro.rates import frame_rate_of

__all__ = ["DatasetStats", "dataset_stats", "grid_loudness", "match_quantiles", "measure", "read_input"]

MIN_SECONDS = 0.1  # CREPE needs a 64 ms window; shorter inputs hold no pitch to transfer
PITCHED = 0.85  # CREPE confidence above which a frame counts as pitched (the metrics' threshold)


def read_input(path: str | Path, sample_rate: int, hop: int) -> np.ndarray:
    """Mono float32 audio at `sample_rate`, zero-padded to a whole number of `hop`-sample frames.

    Any rate and channel count are accepted (mixed down, resampled). Empty, silent, NaN, unreadable
    and too-short files raise `AudioFileError` / `ValueError` naming the file and the problem.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path} does not exist")
    audio = load_audio(path, sample_rate)
    if audio.size < MIN_SECONDS * sample_rate:
        raise ValueError(
            f"{path}: too short ({audio.size} samples at {sample_rate} Hz); "
            f"need at least {MIN_SECONDS:g} s of sound to track its pitch"
        )
    peak = float(np.abs(audio).max())
    if peak > 1.0:  # resampling can overshoot full scale a little; keep [-1, 1] for CREPE
        audio = audio / peak
    return np.pad(audio, (0, -audio.size % hop))


def measure(audio: np.ndarray | torch.Tensor, grid, crepe_model: str) -> dict:
    """``f0_hz``, ``confidence`` and ``loudness_db`` of mono `audio` on the frame grid of `grid` (a
    model config: its rate, hop and alignment), ``[n_frames]`` tensors each."""
    x = torch.as_tensor(np.asarray(audio, dtype=np.float32))[None]
    out = compute_features(x, grid.sample_rate, grid.hop, grid.paddings, crepe_model=crepe_model)
    return {
        "f0_hz": out["f0_hz"][0],
        "confidence": out["f0_confidence"][0],
        "loudness_db": out["loudness_db"][0],
    }


def grid_loudness(audio: np.ndarray | torch.Tensor, grid) -> torch.Tensor:
    """Loudness ``[n_frames]`` of mono `audio` on the frame grid of `grid` (as `measure`)."""
    x = torch.as_tensor(np.asarray(audio, dtype=np.float32))[None]
    rate = frame_rate_of(grid.sample_rate, grid.hop)
    return compute_loudness(x, grid.sample_rate, rate, padding=grid.paddings[1])[0]


@dataclass(frozen=True)
class DatasetStats:
    """Pitch and loudness of a training set's pitched frames.

    ``loudness_quantiles``: 101 quantiles (0, 1, ..., 100 %) of loudness (dB) on pitched frames,
    the target of loudness matching. ``pitch_low`` / ``pitch_high``: 1st / 99th percentile MIDI
    pitch, the training range for extrapolation.
    """

    mean_pitch: float
    pitch_low: float
    pitch_high: float
    loudness_quantiles: tuple[float, ...]
    n_frames: int
    source: str

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> DatasetStats:
        data = json.loads(Path(path).read_text())
        return cls(**{**data, "loudness_quantiles": tuple(data["loudness_quantiles"])})


def dataset_stats(dataset, source: str, limit: int = 2000) -> DatasetStats:
    """Statistics of up to `limit` examples of a feature data set (items with f0 and loudness)."""
    pitches, loudness = [], []
    for i, item in enumerate(dataset):
        if i >= limit:
            break
        keep = (item["f0_confidence"] >= PITCHED) & (item["f0_hz"] > 0)
        pitches.append(hz_to_midi(item["f0_hz"][keep]))
        loudness.append(item["loudness_db"][keep])
    midi = torch.cat(pitches).double().numpy() if pitches else np.zeros(0)
    if midi.size == 0:
        raise ValueError(f"{source}: no pitched frames (CREPE confidence >= {PITCHED}) to take statistics of")
    ld = torch.cat(loudness).double().numpy()
    return DatasetStats(
        mean_pitch=float(midi.mean()),
        pitch_low=float(np.percentile(midi, 1)),
        pitch_high=float(np.percentile(midi, 99)),
        loudness_quantiles=tuple(float(v) for v in np.percentile(ld, np.arange(101))),
        n_frames=int(midi.size),
        source=source,
    )


def match_quantiles(values: np.ndarray, reference: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Map `values` through the quantile function: `reference` quantiles -> `target` quantiles."""
    ref = np.maximum.accumulate(np.asarray(reference, dtype=np.float64))
    ref = ref + np.arange(ref.size) * 1e-9  # strictly increasing for interpolation
    target = np.asarray(target, dtype=np.float64)
    mapped = np.interp(values, ref, target)
    # Outside the reference range, keep the distance to its end (pauses stay that much quieter).
    mapped = np.where(values < ref[0], target[0] + (values - ref[0]), mapped)
    return np.where(values > ref[-1], target[-1] + (values - ref[-1]), mapped)
