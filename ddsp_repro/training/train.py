"""`train(config) -> metrics`: the one function behind the command line, the tests and the sweeps.

A run lives in ``RUNS_DIR/{name}-{semantic hash}-s{seed}/``:

    config.json            the resolved config (and its hash)
    checkpoints/last.ckpt  the latest validation's state, written atomically (every `val_every_steps`)
                           and flushed to the disk; also the state where a preempted run stopped
    checkpoints/step=N.ckpt  the latest `keep_checkpoints` validations' states (resume falls back on them)
    checkpoints/best.ckpt  lowest validation loss so far
    metrics.jsonl          every logged value, append-only (survives kills)
    metrics.json           final metrics, written when the run finishes
    samples/, plots/       latest listening examples, their figures, and loss.png
    wandb/                 the W&B run (offline runs are synced from here)

``resume=True`` continues from ``last.ckpt`` (or, if that cannot be read, the newest checkpoint
that can: `faults.checkpoint_to_resume`); because data order, crops and noise depend only on
(seed, step), the resumed run computes what the uninterrupted one would have. SIGTERM / SIGUSR1
save the current step and raise `faults.Preempted` (`faults` has the run's other failures).
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO

from ddsp_repro.audio import StorageError, atomic_path, write_json_atomic, write_text_atomic
from ddsp_repro.data.datamodule import DDSPDataModule, collate
from ddsp_repro.logs import get_logger
from ddsp_repro.plots import plot_losses
from ddsp_repro.provenance import git_commit
from ddsp_repro.training.config import RunConfig, config_to_dict, semantic_hash
from ddsp_repro.training.faults import (
    Preempted,
    Preemption,
    checkpoint_to_resume,
    out_of_memory_error,
)
from ddsp_repro.training.media import MediaCallback
from ddsp_repro.training.module import init_model_from, module_for
from ddsp_repro.training.progress import ProgressReport
from ddsp_repro.training.tracking import (
    JsonlLogger,
    make_wandb_logger,
    read_metrics,
    resolve_wandb_mode,
)

__all__ = ["RunExistsError", "make_datamodule", "run_dir_for", "train"]

log = get_logger(__name__)


class RunExistsError(RuntimeError):
    """The run directory already holds a run and neither resume nor overwrite was asked for."""


class AtomicCheckpointIO(TorchCheckpointIO):
    """Checkpoints go to a temporary file that is renamed into place: a kill never leaves half a file."""

    def save_checkpoint(self, checkpoint, path, storage_options=None) -> None:
        with atomic_path(path) as partial:
            torch.save(checkpoint, partial)


def run_dir_for(config: RunConfig) -> Path:
    return Path(config.logging.runs_dir) / f"{config.name}-{semantic_hash(config)}-s{config.trainer.seed}"


def make_datamodule(config: RunConfig) -> DDSPDataModule:
    """The data module a config asks for (`data.sources.split_dataset`: built and prepared if missing)."""
    from ddsp_repro.data.sources import split_dataset

    d, seed = config.data, config.trainer.seed
    train_set, _ = split_dataset(d, "train", shuffle=True, seed=seed, grid=config.model)
    try:
        val_set, _ = split_dataset(d, "valid", grid=config.model)
    except ValueError:  # a prepared folder without a valid split: `_fixed_examples` says what to do
        val_set = None
    return DDSPDataModule(
        batch_size=d.batch_size,
        num_workers=d.num_workers,
        seed=seed,
        train_set=train_set,
        val_set=val_set,
        steps_per_epoch=config.trainer.val_every_steps,  # ignored by iterable sets (TFDS)
    )


def _fixed_examples(datamodule: DDSPDataModule, n: int) -> dict:
    datamodule.setup()
    if datamodule.val_set is None:
        raise ValueError(
            "no validation data: give data.val_dir, or prepare recordings with a valid fraction "
            "(validation picks the best checkpoint and renders the listening examples)"
        )
    try:  # spread over the set (NSynth-format sets are sorted by instrument and pitch)
        size = len(datamodule.val_set)
        items = [
            datamodule.val_set[i] for i in sorted({round(j * (size - 1) / max(n - 1, 1)) for j in range(n)})
        ]
    except TypeError:  # iterable (TFDS): the first n
        items = [item for _, item in zip(range(n), datamodule.val_set, strict=False)]
    return collate(items)


def _report_recordings_check(folder: str) -> None:
    """Log the dataset check of the recordings behind a prepared folder (`data.check`), if any."""
    from ddsp_repro.data.check import check_prepared

    result = check_prepared(folder)
    if result is None:
        return
    level = log.info if result["verdict"] == "ready" else log.warning
    level("dataset check of the training recordings (`ddsp-repro inspect` draws it):")
    for line in result["lines"]:
        level("  %s", line)


def _is_child_process() -> bool:
    """A process other than the run's first: a DDP process Lightning started, or torchrun's rank > 0."""
    return os.environ.get("LOCAL_RANK", "0") != "0" or os.environ.get("RANK", "0") != "0"


def _check_writable(run_dir: Path) -> None:
    """A `StorageError` now, rather than at the first checkpoint, if the run folder cannot be written."""
    probe = run_dir / ".writable"
    write_text_atomic(probe, "")
    try:
        probe.unlink()
    except OSError as exc:
        raise StorageError(f"{run_dir} is not writable ({exc.strerror})") from exc


def _last_logged_step(run_dir: Path) -> int | None:
    """The number of steps the run had trained, from its log (which counts from 0)."""
    steps = [step for step, _ in read_metrics(run_dir).get("train/loss", [])]
    return max(steps) + 1 if steps else None


def _precision(requested: str, accelerator: str) -> str:
    if requested != "auto":
        return requested
    on_gpu = accelerator in ("auto", "gpu") and torch.cuda.is_available()
    return "bf16-mixed" if on_gpu and torch.cuda.is_bf16_supported() else "32-true"


def train(
    config: RunConfig,
    resume: bool = False,
    overwrite: bool = False,
    callbacks: Sequence[L.Callback] = (),
    hparams: dict | None = None,
) -> dict:
    """Train `config`; returns the final metrics (also written to ``RUN_DIR/metrics.json``).

    `callbacks` are added to the trainer's (a sweep adds its pruning callback); `hparams` are logged
    to W&B beside the config (a sweep logs its study, trial and parameters).
    """
    start = time.time()
    run_dir = run_dir_for(config)
    last = run_dir / "checkpoints" / "last.ckpt"
    is_child = _is_child_process()
    if not is_child:
        if overwrite and run_dir.exists():
            shutil.rmtree(run_dir)
        if run_dir.exists() and any(run_dir.iterdir()) and not resume:
            raise RunExistsError(
                f"{run_dir} already holds this run; "
                "pass --resume to continue it or --overwrite to start again"
            )
        _check_writable(run_dir)

    L.seed_everything(config.trainer.seed, workers=True, verbose=False)
    datamodule = make_datamodule(config)  # data problems surface before anything is written
    if not is_child and config.data.source == "prepared" and config.data.train_dir:
        _report_recordings_check(config.data.train_dir)
    examples = _fixed_examples(datamodule, config.logging.n_media_examples)
    if not is_child:
        run_dir.mkdir(parents=True, exist_ok=True)
        config_json = {**config_to_dict(config), "semantic_hash": semantic_hash(config)}
        write_json_atomic(run_dir / "config.json", config_json, indent=2, sort_keys=True)
    # Seeded again: the model's initial weights must not depend on what ran before (the dataset
    # check draws random numbers the first time and reads its cache after).
    L.seed_everything(config.trainer.seed, workers=True, verbose=False)
    module = module_for(config)
    found = checkpoint_to_resume(last.parent, module, _last_logged_step(run_dir)) if resume else None
    ckpt_path = None
    if found is not None:
        ckpt_path, batches = found
        # mid-epoch (a preempted run): the sampler skips the epoch's batches already trained
        datamodule.resume_batch = batches if 0 < batches < config.trainer.val_every_steps else 0
    elif resume and not is_child:
        log.info("no checkpoint in %s yet: starting from scratch", run_dir)
    if config.trainer.init_from and ckpt_path is None:
        init_model_from(module, config.trainer.init_from)
        log.info("starting from the model weights of %s", config.trainer.init_from)
    n_params = module.n_trainable_parameters()

    loggers: list = [JsonlLogger(run_dir)]
    mode = resolve_wandb_mode(config.logging.wandb) if not is_child else "disabled"
    if mode != "disabled":
        wandb_logger = make_wandb_logger(mode, run_dir, config.logging.project, config.logging.group)
        wandb_logger.log_hyperparams(
            {
                "n_parameters": n_params,
                "git_commit": git_commit(),
                "semantic_hash": semantic_hash(config),
                **(hparams or {}),
            }
        )
        loggers.append(wandb_logger)
    checkpoints = ModelCheckpoint(
        dirpath=run_dir / "checkpoints",
        filename="best",
        monitor="val/loss",
        mode="min",
        save_top_k=1,
        auto_insert_metric_name=False,
    )
    # Lightning's own `save_last` copies the last *improving* checkpoint only; the run's last.ckpt
    # must be the state at the latest validation (what the official evaluation scores and what
    # --resume continues from), so a second callback without a monitor writes it every time.
    latest = ModelCheckpoint(
        dirpath=run_dir / "checkpoints", filename="last", save_top_k=1, enable_version_counter=False
    )
    t = config.trainer
    recent = ModelCheckpoint(
        dirpath=run_dir / "checkpoints",
        filename="step={step}",
        monitor="step",
        mode="max",
        save_top_k=t.keep_checkpoints,
        auto_insert_metric_name=False,
        enable_version_counter=False,  # a resumed run rewrites step=N.ckpt with the same state
    )
    preemption = Preemption(last)
    iterable = isinstance(datamodule.train_set, torch.utils.data.IterableDataset)
    trainer = L.Trainer(
        default_root_dir=run_dir,
        max_steps=t.max_steps,
        max_time=None if t.max_hours is None else timedelta(hours=t.max_hours),
        max_epochs=-1,
        accelerator=t.accelerator,
        devices=t.devices,
        num_nodes=t.num_nodes,
        strategy="ddp" if t.devices * t.num_nodes > 1 else "auto",
        precision=_precision(t.precision, t.accelerator),
        limit_val_batches=t.limit_val_batches,
        val_check_interval=t.val_every_steps if iterable else None,
        num_sanity_val_steps=0,
        logger=loggers,
        callbacks=[
            checkpoints,
            latest,
            *([recent] if t.keep_checkpoints > 0 else []),
            preemption,
            LearningRateMonitor("step"),
            ProgressReport(None if t.max_hours is None else t.max_hours * 3600),
            MediaCallback(examples, run_dir, config.model.sample_rate),
            *callbacks,
        ],
        enable_progress_bar=t.progress_bar,
        enable_model_summary=t.progress_bar,
        use_distributed_sampler=False,  # StepBatchSampler shards the data itself
        log_every_n_steps=max(1, min(50, t.val_every_steps // 20)),
        plugins=[AtomicCheckpointIO()],
    )
    preemption.install()
    try:
        with warnings.catch_warnings():
            # StepBatchSampler resumes mid-epoch itself (`resume_batch`), which Lightning cannot see
            warnings.filterwarnings("ignore", "You're resuming from a checkpoint that ended before the epoch")
            trainer.fit(
                module, datamodule=datamodule, ckpt_path=None if ckpt_path is None else str(ckpt_path)
            )
    except BaseException as exc:
        if preemption.step is not None:
            raise Preempted(
                f"stopped by a signal at step {preemption.step}, state saved to {last}; "
                "run the same command with --resume to continue (nothing is lost)"
            ) from None
        error = out_of_memory_error(exc, config.data.batch_size, str(trainer.strategy.root_device))
        if error is not None:
            raise error from exc
        raise
    finally:
        preemption.uninstall()
        if mode != "disabled" and trainer.is_global_zero:
            import wandb

            wandb.finish()  # flush the run now (sweeps train many runs in one process)

    metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
    metrics.update(
        step=trainer.global_step,
        n_parameters=n_params,
        best_val_loss=float(checkpoints.best_model_score)
        if checkpoints.best_model_score is not None
        else None,
        wall_seconds=round(time.time() - start, 1),
        run_dir=str(run_dir),
    )
    if trainer.is_global_zero:
        history = read_metrics(run_dir)
        train_loss = history.get("train/loss", [])
        if train_loss:
            metrics["first_train_loss"] = train_loss[0][1]
        write_json_atomic(run_dir / "metrics.json", metrics, indent=2, sort_keys=True)
        (run_dir / "plots").mkdir(exist_ok=True)
        plot_losses(run_dir / "plots" / "loss.png", history, run_dir.name)
    return metrics


def with_overrides(config: RunConfig, **sections: dict) -> RunConfig:
    """`config` with some fields of its sections replaced: ``with_overrides(c, trainer={"max_steps": 5})``."""
    return replace(
        config, **{name: replace(getattr(config, name), **values) for name, values in sections.items()}
    )
