"""Compute conditioning features once, offline: `ddsp-repro prepare SRC OUT`.

SRC is an NSynth-format folder (raw NSynth or `ddsp_repro.data.builtin`) or a folder of your own
recordings. For every 4 s example this stores the audio with CREPE f0 and confidence (Viterbi,
250 Hz, end padding: 1000 frames, as TFDS NSynth) and paper-era loudness (dB, 250 Hz), in shards
of `--shard-size` examples, computed by `--workers` processes with a progress bar.

Safe to interrupt: each shard is written to a temporary file, flushed and renamed into place, so
a shard file either is complete or does not exist, and a rerun skips the shards already there.
The manifest (`manifest.json`) records the feature settings, a hash of the source files' contents
and the SHA-256 of every finished shard; a rerun whose settings or sources differ stops with a
"stale cache" error instead of mixing them (`--overwrite` starts afresh), and a shard that no
longer matches its checksum (a damaged disk, a bad copy) is recomputed, never loaded.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ddsp_repro.audio import atomic_path, file_sha256, write_json_atomic
from ddsp_repro.logs import get_logger
from ddsp_repro.rates import ALIGNMENTS, default_alignment, hop_for, paddings, samples_for

__all__ = ["FeatureSettings", "StaleCacheError", "load_prepared", "prepare"]

log = get_logger(__name__)

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


class StaleCacheError(RuntimeError):
    """OUT holds features computed with other settings or from other sources."""


@dataclass(frozen=True)
class FeatureSettings:
    """How features are computed. At another rate than 16 kHz use `FeatureSettings.at_rate`."""

    sample_rate: int = 16000
    frame_rate: int = 250  # requested; the hop is round(sample_rate / frame_rate) (ddsp_repro.rates)
    n_seconds: float = 4.0  # rounded up to whole hops, zero-padded at the end
    crepe_model: str = "full"
    viterbi: bool = True
    f0_padding: str = "end"
    loudness_semantics: str = "paper"
    split: str = "train"  # NSynth sources only
    # NSynth sources only: "acoustic" (acoustic, MIDI 24-84, within `split`), "gansynth" (the TFDS
    # gansynth_subset re-split; needs gansynth_splits.csv) or "all".
    subset: str = "acoustic"
    splits_csv: str | None = None
    valid_fraction: float = 0.0  # recordings only: whole files held out
    pcm_scale: str = "full"  # recordings only: "v0.0.6" halves integer PCM as the official prepare did
    loudness_padding: str | None = None  # None: the loudness semantics' own ("end" for the paper's)

    @classmethod
    def at_rate(cls, sample_rate: int, alignment: str | None = None, **changes) -> FeatureSettings:
        """Settings for a model at `sample_rate` (alignment: "paper" at 16 kHz, else "centered")."""
        alignment = alignment or default_alignment(sample_rate)
        f0_padding, loudness_padding = paddings(alignment)
        return cls(
            sample_rate=sample_rate, f0_padding=f0_padding, loudness_padding=loudness_padding, **changes
        )

    @property
    def hop(self) -> int:
        return hop_for(self.sample_rate, self.frame_rate)

    @property
    def n_samples(self) -> int:
        """Samples per example: `n_seconds` rounded up to whole hops (64000 at 16 kHz)."""
        return samples_for(self.n_seconds, self.sample_rate, self.hop)

    @property
    def alignment(self) -> str | None:
        """The alignment these paddings are (None: a combination no model uses)."""
        pair = (self.f0_padding, self.loudness_padding)
        return next((name for name, p in ALIGNMENTS.items() if p == pair), None)


def _source_items(
    src: Path, settings: FeatureSettings
) -> tuple[str, list[dict], dict[str, list[str]], list[Path]]:
    """(kind, items, skipped-at-scan, source files). Items carry a path or the audio itself."""
    from ddsp_repro.data.nsynth import acoustic_subset, gansynth_subset, read_examples
    from ddsp_repro.data.recordings import scan_recordings

    if settings.subset == "gansynth":
        examples = gansynth_subset(src, settings.split, settings.splits_csv)
    elif (src / f"nsynth-{settings.split}" / "examples.json").is_file():
        examples = read_examples(src, settings.split)
        if settings.subset == "acoustic":
            examples = acoustic_subset(examples)
        elif settings.subset != "all":
            raise ValueError(f"subset must be 'acoustic', 'gansynth' or 'all', got {settings.subset!r}")
    else:
        examples = None
    if examples is not None:
        items = [
            {
                "id": e.note_str,
                "path": str(e.path),
                "pitch": e.pitch,
                "velocity": e.velocity,
                "instrument": e.instrument_str,
                "family": e.instrument_family_str,
            }
            for e in examples
        ]
        listings = sorted(src.glob("nsynth-*/examples.json"))
        if settings.subset == "gansynth":
            from ddsp_repro.data.nsynth import find_gansynth_splits

            listings.append(Path(settings.splits_csv) if settings.splits_csv else find_gansynth_splits(src))
        files = listings + [e.path for e in examples]
        return "nsynth", items, {}, files
    windows = scan_recordings(
        src,
        settings.sample_rate,
        settings.n_seconds,
        valid_fraction=settings.valid_fraction,
        pcm_scale=settings.pcm_scale,
    )
    counters: dict[str, int] = {}
    items = []
    for audio, path, split in zip(windows.audio, windows.files, windows.splits, strict=True):
        counters[str(path)] = counters.get(str(path), -1) + 1
        items.append({"id": f"{path.relative_to(src)}#{counters[str(path)]}", "audio": audio, "split": split})
    skipped = {reason: [str(p) for p in paths] for reason, paths in windows.skipped.items()}
    return (
        "recordings",
        items,
        skipped,
        sorted(set(windows.files) | {p for ps in windows.skipped.values() for p in ps}),
    )


def _content_hash(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.name).encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _shard_name(index: int) -> str:
    return f"shard-{index:05d}.npz"


def _readable_shard(path: Path) -> bool:
    """Every array of `path` loads (zip CRCs checked): a shard of an older manifest without checksums."""
    try:
        with np.load(path) as data:
            for key in data.files:
                data[key]
    except Exception:  # any failure to read is a damaged file here
        return False
    return True


def _compute_shard(job: tuple[int, list[dict], dict, str]) -> tuple[int, str]:
    """Features for one shard, written atomically. Returns (shard index, the file's SHA-256)."""
    import torch

    from ddsp_repro.audio import AudioFileError, load_audio
    from ddsp_repro.crepe import compute_features

    index, items, settings_dict, out = job
    settings = FeatureSettings(**settings_dict)
    torch.set_num_threads(1)
    n_samples = settings.n_samples
    kept, audios, skipped = [], [], []
    for item in items:
        try:
            audio = item["audio"] if "audio" in item else load_audio(item["path"], settings.sample_rate)
        except AudioFileError:
            skipped.append(item["id"])
            continue
        fitted = np.zeros(n_samples, np.float32)
        fitted[: min(n_samples, len(audio))] = audio[:n_samples]
        audios.append(fitted)
        kept.append(item)
    arrays: dict[str, np.ndarray] = {
        "ids": np.array([i["id"] for i in kept], dtype=str),
        "skipped_ids": np.array(skipped, dtype=str),
    }
    if kept:
        batch = torch.from_numpy(np.stack(audios))
        features = compute_features(
            batch,
            settings.sample_rate,
            settings.hop,
            (settings.f0_padding, settings.loudness_padding),
            crepe_model=settings.crepe_model,
            viterbi=settings.viterbi,
            loudness_semantics=settings.loudness_semantics,
        )
        f0_hz, confidence, loudness = (features[k] for k in ("f0_hz", "f0_confidence", "loudness_db"))
        arrays.update(
            audio=batch.numpy(),
            f0_hz=f0_hz.numpy(),
            f0_confidence=confidence.numpy(),
            loudness_db=loudness.numpy(),
        )
        for key in ("pitch", "velocity", "instrument", "family", "split"):
            if key in kept[0]:
                arrays[key] = np.array([i[key] for i in kept])
    final = Path(out) / _shard_name(index)
    with atomic_path(final) as partial:
        with open(partial, "wb") as f:
            np.savez(f, **arrays)
        sha = file_sha256(partial)
    return index, sha


def prepare(
    src: str | Path,
    out: str | Path,
    settings: FeatureSettings = FeatureSettings(),
    workers: int = 1,
    shard_size: int = 32,
    overwrite: bool = False,
    limit: int | None = None,
    progress: bool = True,
) -> dict:
    """Compute features for every example of `src` into shards under `out`; returns the manifest."""
    from tqdm import tqdm

    src, out = Path(src), Path(out)
    kind, items, scan_skipped, files = _source_items(src, settings)
    if limit is not None:
        items = items[:limit]
    if not items:
        raise ValueError(f"{src} has no examples to prepare")
    manifest = {
        "format_version": FORMAT_VERSION,
        "source": str(src.resolve()),
        "source_kind": kind,
        "settings": asdict(settings),
        "source_hash": _content_hash(files),
        "n_items": len(items),
        "shard_size": shard_size,
        "limit": limit,
        "skipped_at_scan": scan_skipped,
    }
    manifest_path = out / MANIFEST
    if overwrite and out.exists():
        shutil.rmtree(out)
    if manifest_path.is_file():
        old = json.loads(manifest_path.read_text())
        old["settings"] = {**asdict(FeatureSettings()), **old.get("settings", {})}  # fields added since
        differs = [
            k
            for k in ("format_version", "source_kind", "settings", "source_hash", "n_items", "shard_size")
            if old.get(k) != manifest[k]
        ]
        if differs:
            raise StaleCacheError(
                f"{out} holds features made with different {', '.join(differs)}; "
                "rerun with --overwrite to recompute, or choose another OUT"
            )
    out.mkdir(parents=True, exist_ok=True)
    shards = [items[i : i + shard_size] for i in range(0, len(items), shard_size)]
    manifest["shard_sha256"] = _finished_shards(out, len(shards))
    write_json_atomic(manifest_path, manifest, indent=2)

    jobs = [
        (i, shard, asdict(settings), str(out))
        for i, shard in enumerate(shards)
        if _shard_name(i) not in manifest["shard_sha256"]
    ]
    done = len(shards) - len(jobs)
    bar = tqdm(
        total=len(shards),
        initial=done,
        desc="preparing features",
        unit="shard",
        disable=not progress,
        file=sys.stderr,
    )
    record = _ManifestWriter(manifest_path, manifest)
    if workers > 1 and len(jobs) > 1:
        with mp.get_context("spawn").Pool(min(workers, len(jobs))) as pool:
            for index, sha in pool.imap_unordered(_compute_shard, jobs):
                record(index, sha)
                bar.update(1)
    else:
        for job in jobs:
            record(*_compute_shard(job))
            bar.update(1)
    record.flush()
    bar.close()
    return summarize(out)


class _ManifestWriter:
    """Adds finished shards' checksums to the manifest, written at most every `every` seconds and
    at the end (a shard finished in between is kept by the next run if it reads: `_finished_shards`)."""

    def __init__(self, path: Path, manifest: dict, every: float = 10.0) -> None:
        self.path, self.manifest, self.every = path, manifest, every
        self.written = time.monotonic()

    def __call__(self, index: int, sha: str) -> None:
        self.manifest["shard_sha256"][_shard_name(index)] = sha
        if time.monotonic() - self.written >= self.every:
            self.flush()

    def flush(self) -> None:
        write_json_atomic(self.path, self.manifest, indent=2)
        self.written = time.monotonic()


def _finished_shards(out: Path, n_shards: int) -> dict[str, str]:
    """``{name: sha256}`` of the shards already in `out` that can be kept; damaged ones are removed.

    A shard whose checksum the manifest holds must still match it; one the manifest does not know
    (the run was killed between the shard's rename and the manifest's update, or the folder was
    prepared before checksums were kept) is kept if it reads completely.
    """
    recorded = {}
    if (out / MANIFEST).is_file():
        recorded = json.loads((out / MANIFEST).read_text()).get("shard_sha256", {})
    kept = {}
    for index in range(n_shards):
        name = _shard_name(index)
        path = out / name
        if not path.is_file():
            continue
        sha = file_sha256(path)
        if recorded.get(name, sha) == sha and (name in recorded or _readable_shard(path)):
            kept[name] = sha
        else:
            log.warning(
                "%s is damaged (it does not match its checksum in %s): recomputing it", path, MANIFEST
            )
            path.unlink()
    return kept


def summarize(out: str | Path) -> dict:
    """Counts over the finished shards of `out` (examples kept and skipped).

    ``complete`` means every shard is there and matches its checksum (``damaged`` lists those that
    do not; rerunning the same prepare command recomputes them).
    """
    out = Path(out)
    manifest = json.loads((out / MANIFEST).read_text())
    recorded = manifest.get("shard_sha256")
    kept = skipped = 0
    damaged = []
    shards = sorted(out.glob("shard-*.npz"))
    for shard in shards:
        if recorded is not None and recorded.get(shard.name) != file_sha256(shard):
            damaged.append(shard.name)
            continue
        with np.load(shard) as data:
            kept += len(data["ids"])
            skipped += len(data["skipped_ids"])
    n_shards = -(-manifest["n_items"] // manifest["shard_size"])
    return {
        **manifest,
        "examples": kept,
        "skipped_unreadable": skipped,
        "damaged": damaged,
        "complete": len(shards) - len(damaged) == n_shards,
    }


def load_prepared(out: str | Path) -> dict[str, np.ndarray]:
    """All shards of a finished preparation, concatenated (a clear error if it is unfinished)."""
    out = Path(out)
    if not (out / MANIFEST).is_file():
        raise FileNotFoundError(
            f"{out} has no {MANIFEST}: run `python -m ddsp_repro.data.prepare SRC {out}` first"
        )
    summary = summarize(out)
    if summary["damaged"]:
        raise RuntimeError(
            f"{out}: {', '.join(summary['damaged'])} do not match the checksums in {MANIFEST} (damaged "
            "files); rerun the same prepare command to recompute them"
        )
    if not summary["complete"]:
        raise RuntimeError(f"{out} is unfinished; rerun the same prepare command to resume it")
    parts: dict[str, list[np.ndarray]] = {}
    for shard in sorted(out.glob("shard-*.npz")):
        with np.load(shard) as data:
            if len(data["ids"]) == 0:
                continue
            for key in data.files:
                if key != "skipped_ids":
                    parts.setdefault(key, []).append(data[key])
    return {key: np.concatenate(values) for key, values in parts.items()}


def resolve_subset(src: Path, subset: str, split: str, splits_csv: Path | None) -> str:
    """``auto`` -> ``gansynth`` when the splits list is given or beside the data, else ``acoustic``."""
    if subset != "auto":
        return subset
    from ddsp_repro.data.nsynth import find_gansynth_splits

    subset = "gansynth" if splits_csv or find_gansynth_splits(src) else "acoustic"
    if subset == "acoustic" and (Path(src) / f"nsynth-{split}").is_dir():
        log.warning(
            "no gansynth_splits.csv beside the data: preparing the acoustic MIDI 24-84 notes of "
            "nsynth-%s, not the TFDS gansynth_subset split (pass --splits-csv for that)",
            split,
        )
    return subset


if __name__ == "__main__":  # the documented `python -m` form of `ddsp-repro prepare`
    from ddsp_repro.cli import run_command

    run_command("prepare")
