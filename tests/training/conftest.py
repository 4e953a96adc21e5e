"""A small prepared data set (harmonic tones with train/valid splits) and shrunk presets."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("lightning")

from ddsp_repro.data.prepare import FeatureSettings, prepare  # noqa: E402
from ddsp_repro.models.autoencoder import AutoencoderConfig  # noqa: E402
from ddsp_repro.training.config import DataConfig, LoggingConfig, RunConfig  # noqa: E402

WINDOW = dict(n_samples=8192, n_frames=128)  # 0.512 s: long enough for every loss and encoder


@pytest.fixture(scope="session")
def tones(tmp_path_factory):
    """Prepared folder of 4.5 s harmonic tones (6 files, half held out): train and valid splits."""
    root = tmp_path_factory.mktemp("tones")
    src = root / "src"
    src.mkdir()
    t = np.arange(int(4.5 * 16000)) / 16000
    for i, hz in enumerate((196.0, 247.0, 294.0, 330.0, 392.0, 440.0)):
        envelope = np.minimum(1.0, t / 0.05) * np.exp(-0.4 * t)
        tone = sum(0.3 / k * np.sin(2 * np.pi * k * hz * t) for k in (1, 2, 3))
        sf.write(src / f"tone{i}.wav", (envelope * tone).astype(np.float32), 16000)
    out = root / "prepared"
    prepare(src, out, FeatureSettings(crepe_model="tiny", valid_fraction=0.5), progress=False)
    return out


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
