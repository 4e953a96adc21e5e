"""Logging for the library: `get_logger(__name__)` everywhere, one handler set up by the CLI.

Library code reports progress through loggers under ``ddsp_repro``, never `print`; the command
line prints results. `configure_logging` sends those records to stderr as plain lines, from the
rank-zero process only, so a run on N devices says each thing once.
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["configure_logging", "get_logger", "process_rank"]

_RANK_VARIABLES = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")


def process_rank() -> int:
    """This process's global rank as the launchers set it (0 when run alone)."""
    for name in _RANK_VARIABLES:
        value = os.environ.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return 0


class _RankZero(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return process_rank() == 0 or record.levelno >= logging.WARNING


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


def configure_logging(level: int = logging.INFO) -> None:
    """Plain ``message`` lines on stderr for the ``ddsp_repro`` loggers (idempotent)."""
    root = logging.getLogger("ddsp_repro")
    root.setLevel(level)
    if any(getattr(h, "_ddsp_repro", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_RankZero())
    handler._ddsp_repro = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.propagate = False
