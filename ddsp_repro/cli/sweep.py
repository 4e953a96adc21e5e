"""``ddsp-repro sweep PRESET`` (an Optuna study) and ``ddsp-repro sweep-spec PRESET`` (a W&B sweep)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

import tyro

from ddsp_repro.cli.train import PresetConfig


def sweep(
    preset: Annotated[PresetConfig, tyro.conf.arg(name="")],  # type: ignore[valid-type]
    n_trials: int | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    pruner: Literal["median", "hyperband", "none"] = "median",
    sampler: Literal["tpe", "random"] = "tpe",
    seed: int | None = None,
    heartbeat_seconds: int = 60,
    max_retry: int = 2,
    show_space: bool = False,
) -> None:
    """Tune a preset with Optuna: one worker per command, sharing a study through `storage`.

    The same command again resumes the study; start it on several machines with one
    ``--storage postgresql://...`` to run workers in parallel. Each trial is an ordinary run
    directory; pruned trials stop early on their validation loss. Writes best_trial.json,
    trials.csv and plots to ``runs/sweeps/STUDY/``. The preset's fields can be overridden as in
    ``ddsp-repro train`` (they fix what the sweep does not vary).

    Args:
        preset: the preset tuned, then its overrides.
        n_trials: finished trials to reach, counted over all workers.
        storage: SQLAlchemy URL (default: a SQLite file in runs/sweeps/STUDY/).
        study_name: default: the preset's name.
        pruner: early stopping of unpromising trials.
        sampler: how trials are proposed.
        seed: sampler seed (leave unset when several workers share a study).
        heartbeat_seconds: a trial whose worker stops beating this long is retried.
        max_retry: retries of a trial whose worker died.
        show_space: print the search space and exit.
    """
    from ddsp_repro.sweeps.space import check, space_for

    space = space_for(preset.name)
    check(space, preset)
    if show_space:
        print(json.dumps({k: repr(v) for k, v in space.params.items()}, indent=2))
        return
    if n_trials is None or n_trials < 1:
        raise ValueError("--n-trials N (N >= 1) is required")
    from ddsp_repro.sweeps.study import (
        StudyOptions,
        log_study_to_wandb,
        report_lock,
        run_worker,
        study_dir_for,
        write_report,
    )

    options = StudyOptions(
        n_trials=n_trials,
        storage=storage,
        study_name=study_name,
        pruner=pruner,
        sampler=sampler,
        seed=seed,
        heartbeat_seconds=heartbeat_seconds,
        max_retry=max_retry,
    )
    study = run_worker(preset, space, options)
    folder = study_dir_for(preset, study.study_name)
    with report_lock(folder):
        summary = write_report(study, folder, space)
        log_study_to_wandb(summary, folder, preset)
    print(json.dumps(summary, indent=2, sort_keys=True))
    print(f"study folder: {folder}/")


def sweep_spec(
    preset: tyro.conf.Positional[str], method: Literal["bayes", "random", "grid"] = "bayes"
) -> None:
    """Print the W&B sweep spec of a preset's search space (``wandb sweep spec.yaml``; agents train).

    Args:
        preset: the preset swept.
        method: W&B's search method.
    """
    from ddsp_repro.sweeps.wandb_spec import spec_yaml

    print(spec_yaml(preset, method), end="")
