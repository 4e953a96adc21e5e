"""Runs at toy size: shrunk presets (in process) and sweep arguments and workers (subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from ddsp_repro.models.autoencoder import AutoencoderConfig
from ddsp_repro.training.config import DataConfig, LoggingConfig, RunConfig
from tests.helpers import REPO

WINDOW = dict(n_samples=8192, n_frames=128)  # 0.512 s: long enough for every loss and encoder


def _window(model) -> dict:
    """`WINDOW`'s 128 frames on the model's own hop (0.512 s at any rate)."""
    hop = model.n_samples // model.n_frames
    return dict(n_samples=WINDOW["n_frames"] * hop, n_frames=WINDOW["n_frames"])


def shrink(config: RunConfig, data_dir, runs_dir, **trainer) -> RunConfig:
    """`config` at toy size on the test data: small widths, 0.5 s windows, a few steps, no W&B."""
    model = config.model
    if isinstance(model, AutoencoderConfig):
        model = replace(model, ch=32, rnn_channels=32, reverb_length=2000, **_window(model))
    else:
        model = replace(
            model,
            ch=16,
            cond_rnn_channels=16,
            cond_channels=8,
            rnn_channels=32,
            fc_channels=32,
            train_crop=512,
            **WINDOW,
        )
    steps = dict(max_steps=2, val_every_steps=2, limit_val_batches=1, progress_bar=False)
    steps.update(trainer)
    return replace(
        config,
        model=model,
        data=DataConfig(source="prepared", train_dir=str(data_dir), batch_size=2),
        trainer=replace(config.trainer, **steps),
        logging=LoggingConfig(
            wandb="disabled", runs_dir=str(runs_dir), n_media_examples=2, media_seconds=0.05
        ),
    )


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
        cwd=REPO,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
