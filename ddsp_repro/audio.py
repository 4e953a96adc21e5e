"""Audio in and out, once for the whole package: load, check, write a WAV, write any file atomically.

- `load_audio`: mono float32 at a given rate from anything libsndfile reads, with a named error
  (`AudioFileError`) for unreadable, empty, NaN, silent or DC-only files.
- `audio_problem` / `check_audio`: the one test of whether audio is fit to hear (NaN or infinite
  samples, silence below -80 dBFS, a peak beyond full scale).
- `write_wav`: the one WAV writer, with an explicit policy for peaks beyond full scale.
- `atomic_path`, `write_text_atomic`, `write_json_atomic`: a file or folder is written under a
  temporary name and renamed into place, so a kill or a full disk never leaves half a file where a
  complete one is expected, and never destroys the previous version.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "PCM_SCALES",
    "SILENCE_PEAK",
    "AudioFileError",
    "StorageError",
    "atomic_path",
    "audio_problem",
    "check_audio",
    "file_sha256",
    "load_audio",
    "resample_audio",
    "storage_error",
    "write_json_atomic",
    "write_text_atomic",
    "write_wav",
]

SILENCE_PEAK = 1e-5  # below this peak (-100 dBFS) audio counts as silent
RECORDING_SILENCE_PEAK = 1e-4  # a recording to learn from must reach -80 dBFS
PCM_SCALES = ("full", "v0.0.6")
HEADROOM = 0.98  # the peak `write_wav(peak="scale")` scales loud audio down to


class AudioFileError(ValueError):
    """A file that cannot be used, with the file's path and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StorageError(RuntimeError):
    """A file could not be written (full disk, read-only or missing folder); names the file and what to do."""


