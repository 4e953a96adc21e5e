"""Ready-to-train feature folders for the offline sources, built and prepared on first use.

Each function renders the raw audio if it is missing (`builtin.build`, `violin.build_violin`) and
prepares features (`prepare.prepare`, resumable), all under one data root:

    ROOT/builtin_nsynth[_p{step}_v{velocities}]/           raw notes, NSynth layout
    ROOT/prepared/builtin_nsynth[...]_{crepe}/{train,valid}  features
    ROOT/violin_{minutes}min/                               raw tunes
    ROOT/prepared/violin_{minutes}min_{crepe}_v{fraction}/  features with train/valid splits
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ddsp_repro.data.builtin import BuiltinSpec, ensure_builtin
from ddsp_repro.data.prepare import MANIFEST, FeatureSettings, prepare, summarize
from ddsp_repro.logs import get_logger

if TYPE_CHECKING:
    from ddsp_repro.data.config import DataConfig

__all__ = ["builtin_features", "split_dataset", "violin_features"]

log = get_logger(__name__)


def _prepared(src: Path, out: Path, settings: FeatureSettings, workers: int) -> Path:
    if not ((out / MANIFEST).is_file() and summarize(out)["complete"]):
        log.info("preparing features of %s into %s (CREPE %s; resumable)", src, out, settings.crepe_model)
        prepare(src, out, settings, workers=workers)
    return out


def builtin_features(
    root: str | Path,
    pitch_step: int = 1,
    velocities: tuple[int, ...] = (50, 75, 100, 127),
    crepe_model: str = "full",
    workers: int = 1,
    splits: tuple[str, ...] = ("train", "valid"),
) -> tuple[Path, ...]:
    """Feature folders of the built-in NSynth-format set, one per split asked for."""
    root = Path(root)
    spec = BuiltinSpec(velocities=tuple(velocities), pitch_step=pitch_step)
    name = "builtin_nsynth"
    if spec != BuiltinSpec():
        name += f"_p{pitch_step}_v{'-'.join(str(v) for v in velocities)}"
    raw = ensure_builtin(root / name, spec)
    return tuple(  # type: ignore[return-value]
        _prepared(
            raw,
            root / "prepared" / f"{name}_{crepe_model}" / split,
            FeatureSettings(crepe_model=crepe_model, split=split),
            workers,
        )
        for split in splits
    )


def violin_features(
    root: str | Path,
    minutes: float = 13.0,
    crepe_model: str = "full",
    valid_fraction: float = 0.1,
    workers: int = 1,
) -> Path:
    """The feature folder (with train / valid splits) of the solo-violin stand-in."""
    from ddsp_repro.data.violin import ViolinSpec, build_violin

    root = Path(root)
    name = f"violin_{minutes:g}min"
    raw = root / name
    if not (raw / "tunes.json").is_file():
        result = build_violin(raw, ViolinSpec(minutes=minutes))
        log.info("built the violin set at %s: %s", raw, result)
    out = root / "prepared" / f"{name}_{crepe_model}_v{valid_fraction:g}"
    return _prepared(
        raw, out, FeatureSettings(crepe_model=crepe_model, valid_fraction=valid_fraction), workers
    )


def split_dataset(
    d: DataConfig, split: str, data_dir: str | Path | None = None, shuffle: bool = False, seed: int = 0
) -> tuple[Any, dict]:
    """(dataset, description) of one split of the data `d` describes (or of a prepared `data_dir`).

    The one place a data source is chosen, for training and evaluation alike. The offline sources
    are built and prepared if missing; TFDS is read where `d.tfds_dir` says (`shuffle`: its files
    in a `seed`ed order, for training).

    Raises:
        FileNotFoundError: a prepared folder that does not exist.
        ValueError: a split the source does not have, or a ``prepared`` source without a folder.
    """
    from ddsp_repro.data.datamodule import PreparedDataset

    if data_dir is not None:
        return PreparedDataset(data_dir, split=None), {"source": "prepared", "folder": str(data_dir)}
    if d.source == "tfds":
        from ddsp_repro.data.tfds_nsynth import TfdsNSynth

        dataset = TfdsNSynth(split, d.tfds_dir, d.tfds_version, shuffle_files=shuffle, seed=seed)
        return dataset, {"source": "tfds", **dataset.metadata}
    if d.source == "builtin":
        (folder,) = builtin_features(
            d.root,
            d.builtin_pitch_step,
            d.builtin_velocities,
            d.crepe_model,
            d.prepare_workers,
            splits=(split,),
        )
        return PreparedDataset(folder), {"source": "builtin", "folder": str(folder), **_manifest(folder)}
    if d.source == "violin":
        if split == "test":
            raise ValueError("the violin data has train and valid splits only; use --split valid")
        folder = violin_features(d.root, d.violin_minutes, d.crepe_model, d.valid_fraction, d.prepare_workers)
        return PreparedDataset(folder, split=split), {"source": "violin", "folder": str(folder)}
    if not d.train_dir:
        raise ValueError(
            "data.source 'prepared' needs --data.train-dir (a folder written by `ddsp-repro prepare`)"
        )
    for given in (d.train_dir, d.val_dir):
        if given and not Path(given).is_dir():
            raise FileNotFoundError(f"data folder {given} does not exist")
    if split == "train":
        return PreparedDataset(d.train_dir, split="train"), {"source": "prepared", "folder": d.train_dir}
    folder = d.val_dir or d.train_dir
    dataset = PreparedDataset(folder, split=None if d.val_dir else "valid")
    return dataset, {"source": "prepared", "folder": folder}


def _manifest(folder: Path) -> dict:
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    return {"feature_settings": manifest["settings"], "source_hash": manifest["source_hash"][:16]}
