"""Ready-to-train feature folders for the offline sources, built and prepared on first use.

Each function renders the raw audio if it is missing (`builtin.build`, `violin.build_violin`) and
prepares features (`prepare.prepare`, resumable), all under one data root:

    ROOT/builtin_nsynth[_p{step}_v{velocities}][_48k]/           raw notes, NSynth layout
    ROOT/prepared/builtin_nsynth[...][_48k]_{crepe}/{train,valid}  features
    ROOT/violin_{minutes}min[_48k]/                               raw tunes
    ROOT/prepared/violin_{minutes}min[_48k]_{crepe}_v{fraction}/  features with train/valid splits

At 16 kHz the names have no rate; at another rate (`ddsp_repro.rates.rate_tag`) the audio is
rendered at that rate and the features are on its frame grid with the "centered" alignment.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ddsp_repro.data.builtin import BuiltinSpec, ensure_builtin
from ddsp_repro.data.prepare import MANIFEST, FeatureSettings, prepare, summarize
from ddsp_repro.logs import get_logger
from ddsp_repro.rates import PAPER_SAMPLE_RATE, default_alignment, rate_tag

if TYPE_CHECKING:
    from ddsp_repro.data.config import DataConfig

__all__ = ["builtin_features", "check_grid", "split_dataset", "violin_features"]

log = get_logger(__name__)


def _prepared(src: Path, out: Path, settings: FeatureSettings, workers: int) -> Path:
    if not ((out / MANIFEST).is_file() and summarize(out)["complete"]):
        log.info("preparing features of %s into %s (CREPE %s; resumable)", src, out, settings.crepe_model)
        prepare(src, out, settings, workers=workers)
    return out


def _grid_tag(sample_rate: int, alignment: str | None, with_rate: bool = True) -> str:
    """The rate (when `with_rate`) and, when it is not the rate's default, the alignment."""
    tag = rate_tag(sample_rate) if with_rate else ""
    return tag + (f"_{alignment}" if alignment and alignment != default_alignment(sample_rate) else "")


