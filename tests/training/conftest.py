"""Shrunk presets for training tests (the `tones` data set is in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

pytest.importorskip("lightning")

from ddsp_repro.models.autoencoder import AutoencoderConfig  # noqa: E402
from ddsp_repro.training.config import DataConfig, LoggingConfig, RunConfig  # noqa: E402

WINDOW = dict(n_samples=8192, n_frames=128)  # 0.512 s: long enough for every loss and encoder


def shrink(config: RunConfig, data_dir, runs_dir, **trainer) -> RunConfig:
    """`config` at toy size on the test data: small widths, 0.5 s windows, a few steps, no W&B."""
    model = config.model
    if isinstance(model, AutoencoderConfig):
        model = replace(model, ch=32, rnn_channels=32, reverb_length=2000, **WINDOW)
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
