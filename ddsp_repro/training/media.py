"""Listening material and plots of a run, written by a callback that works with any logger.

At each validation the `MediaCallback` renders a fixed list of validation examples (the same
ones every time, so comparisons line up across steps and runs), writes the latest wavs to
``RUN_DIR/samples`` and one figure per example to ``RUN_DIR/plots`` (spectrograms of target and
resynthesis, f0, loudness of target and resynthesis), and sends them to W&B when it is on.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import lightning as L
import numpy as np
import soundfile as sf
import torch

from ddsp_repro.dsp import compute_loudness, compute_mag

__all__ = ["MediaCallback", "audio_problem", "plot_example", "plot_losses", "plot_spectrogram"]


def audio_problem(audio: np.ndarray) -> str | None:
    """Why `audio` is unfit to listen to (NaN, silent, clipped), or None."""
    if not np.all(np.isfinite(audio)):
        return "contains NaN or inf"
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak < 1e-5:
        return f"is silent (peak {peak:.1e})"
    if peak > 1.0:
        return f"clips (peak {peak:.2f})"
    return None


def spectrogram_db(audio: np.ndarray, n_fft: int = 1024) -> np.ndarray:
    """``[bins, frames]`` magnitude in dB (the loss's own STFT: periodic Hann, 75% overlap)."""
    mag = compute_mag(torch.as_tensor(audio, dtype=torch.float32)[None], n_fft)[0]
    return 20 * np.log10(mag.T.numpy() + 1e-6)


def plot_spectrogram(ax, audio: np.ndarray, sample_rate: int, title: str) -> None:
    """One spectrogram panel (dB, -80 to 40, kHz over seconds) on a matplotlib axis."""
    seconds = len(audio) / sample_rate
    ax.imshow(
        spectrogram_db(audio),
        origin="lower",
        aspect="auto",
        extent=(0, seconds, 0, sample_rate / 2000),
        vmin=-80,
        vmax=40,
        cmap="magma",
    )
    ax.set(ylabel="kHz", title=title, xlim=(0, seconds))


def plot_example(path: Path, parts: dict[str, np.ndarray], sample_rate: int, title: str = "") -> None:
    """Spectrograms of target and resynthesis, f0 played, loudness of both; saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = parts["target"]
    seconds = len(target) / sample_rate
    fig, axes = plt.subplots(4, 1, figsize=(8, 9), gridspec_kw={"height_ratios": [2, 2, 1, 1]})
    for ax, name in zip(axes[:2], ("target", "resynthesis"), strict=True):
        plot_spectrogram(ax, parts[name], sample_rate, name)
    f0 = parts["f0_hz"]
    axes[2].plot(np.linspace(0, seconds, len(f0), endpoint=False), f0, color="C0")
    axes[2].set_ylabel("f0 played (Hz)")
    axes[2].ticklabel_format(axis="y", style="plain", useOffset=False)
    for name, color in (("target", "k"), ("resynthesis", "C1")):
        ld = compute_loudness(torch.as_tensor(parts[name][None], dtype=torch.float32), sample_rate)[0].numpy()
        axes[3].plot(np.linspace(0, seconds, len(ld), endpoint=False), ld, color=color, label=name)
    axes[3].set_ylabel("loudness (dB)")
    axes[3].legend(loc="lower left", fontsize=8)
    for ax in axes:
        ax.set_xlim(0, seconds)
    axes[3].set_xlabel("time (s)")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_losses(path: Path, metrics: dict[str, list[tuple[int, float]]], title: str = "") -> None:
    """Training loss per step and validation loss per validation, on log axes; saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for key, style in (("train/loss", dict(alpha=0.5, lw=0.8)), ("val/loss", dict(marker="o", lw=1.5))):
        if metrics.get(key):
            steps, values = zip(*metrics[key], strict=True)
            ax.plot(steps, values, label=key, **style)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


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
                problem = audio_problem(example[name])
                if problem and name in ("target", "resynthesis"):
                    warnings.warn(f"step {step}: example {i} {name} {problem}", stacklevel=1)
                sf.write(
                    path, np.clip(np.nan_to_num(example[name]), -1, 1), self.sample_rate, subtype="FLOAT"
                )
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
