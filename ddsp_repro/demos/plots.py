"""Figures of the demonstrations: what was asked of the model beside what it played."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ddsp_repro.plots import plot_spectrogram, plot_track, save_figure  # noqa: E402

__all__ = ["plot_control", "plot_extrapolation", "plot_room", "plot_transfer"]


def plot_transfer(path: Path, result: dict, input_audio: np.ndarray, sample_rate: int, title: str) -> None:
    """Input and output spectrograms; f0 and loudness of input, conditioning and output."""
    output = result["parts"]["audio"]
    seconds = len(output) / sample_rate
    fig, axes = plt.subplots(4, 1, figsize=(8, 10), gridspec_kw={"height_ratios": [2, 2, 1.3, 1.3]})
    plot_spectrogram(axes[0], input_audio, sample_rate, "input")
    plot_spectrogram(axes[1], output, sample_rate, "output")
    inp, cond, out = result["input"], result["conditioning"], result["output"]
    pitched = cond["pitched"].numpy()
    f0_in = np.where(pitched, inp["f0_hz"].numpy(), np.nan)
    f0_out = np.where(out["confidence"].numpy() >= 0.5, out["f0_hz"].numpy(), np.nan)
    plot_track(
        axes[2], f0_in, seconds, color="0.5", marker=".", ms=3, ls="none", label="input (pitched frames)"
    )
    plot_track(
        axes[2],
        cond["f0_hz"],
        seconds,
        color="C0",
        label=f"conditioning ({result['summary']['octave_shift']:+d} oct)",
    )
    plot_track(axes[2], f0_out, seconds, color="C1", ls="--", label="output, re-tracked")
    axes[2].set(ylabel="f0 (Hz)", yscale="log")
    plot_track(axes[3], inp["loudness_db"], seconds, color="0.5", label="input")
    plot_track(axes[3], cond["loudness_db"], seconds, color="C0", label="conditioning (matched, gated)")
    plot_track(axes[3], out["loudness_db"], seconds, color="C1", ls="--", label="output, re-measured")
    axes[3].set(ylabel="loudness (dB)", xlabel="time (s)")
    for ax in axes[2:]:
        ax.set_xlim(0, seconds)
        ax.legend(fontsize=7, loc="lower left")
    fig.suptitle(title)
    save_figure(fig, path)


def plot_room(path: Path, measures: dict, extra: dict, sample_rate: int, title: str) -> None:
    """The learned IR, its energy decay, and the decay of each signal after its sound stops."""
    from ddsp_repro.evaluation.acoustics import energy_decay_curve

    audio = extra["audio"]
    ir = audio["ir"]
    fig, axes = plt.subplots(3, 1, figsize=(8, 9))
    t = np.arange(ir.size) / sample_rate
    axes[0].plot(t, ir, lw=0.5)
    axes[0].set(title="learned impulse response (dry tap + learned taps)", xlabel="s", ylim=(-0.05, 0.05))
    axes[1].plot(t, extra["edc"], color="C0")
    axes[1].axhline(-5, color="0.6", ls=":")
    axes[1].axhline(-25, color="0.6", ls=":")
    ir_m = measures["learned_ir"]
    axes[1].set(
        title=(
            f"energy decay of the IR: EDT {ir_m['edt_s']} s, RT60 {ir_m['rt60_s']} s (T20), "
            f"DRR {ir_m['drr_db']} dB"
        ),
        xlabel="s",
        ylabel="dB",
        ylim=(-80, 2),
    )
    for name, offset, color in (
        ("wet", extra["offset"], "C0"),
        ("dry", extra["offset"], "C1"),
        ("other_input", extra["other_offset"], "0.5"),
        ("transferred", extra["other_offset"], "C2"),
    ):
        tail = audio[name][offset:]
        if np.any(tail != 0):
            edc = energy_decay_curve(tail)
            label = f"{name}: EDT {measures[name]['edt_s']} s, RT60 {measures[name]['rt60_s']} s"
            axes[2].plot(np.arange(tail.size) / sample_rate, edc, color=color, label=label)
    axes[2].set(title="after the sound stops", xlabel="s after the offset", ylabel="dB", ylim=(-80, 2))
    axes[2].legend(fontsize=8)
    fig.suptitle(title)
    save_figure(fig, path)


def plot_control(path: Path, rows: list[dict], extra: dict, title: str) -> None:
    """Loudness and F0 L1 per condition; the spectral centroid along the z interpolation."""
    centroids = extra.get("z_centroid_hz_alpha_0_to_1")
    fig, axes = plt.subplots(1, 3 if centroids else 2, figsize=(13 if centroids else 9, 4))
    names = [r["condition"] for r in rows]
    y = np.arange(len(rows))
    for ax, key, label in (
        (axes[0], "loudness_l1_db", "loudness L1 (dB)"),
        (axes[1], "f0_l1_semitones", "F0 L1 (semitones)"),
    ):
        ax.barh(y, [r[key] if r[key] is not None else np.nan for r in rows], color="C0")
        ax.set(yticks=y, xlabel=label)
        ax.set_yticklabels(names if ax is axes[0] else [], fontsize=8)
        ax.invert_yaxis()
    if centroids:
        axes[2].plot([0, 0.25, 0.5, 0.75, 1.0], centroids, "o-")
        axes[2].set(xlabel="z interpolation alpha (note A -> note B)", ylabel="spectral centroid (Hz)")
    fig.suptitle(title)
    save_figure(fig, path)


def plot_extrapolation(path: Path, rows: list[dict], title: str) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.5))
    labels = [f"{r['condition']}\n(MIDI {r['mean_pitch_midi']:.0f})" for r in rows]
    ax.bar(labels, [r["f0_l1_semitones"] if r["f0_l1_semitones"] is not None else np.nan for r in rows])
    ax.set(ylabel="F0 L1 of output (semitones)", title=title)
    save_figure(fig, path)
