"""What a run does on a bad day: unreadable checkpoints, preemption, a non-finite loss, no memory.

- `checkpoint_to_resume`: the newest checkpoint of a run that can be read and fits its model;
  unreadable ones (truncated by a crash, empty after a power cut) are set aside as
  ``NAME.unreadable`` and named, with the steps that going back costs.
- `Preemption`: SIGTERM (a scheduler's or a cloud's notice) and SLURM's SIGUSR1 end the run at the
  current step with a checkpoint; `train` then raises `Preempted`, whose `exit_status`
  (`PREEMPTED_EXIT`) is what the command exits with so that a job script can requeue it.
- `NonFiniteLoss`: the step, the loss and the batch's example ids, raised before the bad step
  touches the weights, so the last checkpoint on disk is the last good one.
- `out_of_memory_error`: the batch size and what to try, for an allocation that failed.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import lightning as L
import torch

from ddsp_repro.audio import atomic_path
from ddsp_repro.logs import get_logger

__all__ = [
    "PREEMPTED_EXIT",
    "NonFiniteLoss",
    "Preempted",
    "Preemption",
    "checkpoint_to_resume",
    "model_mismatch",
    "out_of_memory_error",
]

log = get_logger(__name__)

PREEMPTED_EXIT = 75  # EX_TEMPFAIL (sysexits.h): "try again later"; the SLURM template requeues on it
UNREADABLE = ".unreadable"


class Preempted(RuntimeError):
    """The run was asked to stop (SIGTERM / SIGUSR1) and saved its state; ``--resume`` continues it."""

    exit_status = PREEMPTED_EXIT


class NonFiniteLoss(RuntimeError):
    """The training loss became NaN or infinite; the weights are those before that step."""


def model_mismatch(own: dict[str, torch.Tensor], given: dict[str, torch.Tensor]) -> str | None:
    """How two model state dicts differ (missing, unexpected, reshaped weights), or None if they fit."""
    missing = sorted(set(own) - set(given))
    unexpected = sorted(set(given) - set(own))
    reshaped = sorted(k for k in set(own) & set(given) if own[k].shape != given[k].shape)
    details = [
        f"{label}: {', '.join(names[:3])}{' ...' if len(names) > 3 else ''}"
        for label, names in (("missing", missing), ("unexpected", unexpected), ("other shape", reshaped))
        if names
    ]
    return "; ".join(details) or None


def _step_of(path: Path) -> int:
    """The step in a ``step=N.ckpt`` name (-1 for others)."""
    stem = path.stem
    return int(stem.split("=", 1)[1]) if stem.startswith("step=") and stem[5:].isdigit() else -1


def _candidates(folder: Path) -> list[Path]:
    """last.ckpt, then the kept ``step=N.ckpt`` newest first, then best.ckpt."""
    kept = sorted(folder.glob("step=*.ckpt"), key=_step_of, reverse=True)
    return [p for p in (folder / "last.ckpt", *kept, folder / "best.ckpt") if p.is_file()]


def _set_aside(path: Path) -> Path:
    target = path.with_name(path.name + UNREADABLE)
    n = 1
    while target.exists():
        target, n = path.with_name(f"{path.name}{UNREADABLE}.{n}"), n + 1
    os.replace(path, target)
    return target


def _why_unreadable(exc: BaseException, path: Path) -> str:
    size = path.stat().st_size
    if size == 0:
        return "empty (0 bytes)"
    return f"truncated or damaged ({size} bytes; {type(exc).__name__}: {str(exc).splitlines()[0][:120]})"


def checkpoint_to_resume(
    folder: Path, module: L.LightningModule, reached_step: int | None
) -> tuple[Path, int] | None:
    """The checkpoint a resumed run continues from and the batches of its epoch it had trained
    (Lightning's ``processed`` count), or None if the run has none.

    Unreadable checkpoints are moved aside (``NAME.unreadable``) with a warning, and the newest
    readable one is copied to ``last.ckpt``, which is returned; a checkpoint of another
    architecture (another preset's run copied here) raises ValueError naming both.
    `reached_step`: the last step the run logged, to say how many steps going back costs.

    Raises:
        ValueError: a readable checkpoint whose model does not fit this run's.
    """
    skipped: list[str] = []
    own = {k: v for k, v in module.state_dict().items() if k.startswith("model.")}
    for path in _candidates(folder):
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=False, mmap=True)
            state = checkpoint["state_dict"]
            step = int(checkpoint["global_step"])
            loops = checkpoint.get("loops", {}).get("fit_loop", {})
            batches = int(loops.get("epoch_loop.batch_progress", {}).get("current", {}).get("processed", 0))
        except Exception as exc:  # any failure to read is a damaged file here
            reason = _why_unreadable(exc, path)
            moved = _set_aside(path)
            skipped.append(path.name)
            log.warning("checkpoint %s cannot be read: %s; set aside as %s", path, reason, moved.name)
            continue
        given = {k: v for k, v in state.items() if k.startswith("model.")}
        mismatch = model_mismatch(own, given)
        if mismatch:
            theirs = checkpoint.get("hyper_parameters", {}).get("config", {}).get("name", "another preset")
            raise ValueError(
                f"{path} holds a model of {theirs!r}, not this run's ({mismatch}); "
                "move it out of the run folder or start the run with --overwrite"
            )
        if skipped:
            lost = None if reached_step is None else max(reached_step - step, 0)
            if lost is None:
                cost = ""
            else:
                cost = f", {lost} steps before step {reached_step}" if lost else "; no steps lost"
            log.warning(
                "resuming from %s at step %d (skipped unreadable %s%s)",
                path.name,
                step,
                ", ".join(skipped),
                cost,
            )
        last = folder / "last.ckpt"
        if path != last:  # the run folder keeps a last.ckpt: the state the run continues from
            with atomic_path(last) as partial:
                shutil.copyfile(path, partial)
        return last, batches
    if skipped:
        log.warning(
            "no readable checkpoint left in %s (set aside: %s): starting from scratch", folder, skipped
        )
    return None


class Preemption(L.Callback):
    """Save the state at the current step when the run is told to stop (SIGTERM, or SIGUSR1 as SLURM sends).

    Lightning's own handler turns SIGTERM into a `SIGTERMException` at the end of the current
    batch on every process; this callback writes ``last.ckpt`` then. SIGUSR1 is passed on as
    SIGTERM (installed before Lightning's, which would otherwise requeue through ``scontrol`` on
    its own and write a separate ``hpc_ckpt``).
    """

    def __init__(self, last: Path) -> None:
        self.last = last
        self.step: int | None = None
        self._previous = None

    def install(self) -> None:
        if hasattr(signal, "SIGUSR1"):
            self._previous = signal.signal(signal.SIGUSR1, lambda *_: os.kill(os.getpid(), signal.SIGTERM))

    def uninstall(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGUSR1, self._previous)
            self._previous = None

    def on_exception(self, trainer, pl_module, exception) -> None:
        from lightning.pytorch.utilities.exceptions import SIGTERMException

        if isinstance(exception, SIGTERMException):
            trainer.save_checkpoint(self.last)
            self.step = trainer.global_step


def out_of_memory_error(exc: BaseException, batch_size: int, device: str) -> RuntimeError | None:
    """A one-line explanation of an allocation failure (None if `exc` is not one)."""
    text = str(exc)
    if not (isinstance(exc, torch.OutOfMemoryError | MemoryError) or "can't allocate memory" in text):
        return None
    smaller = max(batch_size // 2, 1)
    return RuntimeError(
        f"out of memory on {device} with data.batch_size {batch_size}: run again with a smaller "
        f"batch (--data.batch-size {smaller}), shorter windows (--model.n-samples) or, on a GPU, "
        "--trainer.precision bf16-mixed; add --resume to keep the steps already checkpointed"
    )
