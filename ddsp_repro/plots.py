"""The figures every part of the package draws: spectrograms, one example's tracks, loss curves.

All figures are drawn with matplotlib's file-only Agg backend and written atomically by
`save_figure`, so a plot never needs a screen and a kill never leaves half a PNG.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from ddsp_repro.audio import atomic_path  # noqa: E402
from ddsp_repro.dsp import compute_loudness, compute_mag  # noqa: E402

__all__ = ["plot_example", "plot_losses", "plot_spectrogram", "plot_track", "save_figure", "spectrogram_db"]


def save_figure(fig, path: str | Path, dpi: int = 90) -> Path:
    """Lay out `fig`, write it as a PNG atomically and close it."""
    path = Path(path)
    fig.tight_layout()
    with atomic_path(path) as partial:
        fig.savefig(partial, dpi=dpi, format="png")
    plt.close(fig)
    return path


def spectrogram_db(audio: np.ndarray, n_fft: int = 1024) -> np.ndarray:
    """``[bins, frames]`` magnitude in dB (the loss's own STFT: periodic Hann, 75% overlap)."""
    mag = compute_mag(torch.as_tensor(np.asarray(audio), dtype=torch.float32)[None], n_fft)[0]
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


def plot_track(ax, values, seconds: float, **kwargs) -> None:
    """A frame-wise track (f0, loudness, ...) spread evenly over `seconds`."""
    values = np.asarray(values, dtype=np.float64)
    ax.plot(np.linspace(0, seconds, len(values), endpoint=False), values, **kwargs)


def plot_example(path: Path, parts: dict[str, np.ndarray], sample_rate: int, title: str = "") -> None:
    """Spectrograms of target and resynthesis, f0 played, loudness of both; saved as a PNG."""
    target = parts["target"]
    seconds = len(target) / sample_rate
    fig, axes = plt.subplots(4, 1, figsize=(8, 9), gridspec_kw={"height_ratios": [2, 2, 1, 1]})
    for ax, name in zip(axes[:2], ("target", "resynthesis"), strict=True):
        plot_spectrogram(ax, parts[name], sample_rate, name)
    plot_track(axes[2], parts["f0_hz"], seconds, color="C0")
    axes[2].set_ylabel("f0 played (Hz)")
    axes[2].ticklabel_format(axis="y", style="plain", useOffset=False)
    for name, color in (("target", "k"), ("resynthesis", "C1")):
        audio = torch.as_tensor(np.nan_to_num(parts[name])[None], dtype=torch.float32)
        plot_track(axes[3], compute_loudness(audio, sample_rate)[0].numpy(), seconds, color=color, label=name)
    axes[3].set_ylabel("loudness (dB)")
    axes[3].legend(loc="lower left", fontsize=8)
    for ax in axes:
        ax.set_xlim(0, seconds)
    axes[3].set_xlabel("time (s)")
    fig.suptitle(title)
    save_figure(fig, path)


def plot_losses(path: Path, metrics: dict[str, list[tuple[int, float]]], title: str = "") -> None:
    """Training loss per step and validation loss per validation, on log axes; saved as a PNG."""
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
    save_figure(fig, path)
