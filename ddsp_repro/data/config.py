"""`DataConfig`: where a run's examples come from (a section of the run config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["DataConfig", "free_field"]


def free_field(default: Any) -> Any:
    """A field that does not change a run's results (left out of the run's hash)."""
    return field(default=default, metadata={"semantic": False})


@dataclass(frozen=True)
class DataConfig:
    """Where examples come from.

    source:
        ``builtin``: the built-in NSynth-format set, built and prepared under `root` on first use;
        ``violin``: the solo-violin stand-in, likewise; ``prepared``: folders written by
        ``ddsp-repro prepare`` (`train_dir`, optional `val_dir`); ``tfds``: TFDS
        ``nsynth/gansynth_subset.f0_and_loudness`` under `tfds_dir`.
    """

    source: Literal["builtin", "violin", "prepared", "tfds"] = "builtin"
    batch_size: int = 32
    train_dir: str | None = None
    val_dir: str | None = None
    tfds_dir: str | None = None
    tfds_version: str | None = None
    # The built-in set: every pitch step / velocity below (the full set is 2,424 notes).
    builtin_pitch_step: int = 1
    builtin_velocities: tuple[int, ...] = (50, 75, 100, 127)
    violin_minutes: float = 13.0  # the paper's violin set is about 13 minutes
    valid_fraction: float = 0.1  # violin / recordings: files held out for validation
    crepe_model: Literal["full", "tiny"] = "full"  # f0 of prepared features (paper: full)
    root: str = free_field("data")
    num_workers: int = free_field(0)
    prepare_workers: int = free_field(2)
