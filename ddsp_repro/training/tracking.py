"""Loggers of a run: an append-only metrics file that survives kills, and Weights & Biases.

W&B mode ``auto`` is online when an API key is configured (``WANDB_API_KEY`` or ``wandb login``)
and offline otherwise, without touching the network; offline runs are written under
``RUN_DIR/wandb`` and uploaded later with ``wandb sync``.
"""

from __future__ import annotations

import json
import netrc
import os
import uuid
from pathlib import Path
from typing import Any

from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities import rank_zero_only

from ddsp_repro.logs import get_logger

__all__ = ["JsonlLogger", "make_wandb_logger", "read_metrics", "resolve_wandb_mode"]

log = get_logger(__name__)

METRICS_FILE = "metrics.jsonl"


class JsonlLogger(Logger):
    """Appends one JSON line per logging call to ``RUN_DIR/metrics.jsonl`` (flushed each time).

    Append-only, so a killed and resumed run keeps every line it wrote; `read_metrics` keeps the
    last value logged for each (metric, step).
    """

    def __init__(self, run_dir: str | Path) -> None:
        super().__init__()
        self.path = Path(run_dir) / METRICS_FILE

    @property
    def name(self) -> str:
        return "jsonl"

    @property
    def version(self) -> str:
        return "0"

    @rank_zero_only
    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        pass  # the run directory's config.json holds them

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        row = {"step": step, **{k: float(v) for k, v in metrics.items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")


def read_metrics(run_dir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """``{metric: [(step, value), ...]}`` sorted by step, from a run's ``metrics.jsonl``."""
    path = Path(run_dir) / METRICS_FILE
    values: dict[str, dict[int, float]] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
            step = row.pop("step")
            for key, value in row.items():
                values.setdefault(key, {})[step] = value
    return {key: sorted(series.items()) for key, series in values.items()}


def _has_api_key() -> bool:
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False


def resolve_wandb_mode(requested: str) -> str:
    """``online`` / ``offline`` / ``disabled`` for a requested mode (``auto`` decides by API key).

    ``WANDB_MODE`` in the environment wins over ``auto``, as in wandb itself.
    """
    if requested == "auto":
        env = os.environ.get("WANDB_MODE")
        if env in ("online", "offline", "disabled"):
            return env
        requested = "online" if _has_api_key() else "offline"
    if requested != "disabled":
        try:
            import wandb  # noqa: F401
        except ImportError:
            log.warning("W&B: wandb is not installed (pip install -e '.[tracking]'); tracking disabled")
            return "disabled"
    return requested


def make_wandb_logger(mode: str, run_dir: Path, project: str, group: str | None = None):
    """A Lightning `WandbLogger` writing under ``run_dir/wandb``, resuming the run's W&B id.

    Under a ``wandb agent`` (a W&B sweep) the agent's run id is used, so the run joins its sweep.
    """
    from lightning.pytorch.loggers import WandbLogger

    id_file = run_dir / "wandb_id.txt"
    if os.environ.get("WANDB_SWEEP_ID") and os.environ.get("WANDB_RUN_ID"):
        run_id = os.environ["WANDB_RUN_ID"]
    elif id_file.is_file():
        run_id = id_file.read_text().strip()
    else:
        run_id = uuid.uuid4().hex[:8]
        id_file.write_text(run_id)
    (run_dir / "wandb").mkdir(parents=True, exist_ok=True)
    if mode == "offline":
        log.warning(
            "W&B: offline (no API key found). Upload later with: wandb sync %s/offline-run-*",
            run_dir / "wandb",
        )
    return WandbLogger(
        name=run_dir.name,
        save_dir=str(run_dir),
        project=project,
        group=group,
        id=run_id,
        offline=mode == "offline",
        resume="allow",
    )
