"""Your own recordings: a folder of wav/flac/ogg/mp3 files, any sample rate, mono or stereo.

Each file is read, mixed to mono, resampled to 16 kHz and cut into 4 s windows with a 1 s hop (the
last window zero-padded), as the official `prepare_tfrecord` does for the solo-instrument data.
Files that cannot be used are skipped and counted by reason, never silently: unreadable or
truncated files, files holding NaN or infinite samples, silent and DC-only files. A file shorter
than one window becomes one zero-padded window, as officially, and is counted too. A float file
whose samples go beyond +-1 is scaled to peak 1 (with a warning), so that the model never learns
to play beyond full scale.

Validation holds out whole files (chosen by a hash of the name, so the choice is stable). When that
leaves no file on one side and there are several, the files of lowest hash are held out instead
(`valid_fraction` of them, at least one and never all). A single file (one long take) is split
in time: its last `valid_fraction`, and at least one window when the file holds two, is held out,
each side cut into its own windows, so that no audio is on both sides.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ddsp_repro.audio import AudioFileError, load_audio
from ddsp_repro.logs import get_logger

__all__ = [
    "AUDIO_SUFFIXES",
    "RecordingWindows",
    "find_audio_files",
    "scan_recordings",
    "split_windows",
]

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")

log = get_logger(__name__)


def find_audio_files(folder: str | Path) -> list[Path]:
    """Audio files below `folder` (recursively), sorted; a clear error if there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of recordings")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"{folder} holds no audio files ({', '.join(AUDIO_SUFFIXES)})")
    return files


def split_windows(audio: np.ndarray, window: int, hop: int) -> np.ndarray:
    """``[n_windows, window]``: windows every `hop` samples, the last one zero-padded."""
    n = max(1, int(np.ceil(max(len(audio) - window, 0) / hop)) + 1)
    padded = np.zeros((n - 1) * hop + window, dtype=np.float32)
    padded[: len(audio)] = audio
    return np.lib.stride_tricks.sliding_window_view(padded, window)[::hop].copy()


@dataclass
class RecordingWindows:
    """Windows cut from a folder of recordings, with where each came from and what was skipped."""

    audio: np.ndarray  # [n_windows, window] float32
    files: list[Path]  # source file of each window
    splits: list[str]  # "train" or "valid" per window
    skipped: dict[str, list[Path]] = field(default_factory=dict)  # reason -> files
    padded_short_files: list[Path] = field(default_factory=list)
    scaled_files: list[Path] = field(default_factory=list)  # float files beyond +-1, scaled to peak 1
    held_out: str = "files"  # "files" or "tails" (the last part of a single take)

    def summary(self) -> str:
        parts = [f"{len(self.audio)} windows from {len(set(self.files))} files"]
        if self.padded_short_files:
            parts.append(f"{len(self.padded_short_files)} shorter than a window (zero-padded)")
        if self.scaled_files:
            parts.append(f"{len(self.scaled_files)} beyond +-1 (scaled to peak 1)")
        if self.held_out == "tails":
            parts.append("validation: the last part of the take")
        for reason, paths in sorted(self.skipped.items()):
            names = ", ".join(p.name for p in paths[:3]) + (" ..." if len(paths) > 3 else "")
            parts.append(f"skipped {len(paths)} {reason}: {names}")
        return "; ".join(parts)


def _name_hash(path: Path) -> int:
    return int(hashlib.sha256(path.name.encode()).hexdigest(), 16) % 10_000


def _held_out_files(paths: list[Path], fraction: float) -> list[bool]:
    """Which whole files validate: those whose name hash falls under `fraction`; when that leaves a
    side empty, the ``ceil(fraction * n)`` files of lowest hash (at least one, never all)."""
    if fraction <= 0 or not paths:
        return [False] * len(paths)
    chosen = [_name_hash(p) < fraction * 10_000 for p in paths]
    if len(paths) > 1 and (all(chosen) or not any(chosen)):
        n = min(max(1, int(np.ceil(fraction * len(paths)))), len(paths) - 1)
        lowest = set(sorted(range(len(paths)), key=lambda i: (_name_hash(paths[i]), paths[i].name))[:n])
        chosen = [i in lowest for i in range(len(paths))]
    return chosen


def _tail_cut(n_samples: int, fraction: float, window: int, hop: int) -> int:
    """Where a single take's validation tail starts: `fraction` of it, at least a window if it has two."""
    cut = int(round((1 - fraction) * n_samples / hop)) * hop
    if n_samples - cut < window <= n_samples - window:
        cut = (n_samples - window) // hop * hop
    return cut


def scan_recordings(
    folder: str | Path,
    sample_rate: int = 16000,
    window_seconds: float = 4.0,
    hop_seconds: float = 1.0,
    valid_fraction: float = 0.0,
    pcm_scale: str = "full",
) -> RecordingWindows:
    """Read every usable file of `folder` into windows; whole files go to the held-out split.

    Raises:
        FileNotFoundError: no folder or no audio files.
        ValueError: no file was usable (the message lists why each was skipped).
    """
    window, hop = int(window_seconds * sample_rate), int(hop_seconds * sample_rate)
    loaded: list[tuple[Path, np.ndarray]] = []
    skipped: dict[str, list[Path]] = defaultdict(list)
    short: list[Path] = []
    scaled: list[Path] = []
    for path in find_audio_files(folder):
        try:
            audio = load_audio(path, sample_rate, pcm_scale)
        except AudioFileError as exc:
            skipped[exc.reason.split(" (")[0]].append(path)
            continue
        peak = float(np.abs(audio).max())
        if peak > 1.0:
            log.warning("%s: samples reach %.2f, beyond full scale; scaled to peak 1", path, peak)
            audio = audio / peak
            scaled.append(path)
        if len(audio) < window:
            short.append(path)
        loaded.append((path, audio))
    by_file = _held_out_files([path for path, _ in loaded], valid_fraction)
    tails = valid_fraction > 0 and len(loaded) == 1
    chunks, files, splits = [], [], []
    for (path, audio), valid in zip(loaded, by_file, strict=True):
        if tails:  # train on the head of the take, validate on its tail: no sample on both sides
            cut = _tail_cut(len(audio), valid_fraction, window, hop)
            parts = [(audio[:cut], "train"), (audio[cut:], "valid")]
        else:
            parts = [(audio, "valid" if valid else "train")]
        for part, label in parts:
            if len(part) == 0:
                continue
            windows = split_windows(part, window, hop)
            chunks.append(windows)
            files += [path] * len(windows)
            splits += [label] * len(windows)
    result = RecordingWindows(
        audio=np.concatenate(chunks) if chunks else np.zeros((0, window), np.float32),
        files=files,
        splits=splits,
        skipped=dict(skipped),
        padded_short_files=short,
        scaled_files=scaled,
        held_out="tails" if tails else "files",
    )
    if not chunks:
        raise ValueError(f"no usable recordings in {folder}: {result.summary()}")
    return result