def builtin_features(
    root: str | Path,
    pitch_step: int = 1,
    velocities: tuple[int, ...] = (50, 75, 100, 127),
    crepe_model: str = "full",
    workers: int = 1,
    splits: tuple[str, ...] = ("train", "valid"),
    sample_rate: int = PAPER_SAMPLE_RATE,
    alignment: str | None = None,
) -> tuple[Path, ...]:
    """Feature folders of the built-in NSynth-format set, one per split asked for."""
    root = Path(root)
    spec = BuiltinSpec(velocities=tuple(velocities), pitch_step=pitch_step)
    name = "builtin_nsynth"
    if spec != BuiltinSpec():
        name += f"_p{pitch_step}_v{'-'.join(str(v) for v in velocities)}"
    raw = ensure_builtin(root / (name + rate_tag(sample_rate)), replace(spec, sample_rate=sample_rate))
    name += _grid_tag(sample_rate, alignment)
    return tuple(  # type: ignore[return-value]
        _prepared(
            raw,
            root / "prepared" / f"{name}_{crepe_model}" / split,
            FeatureSettings.at_rate(sample_rate, alignment, crepe_model=crepe_model, split=split),
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
    sample_rate: int = PAPER_SAMPLE_RATE,
    alignment: str | None = None,
) -> Path:
    """The feature folder (with train / valid splits) of the solo-violin stand-in."""
    from ddsp_repro.data.violin import ViolinSpec, build_violin

    root = Path(root)
    name = f"violin_{minutes:g}min{rate_tag(sample_rate)}"
    raw = root / name
    if not (raw / "tunes.json").is_file():
        result = build_violin(raw, ViolinSpec(minutes=minutes, sample_rate=sample_rate))
        log.info("built the violin set at %s: %s", raw, result)
    out = (
        root
        / "prepared"
        / f"{name}{_grid_tag(sample_rate, alignment, False)}_{crepe_model}_v{valid_fraction:g}"
    )
    return _prepared(
        raw,
        out,
        FeatureSettings.at_rate(
            sample_rate, alignment, crepe_model=crepe_model, valid_fraction=valid_fraction
        ),
        workers,
    )


def split_dataset(
    d: DataConfig,
    split: str,
    data_dir: str | Path | None = None,
    shuffle: bool = False,
    seed: int = 0,
    grid: Any = None,
) -> tuple[Any, dict]:
    """(dataset, description) of one split of the data `d` describes (or of a prepared `data_dir`).

    The one place a data source is chosen, for training and evaluation alike. The offline sources
    are built and prepared if missing, at the rate and alignment of `grid` (a model config; None:
    16 kHz, the paper's); TFDS is read where `d.tfds_dir` says (`shuffle`: its files in a
    `seed`ed order, for training). A prepared folder made for another rate or alignment than
    `grid`'s is refused.

    Raises:
        FileNotFoundError: a prepared folder that does not exist.
        ValueError: a split the source does not have, a ``prepared`` source without a folder, or
            features on another frame grid than the model's.
    """
    from ddsp_repro.data.datamodule import PreparedDataset

    rate = grid.sample_rate if grid is not None else PAPER_SAMPLE_RATE
    alignment = grid.alignment if grid is not None else None
    if data_dir is not None:
        check_grid(data_dir, grid)
        return PreparedDataset(data_dir, split=None), {"source": "prepared", "folder": str(data_dir)}
    if d.source == "tfds":
        from ddsp_repro.data.tfds_nsynth import TfdsNSynth

        if rate != PAPER_SAMPLE_RATE or (alignment or "paper") != "paper":
            raise ValueError(
                f"TFDS NSynth holds 16 kHz audio with the paper's features; a {rate} Hz "
                f"'{alignment}' model needs the built-in data or `ddsp-repro prepare --sample-rate {rate}`"
            )
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
            sample_rate=rate,
            alignment=alignment,
        )
        return PreparedDataset(folder), {"source": "builtin", "folder": str(folder), **_manifest(folder)}
    if d.source == "violin":
        if split == "test":
            raise ValueError("the violin data has train and valid splits only; use --split valid")
        folder = violin_features(
            d.root, d.violin_minutes, d.crepe_model, d.valid_fraction, d.prepare_workers, rate, alignment
        )
        return PreparedDataset(folder, split=split), {"source": "violin", "folder": str(folder)}
    if not d.train_dir:
        raise ValueError(
            "data.source 'prepared' needs --data.train-dir (a folder written by `ddsp-repro prepare`)"
        )
    for given in (d.train_dir, d.val_dir):
        if given and not Path(given).is_dir():
            raise FileNotFoundError(f"data folder {given} does not exist")
    if split == "train":
        check_grid(d.train_dir, grid)
        return PreparedDataset(d.train_dir, split="train"), {"source": "prepared", "folder": d.train_dir}
    folder = d.val_dir or d.train_dir
    check_grid(folder, grid)
    dataset = PreparedDataset(folder, split=None if d.val_dir else "valid")
    return dataset, {"source": "prepared", "folder": folder}


def check_grid(folder: str | Path, grid: Any) -> None:
    """Refuse a prepared folder whose rate, hop or alignment is not the model's (`grid`)."""
    path = Path(folder) / MANIFEST
    if grid is None or not path.is_file():
        return  # no model to compare with, or PreparedDataset will name the missing manifest
    settings = FeatureSettings(**_manifest(Path(folder))["feature_settings"])
    made = (settings.sample_rate, settings.hop, settings.alignment)
    wanted = (grid.sample_rate, grid.hop, grid.alignment)
    if made != wanted:
        raise ValueError(
            f"{folder} holds features at {made[0]} Hz, hop {made[1]}, alignment {made[2]}; the model "
            f"wants {wanted[0]} Hz, hop {wanted[1]}, alignment {wanted[2]}. Prepare it again with "
            f"`ddsp-repro prepare SRC OUT --sample-rate {grid.sample_rate}`"
        )


def _manifest(folder: Path) -> dict:
    manifest = json.loads((Path(folder) / "manifest.json").read_text())
    return {"feature_settings": manifest["settings"], "source_hash": manifest["source_hash"][:16]}
