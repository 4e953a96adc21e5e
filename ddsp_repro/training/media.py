"""Listening material and plots of a run, written by a callback that works with any logger.

At each validation the `MediaCallback` renders a fixed list of validation examples (the same
ones every time, so comparisons line up across steps and runs), writes the latest wavs to
``RUN_DIR/samples`` and one figure per example to ``RUN_DIR/plots`` (spectrograms of target and
resynthesis, f0, loudness of target and resynthesis), and sends them to W&B when it is on.
"""

from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import torch

from ddsp_repro.audio import write_wav
from ddsp_repro.plots import plot_example

__all__ = ["MediaCallback"]


class MediaCallback(L.Callback):
    """Render fixed validation examples at every validation; files always, W&B when present."""

    def __init__(self, examples: dict, run_dir: Path, sample_rate: int = 16000) -> None:
        self.examples = examples
        self.samples_dir, self.plots_dir = Path(run_dir) / "samples", Path(run_dir) / "plots"
        self.sample_rate = sample_rate

    def on_validation_end(self, trainer: L.Trainer, module: L.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        self.write(trainer, module)

    def write(self, trainer: L.Trainer, module: L.LightningModule) -> list[Path]:
        batch = {
            k: v.to(module.device) if isinstance(v, torch.Tensor) else v for k, v in self.examples.items()
        }
        was_training = module.training
        module.eval()
        try:
            parts = module.render(module.crop(batch, random=False))
        finally:
            module.train(was_training)
        parts = {k: v.float().cpu().numpy() for k, v in parts.items()}
        self.samples_dir.mkdir(parents=True, exist_ok=True)
        self.plots_dir.mkdir(parents=True, exist_ok=True)
        step = trainer.global_step
        written = []
        audio_names = [k for k in parts if k != "f0_hz"]
        for i in range(len(parts["target"])):
            example = {k: v[i] for k, v in parts.items()}
            for name in audio_names:
                path = self.samples_dir / f"example{i}_{name}.wav"
                # Early in training a resynthesis may be silent or NaN: written (and warned about), not fatal.
                bad = "warn" if name in ("target", "resynthesis") else "write"
                write_wav(path, example[name], self.sample_rate, peak="clip", bad=bad, subtype="FLOAT")
                written.append(path)
            figure = self.plots_dir / f"example{i}.png"
            plot_example(figure, example, self.sample_rate, f"example {i}, step {step}")
            written.append(figure)
            self._log(trainer, i, example, audio_names, figure, step)
        return written

    def _log(self, trainer, i: int, example: dict, names: list[str], figure: Path, step: int) -> None:
        from lightning.pytorch.loggers import WandbLogger

        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_audio(
                    key=f"audio/example{i}",
                    audios=[np.clip(np.nan_to_num(example[n]), -1, 1) for n in names],
                    step=step,
                    sample_rate=[self.sample_rate] * len(names),
                    caption=names,
                )
                logger.log_image(key=f"plots/example{i}", images=[str(figure)], step=step)
