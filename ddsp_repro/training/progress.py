"""One line per validation: step, validation loss (and the best so far), time spent and time left.

The progress bar shows the steps between two validations; this line is what a long run says about
itself as a whole, in the terminal and in any log it is redirected to.
"""

from __future__ import annotations

import math
import time

import lightning as L

from ddsp_repro.logs import get_logger

__all__ = ["ProgressReport", "format_duration"]

log = get_logger(__name__)


def format_duration(seconds: float) -> str:
    """``"45 s"``, ``"12 min"``, ``"3 h 05 min"``."""
    if not math.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = int(round(seconds / 60))
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


class ProgressReport(L.Callback):
    """Logs ``step N/M: val loss X (best Y at step K); T elapsed, about U left`` after each validation."""

    def __init__(self, max_seconds: float | None = None) -> None:
        self.max_seconds = max_seconds  # a wall-clock budget (`trainer.max_hours`), if any
        self.start_time = self.start_step = None
        self.best: tuple[float, int] | None = None

    def on_train_start(self, trainer, pl_module) -> None:
        self.start_time, self.start_step = time.monotonic(), trainer.global_step

    def on_validation_end(self, trainer, pl_module) -> None:
        if trainer.sanity_checking or self.start_time is None or "val/loss" not in trainer.callback_metrics:
            return
        step, total = trainer.global_step, trainer.max_steps
        loss = float(trainer.callback_metrics["val/loss"])
        if self.best is None or loss < self.best[0]:
            self.best = (loss, step)
        elapsed = time.monotonic() - self.start_time
        rate = (step - self.start_step) / elapsed if elapsed > 0 else 0.0
        left = (total - step) / rate if rate > 0 and total > 0 else float("nan")
        if self.max_seconds is not None:
            left = min(left, max(self.max_seconds - elapsed, 0.0)) if math.isfinite(left) else left
        log.info(
            "step %d/%s: val loss %.3f (best %.3f at step %d); %s elapsed, about %s left",
            step,
            total if total > 0 else "?",
            loss,
            *self.best,
            format_duration(elapsed),
            format_duration(left),
        )