@contextmanager
def atomic_path(path: str | Path, unique: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of `path` to write (a file or a folder); rename it into place on success.

    The temporary is flushed to the disk (`fsync` of each file, then of the folder after the
    rename), so a power cut leaves either the previous version or the complete new one. On an
    exception the temporary is removed and whatever `path` held before is untouched; a write that
    fails for lack of space or permission raises `StorageError` naming `path`.
    `unique` gives the temporary a per-process name, for writers that may race on one path.
    """
    path = Path(path)
    tag = f".{os.getpid()}" if unique else ""
    partial = path.with_name(f".{path.name}{tag}.partial")
    try:
        _remove(partial)
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        error = storage_error(path, exc) if exc.errno != errno.ENOENT else None
        raise error or StorageError(
            f"could not create the folder {path.parent} ({exc.strerror}); choose a writable place"
        ) from exc
    try:
        yield partial
        _fsync_tree(partial)
        if partial.is_dir() and path.is_dir():
            shutil.rmtree(path)  # os.replace cannot replace a non-empty folder
        os.replace(partial, path)
        _fsync(path.parent)
    except BaseException as exc:
        _remove(partial)
        if isinstance(exc, OSError | RuntimeError) and not isinstance(exc, StorageError):
            error = storage_error(path, exc)
            if error is not None:
                raise error from exc
        raise


def storage_error(path: Path, exc: BaseException) -> StorageError | None:
    """A `StorageError` that explains why writing `path` failed, or None if `exc` is not about storage.

    torch's checkpoint writer reports a full disk as ``RuntimeError: ... unexpected pos``; that
    case is recognised by the free space left.
    """
    folder = next((p for p in (path.parent, *path.parents) if p.exists()), Path("/"))
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    code = getattr(exc, "errno", None)
    about_here = str(getattr(exc, "filename", None) or path).startswith(str(path.parent))
    torch_writer = isinstance(exc, RuntimeError) and any(
        words in str(exc) for words in ("unexpected pos", "file write failed", "PytorchStreamWriter")
    )
    if code in (errno.ENOSPC, errno.EDQUOT) or (torch_writer and free is not None and free < 64 * 2**20):
        left = "" if free is None else f" ({free / 2**20:.1f} MiB free)"
        return StorageError(
            f"could not write {path}: the disk holding {folder} is full{left}; free some space there "
            "(or point the output elsewhere) and run the same command again, with --resume for a "
            "training run; the files written before are intact"
        )
    if code == errno.EROFS or (code in (errno.EACCES, errno.EPERM) and about_here):
        return StorageError(
            f"could not write {path}: {folder} is read-only or not yours ({os.strerror(code)}); "
            "choose a writable folder (--logging.runs-dir for training runs)"
        )
    if code == errno.ENOENT and about_here:
        return StorageError(
            f"could not write {path} ({os.strerror(code)}); check that {folder} exists and is writable"
        )
    return None


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _fsync(path: Path) -> None:
    """Flush `path` (a file or a folder) to the disk; folders that cannot be opened are skipped."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a folder
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            _fsync(child)
    _fsync(path)


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex), read once per version of the file in a process.

    A version is the file's (size, modification time); a rewritten file is read again.
    """
    stat = os.stat(path)
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA256_SEEN:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _SHA256_SEEN[key] = digest.hexdigest()
    return _SHA256_SEEN[key]


_SHA256_SEEN: dict[tuple[str, int, int], str] = {}


def write_text_atomic(path: str | Path, text: str) -> Path:
    with atomic_path(path) as partial:
        partial.write_text(text)
    return Path(path)


def write_json_atomic(path: str | Path, data: Any, **dumps: Any) -> Path:
    """`data` as JSON (``json.dumps(data, **dumps)`` plus a final newline), atomically."""
    return write_text_atomic(path, json.dumps(data, **dumps) + "\n")


def audio_problem(audio: np.ndarray, silence: float = SILENCE_PEAK) -> str | None:
    """Why `audio` is unfit to hear (NaN or infinite samples, silent, clipped), or None.

    `silence`: the peak below which audio counts as silent.
    """
    audio = np.asarray(audio)
    if not np.all(np.isfinite(audio)):
        return "contains NaN or inf"
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < silence:
        return f"is silent (peak {peak:.1e})"
    if peak > 1.0:
        return f"clips (peak {peak:.2f})"
    return None


def check_audio(audio: np.ndarray, name: str, allow_loud: bool = False) -> None:
    """Raise ValueError naming `name` if `audio` is NaN, silent or (unless `allow_loud`) clipped."""
    problem = audio_problem(audio)
    if problem and not (allow_loud and problem.startswith("clips")):
        raise ValueError(f"{name}: the audio {problem}")


def write_wav(
    path: str | Path,
    audio: np.ndarray,
    sample_rate: int,
    peak: str = "scale",
    bad: str = "raise",
    subtype: str = "PCM_16",
) -> dict:
    """Write mono `audio` as a WAV file, atomically; returns ``{"path", "peak", "scaled_by"}``.

    Args:
        peak: what happens to a peak beyond full scale: ``"scale"`` (the whole file is scaled down
            to 0.98 of full scale and the factor reported), ``"clip"`` (samples are clipped) or
            ``"raise"``.
        bad: what happens to NaN/infinite or silent audio: ``"raise"`` (ValueError), ``"warn"``
            or ``"write"`` (written, non-finite samples as 0: listening examples early in training).
        subtype: libsndfile subtype (``"PCM_16"``, ``"FLOAT"``, ...).
    """
    import soundfile as sf

    if peak not in ("scale", "clip", "raise") or bad not in ("raise", "warn", "write"):
        raise ValueError(f"unknown policy peak={peak!r}, bad={bad!r}")
    path = Path(path)
    audio = np.asarray(audio, dtype=np.float32)
    problem = audio_problem(audio)
    if problem and not problem.startswith("clips"):
        if bad == "raise":
            raise ValueError(f"{path.name}: the audio {problem}")
        if bad == "warn":
            warnings.warn(f"{path}: the audio {problem}", stacklevel=2)
        audio = np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0)
    top = float(np.abs(audio).max()) if audio.size else 0.0
    scale = 1.0
    if top > 1.0 and peak == "raise":
        raise ValueError(f"{path.name}: the audio clips (peak {top:.2f})")
    if peak == "scale" and top > HEADROOM:
        scale = HEADROOM / top
        audio = audio * scale
    elif peak == "clip":
        audio = np.clip(audio, -1.0, 1.0)
    with atomic_path(path) as partial:
        sf.write(partial, audio, sample_rate, subtype=subtype, format="WAV")
    return {"path": path.name, "peak": round(top, 4), "scaled_by": round(scale, 4)}


def resample_audio(audio, orig_sr: int, target_sr: int):
    """Band-limited polyphase resampling along the last axis (numpy array or tensor, not differentiable).

    A tensor comes back as a tensor of its dtype and device, an array as float32.
    """
    from fractions import Fraction

    from scipy.signal import resample_poly

    if orig_sr == target_sr:
        return audio
    ratio = Fraction(int(target_sr), int(orig_sr))
    if isinstance(audio, np.ndarray):
        return resample_poly(audio, ratio.numerator, ratio.denominator, axis=-1).astype(np.float32)
    import torch

    out = resample_poly(audio.detach().cpu().double().numpy(), ratio.numerator, ratio.denominator, axis=-1)
    return torch.from_numpy(np.ascontiguousarray(out)).to(device=audio.device, dtype=audio.dtype)


def load_audio(path: str | Path, sample_rate: int = 16000, pcm_scale: str = "full") -> np.ndarray:
    """Mono float32 audio at `sample_rate` from any file libsndfile reads (stereo is averaged).

    Integer PCM is read to full scale (16-bit 32767 -> ~1.0). ``pcm_scale="v0.0.6"`` reproduces
    the official v0.0.6 `prepare_tfrecord_lib._load_audio`, which divides b-byte integers by
    2^(8 b) rather than 2^(8 b - 1), so its training audio (the paper's violin) peaks at +-0.5;
    float files are not affected there either way.

    Raises:
        AudioFileError: unreadable/truncated file, NaN or infinite samples, silence, or a constant
            (DC-only) signal.
    """
    import soundfile as sf

    if pcm_scale not in PCM_SCALES:
        raise ValueError(f"pcm_scale must be one of {PCM_SCALES}, got {pcm_scale!r}")
    path = Path(path)
    try:
        audio, file_rate = sf.read(path, dtype="float32", always_2d=True)
        integer = sf.info(str(path)).subtype.startswith("PCM_")
    except Exception as exc:  # libsndfile raises several types for corrupt input
        raise AudioFileError(path, f"unreadable ({type(exc).__name__}: {exc})") from exc
    if pcm_scale == "v0.0.6" and integer:
        audio = audio * 0.5
    if audio.size == 0:
        raise AudioFileError(path, "empty (no samples)")
    mono = audio.mean(axis=1)
    problem = audio_problem(mono, silence=RECORDING_SILENCE_PEAK)
    if problem == "contains NaN or inf":
        raise AudioFileError(path, "holds NaN or infinite samples")
    if problem and problem.startswith("is silent"):
        raise AudioFileError(path, "silent (peak below -80 dBFS)")
    if mono.size >= 1024 and float(np.abs(mono - mono.mean()).max()) < RECORDING_SILENCE_PEAK:
        raise AudioFileError(path, "DC only (a constant offset, no sound)")
    return resample_audio(mono, int(file_rate), int(sample_rate))
