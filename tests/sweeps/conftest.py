"""A sweep over a toy-sized tiny_violin_cpu on the `tones` data (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("optuna")
pytest.importorskip("optuna_integration")

ROOT = Path(__file__).resolve().parents[2]
PRESET = "tiny_violin_cpu"


def toy_args(data_dir, runs_dir, steps: int = 2) -> list[str]:
    """Preset overrides that make a trial take seconds: small widths, 0.5 s windows, no W&B."""
    return [
        *("--model.ch", "32", "--model.reverb-length", "2000"),
        *("--model.n-samples", "8192", "--model.n-frames", "128"),
        *("--data.source", "prepared", "--data.train-dir", str(data_dir), "--data.batch-size", "2"),
        *("--trainer.max-steps", str(steps), "--trainer.val-every-steps", "2"),
        *("--trainer.limit-val-batches", "1", "--trainer.no-progress-bar"),
        *("--logging.wandb", "disabled", "--logging.runs-dir", str(runs_dir)),
        *("--logging.n-media-examples", "1"),
    ]


def start_worker(args: list[str], log: Path) -> subprocess.Popen:
    """`python -m sweeps.run PRESET ARGS` in its own process (one torch thread), output to `log`."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "sweeps.run", PRESET, *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
