"""Ready-to-train feature folders for the offline sources, built and prepared on first use.

Each function renders the raw audio if it is missing (`builtin.build`, `violin.build_violin`) and
prepares features (`prepare.prepare`, resumable), all under one data root:

    ROOT/builtin_nsynth[_p{step}_v{velocities}]/           raw notes, NSynth layout
    ROOT/prepared/builtin_nsynth[...]_{crepe}/{train,valid}  features
    ROOT/violin_{minutes}min/                               raw tunes
    ROOT/prepared/violin_{minutes}min_{crepe}_v{fraction}/  features with train/valid splits
"""

from __future__ import annotations

from pathlib import Path

from ddsp_repro.data.builtin import BuiltinSpec, ensure_builtin
from ddsp_repro.data.prepare import MANIFEST, FeatureSettings, prepare, summarize

__all__ = ["builtin_features", "violin_features"]


def _prepared(src: Path, out: Path, settings: FeatureSettings, workers: int) -> Path:
    if not ((out / MANIFEST).is_file() and summarize(out)["complete"]):
        print(f"preparing features of {src} into {out} (CREPE {settings.crepe_model}; resumable)")
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
        print(f"built the violin set at {raw}: {result}")
    out = root / "prepared" / f"{name}_{crepe_model}_v{valid_fraction:g}"
    return _prepared(
        raw, out, FeatureSettings(crepe_model=crepe_model, valid_fraction=valid_fraction), workers
    )
