"""``ddsp-repro train PRESET`` and ``ddsp-repro presets``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Union

import tyro

from ddsp_repro.training.presets import PRESETS


def _preset_union():
    """Each preset as a subcommand whose fields default to the preset's values."""
    options = tuple(
        Annotated[type(config), tyro.conf.subcommand(name, default=config, description=config.paper_row)]
        for name, config in PRESETS.items()
    )
    return Union[options]  # noqa: UP007 (a runtime union of Annotated types)


PresetConfig = _preset_union()


def train(
    preset: Annotated[PresetConfig, tyro.conf.arg(name="")],  # type: ignore[valid-type]
    resume: bool = False,
    overwrite: bool = False,
) -> None:
    """Train a preset; every field can be overridden (``--optim.lr 1e-3``).

    Runs are written to ``runs/{preset}-{config hash}-s{seed}/`` (config, checkpoints, metrics,
    samples, plots, W&B). `ddsp-repro presets` lists the presets with the paper row each reproduces.

    Args:
        preset: the preset to train, then its overrides (``PRESET --help`` shows every field).
        resume: continue the run from its newest readable checkpoint (a killed or preempted run
            computes what it would have); a run that does not exist yet starts, so a job script
            can always pass it.
        overwrite: delete an existing run of this config and start again.
    """
    import soundfile as sf

    from ddsp_repro.audio import audio_problem
    from ddsp_repro.training.train import run_dir_for
    from ddsp_repro.training.train import train as train_run

    print(f"run directory: {run_dir_for(preset)}", flush=True)
    metrics = train_run(preset, resume=resume, overwrite=overwrite)
    print(json.dumps(metrics, indent=2, sort_keys=True))
    run_dir = Path(metrics["run_dir"])
    for path in sorted((run_dir / "samples").glob("*_resynthesis.wav")):
        problem = audio_problem(sf.read(path, dtype="float32")[0])
        if problem:
            print(f"warning: {path.name} {problem}", file=sys.stderr)
    print(f"samples: {run_dir / 'samples'}/  plots: {run_dir / 'plots'}/  metrics: {run_dir}/metrics.json")


def presets() -> None:
    """List the presets: trainable parameters and the paper row each reproduces."""
    print(f"{'preset':<26}{'trainable params':>18}  reproduces")
    for name, config in PRESETS.items():
        print(f"{name:<26}{config.model.build().n_trainable_parameters():>18,}  {config.paper_row}")


def preset_with_overrides(name: str, overrides: list[str]):
    """The preset `name` with ``--section.field VALUE`` overrides, parsed as ``ddsp-repro train`` does."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; `ddsp-repro presets` lists them")
    return tyro.cli(PresetConfig, args=[name, *overrides], config=(tyro.conf.OmitSubcommandPrefixes,))
