"""An Optuna study over a preset: storage, the trial objective, workers, and the study's report.

A study lives in ``RUNS_DIR/sweeps/{study}/``:

    study.db               the default storage (SQLite; any SQLAlchemy URL can replace it)
    trials/{NNNN}/...      each trial's run directory, as `train` writes it
    best_trial.json        the best trial so far: value, parameters, run directory, counts
    trials.csv             every trial: number, state, value, parameters
    plots/history.png      objective per trial with the best so far, and each trial's curve
    plots/importance.png   parameter importances (once three trials have completed)

Workers share a study through its storage: run the same command on several processes or machines.
Each worker sends a heartbeat; a trial whose worker dies is marked failed after the grace period
by the next worker to start a trial, and is retried with the same parameters, resuming the dead
trial's last checkpoint. ``--n-trials`` counts finished (complete or pruned) trials across all
workers, so re-running a command resumes the study up to that count.
"""

from __future__ import annotations

import contextlib
import csv
import os
import random
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import optuna
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState
from optuna_integration import PyTorchLightningPruningCallback

from ddsp_repro.audio import atomic_path, write_json_atomic
from ddsp_repro.logs import get_logger
from ddsp_repro.sweeps.space import SearchSpace, apply, check, suggest
from ddsp_repro.training.config import RunConfig
from ddsp_repro.training.train import run_dir_for, train

__all__ = [
    "StudyOptions",
    "log_study_to_wandb",
    "open_study",
    "report_lock",
    "run_worker",
    "study_dir_for",
    "write_report",
]

log = get_logger(__name__)

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
# Heartbeats and trial retries are marked experimental by Optuna; they are what keeps a study alive.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


@dataclass(frozen=True)
class StudyOptions:
    """How a worker runs its part of a study.

    n_trials: finished trials the study should reach, over all workers.
    storage: SQLAlchemy URL shared by the workers; default ``sqlite:///RUNS/sweeps/STUDY/study.db``.
    study_name: default the preset's name.
    pruner: ``median`` stops a trial whose validation loss is worse than the median of earlier
        trials at the same validation; ``hyperband``; ``none``.
    heartbeat_seconds: how often a worker reports that its trial is alive; a trial silent for
        three heartbeats counts as dead and is retried (at most `max_retry` times).
    """

    n_trials: int
    storage: str | None = None
    study_name: str | None = None
    pruner: Literal["median", "hyperband", "none"] = "median"
    sampler: Literal["tpe", "random"] = "tpe"
    seed: int | None = None
    heartbeat_seconds: int = 60
    max_retry: int = 2


def study_dir_for(config: RunConfig, study_name: str) -> Path:
    return Path(config.logging.runs_dir) / "sweeps" / study_name


def _storage(url: str, heartbeat_seconds: int, max_retry: int) -> RDBStorage:
    engine_kwargs = {}
    if url.startswith("sqlite"):
        # Several local workers write the same file: wait for the lock instead of failing.
        engine_kwargs = {"connect_args": {"timeout": 60}}
    return RDBStorage(
        url,
        engine_kwargs=engine_kwargs,
        heartbeat_interval=heartbeat_seconds,
        grace_period=3 * heartbeat_seconds,
        heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=max_retry),
    )


def _pruner(name: str) -> optuna.pruners.BasePruner:
    if name == "median":
        # Never judge a trial on its first validation, nor before two trials have finished.
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1)
    return optuna.pruners.NopPruner()


@contextlib.contextmanager
def _exclusive(lock_path: Path | None):
    """Hold an exclusive `flock` on `lock_path` (created if missing) for the block; None: no lock."""
    import fcntl

    if lock_path is None:
        yield
        return
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def report_lock(folder: Path):
    """Exclusive lock on a study's report: workers that finish together write it one at a time
    (their files' temporaries and the study's W&B run would otherwise collide)."""
    return _exclusive(folder / ".report.lock")


def _create_or_load(url: str, kwargs: dict, options: StudyOptions, attempts: int = 5) -> optuna.Study:
    """`optuna.create_study`, safe when several workers start on a new database at once.

    Creating the schema races between processes (one sees "table already exists"): a local SQLite
    file is created under an exclusive file lock, and any storage is retried after a short pause.
    """
    from sqlalchemy.exc import SQLAlchemyError

    lock_path = Path(url.removeprefix("sqlite:///") + ".lock") if url.startswith("sqlite:///") else None
    for attempt in range(attempts):
        try:
            with _exclusive(lock_path):
                storage = _storage(url, options.heartbeat_seconds, options.max_retry)
                return optuna.create_study(storage=storage, **kwargs)
        except SQLAlchemyError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 + random.random())
    raise AssertionError("unreachable")


def open_study(config: RunConfig, space: SearchSpace, options: StudyOptions) -> optuna.Study:
    """Create the study, or load it when it exists (same name in the same storage)."""
    name = options.study_name or config.name
    url = options.storage
    if url is None:
        folder = study_dir_for(config, name)
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{(folder / 'study.db').resolve()}"
    study = _create_or_load(
        url,
        dict(study_name=name, pruner=_pruner(options.pruner), direction=space.direction, load_if_exists=True),
        options,
    )
    # A seeded sampler restarting on a resumed study would redraw the points it drew before.
    seed = None if options.seed is None else options.seed + len(study.get_trials(deepcopy=False))
    sampler = optuna.samplers.RandomSampler if options.sampler == "random" else optuna.samplers.TPESampler
    study.sampler = sampler(seed=seed)
    previous = study.user_attrs.get("preset")
    if previous and previous != config.name:
        raise ValueError(f"study {name!r} belongs to preset {previous!r}, not {config.name!r}")
    study.set_user_attr("preset", config.name)
    study.set_user_attr("metric", space.metric)
    return study


def _trial_config(
    config: RunConfig, study_name: str, trial: optuna.Trial, values: dict
) -> tuple[RunConfig, bool]:
    """The trial's config, and whether it retries a dead trial (whose folder it then takes over)."""
    frozen = trial.study.get_trials(deepcopy=False)[trial.number]
    root = RetryHeartbeatStaleTrialCallback.retried_trial_number(frozen)
    number = trial.number if root is None else root
    runs_dir = study_dir_for(config, study_name) / "trials" / f"{number:04d}"
    logging = replace(config.logging, runs_dir=str(runs_dir), group=study_name)
    return replace(apply(config, values), logging=logging), root is not None


def _objective(config: RunConfig, space: SearchSpace, study_name: str):
    def objective(trial: optuna.Trial) -> float:
        values = suggest(space, trial)
        trial_config, retry = _trial_config(config, study_name, trial, values)
        run_dir = run_dir_for(trial_config)
        trial.set_user_attr("run_dir", str(run_dir))
        trial.set_user_attr("worker_pid", os.getpid())
        retried = " (retrying a trial whose worker died)" if retry else ""
        log.info("trial %d%s: %s -> %s", trial.number, retried, values, run_dir)
        metrics = train(
            trial_config,
            resume=retry,  # from the dead trial's last checkpoint
            callbacks=[PyTorchLightningPruningCallback(trial, monitor=space.metric)],
            hparams={"sweep": {"study": study_name, "trial": trial.number, "params": values}},
        )
        value = metrics.get("best_val_loss") if space.metric == "val/loss" else metrics.get(space.metric)
        if value is None:
            raise RuntimeError(f"trial {trial.number} logged no {space.metric}")
        return float(value)  # NaN (a diverged run) makes the trial FAIL, not the worker

    return objective


def count_finished(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=FINISHED))


def run_worker(config: RunConfig, space: SearchSpace, options: StudyOptions) -> optuna.Study:
    """Run trials until the study has `options.n_trials` finished ones (over all its workers)."""
    check(space, config)
    if config.trainer.devices > 1:
        raise ValueError(
            "a sweep trains one process per trial; start several workers instead of --trainer.devices"
        )
    study = open_study(config, space, options)
    done = count_finished(study)
    if done >= options.n_trials:
        log.info(
            "study %r already has %d finished trials (asked %d)", study.study_name, done, options.n_trials
        )
    else:
        optuna.logging.set_verbosity(optuna.logging.INFO)
        study.optimize(
            _objective(config, space, study.study_name),
            callbacks=[MaxTrialsCallback(options.n_trials, states=FINISHED)],
            catch=(),
            gc_after_trial=True,
        )
    return study


def write_report(study: optuna.Study, folder: Path, space: SearchSpace) -> dict:
    """best_trial.json, trials.csv and the plots; returns what best_trial.json holds.

    Hold `report_lock(folder)` around it when other workers may write the same report.
    """
    from ddsp_repro.sweeps.plots import plot_history, plot_importance

    folder.mkdir(parents=True, exist_ok=True)
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    summary: dict = {
        "study": study.study_name,
        "preset": study.user_attrs.get("preset"),
        "metric": space.metric,
        "direction": space.direction,
        "counts": {state.name.lower(): sum(t.state == state for t in trials) for state in TrialState},
        "best": None,
    }
    if complete:
        best = study.best_trial
        summary["best"] = {
            "number": best.number,
            "value": best.value,
            "params": best.params,
            "run_dir": best.user_attrs.get("run_dir"),
        }
    write_json_atomic(folder / "best_trial.json", summary, indent=2, sort_keys=True)

    names = sorted({name for t in trials for name in t.params})
    with atomic_path(folder / "trials.csv") as partial, partial.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["number", "state", "value", *names, "run_dir"])
        for t in trials:
            row = [t.number, t.state.name, t.value, *(t.params.get(n) for n in names)]
            writer.writerow([*row, t.user_attrs.get("run_dir", "")])

    plots = folder / "plots"
    plots.mkdir(exist_ok=True)
    plot_history(plots / "history.png", trials, space, study.study_name)
    if plot_importance(plots / "importance.png", study):
        summary["importance_plot"] = str(plots / "importance.png")
    summary["history_plot"] = str(plots / "history.png")
    return summary


def log_study_to_wandb(summary: dict, folder: Path, config: RunConfig) -> None:
    """The study's report as one W&B run in the trials' group (the same run on every re-write)."""
    from ddsp_repro.training.tracking import resolve_wandb_mode

    mode = resolve_wandb_mode(config.logging.wandb)
    if mode == "disabled":
        return
    import wandb

    id_file = folder / "wandb_id.txt"
    if not id_file.is_file():
        id_file.write_text(f"study-{os.urandom(4).hex()}")
    run = wandb.init(
        project=config.logging.project,
        group=summary["study"],
        job_type="study",
        name=f"{summary['study']}-study",
        id=id_file.read_text().strip(),
        resume="allow",
        dir=str(folder),
        mode=mode,
        config={"preset": summary["preset"], "metric": summary["metric"], "direction": summary["direction"]},
    )
    run.summary.update({"best": summary["best"], "counts": summary["counts"]})
    images = {k: summary[k] for k in ("history_plot", "importance_plot") if k in summary}
    run.log({k.removesuffix("_plot"): wandb.Image(v) for k, v in images.items()})
    run.finish()
