"""A synthesis demo that needs no training: hand-made controls through the paper's synths.

Renders a 4 s violin-like phrase (glide, vibrato, a swell) as harmonic + filtered noise, runs it
through a synthetic room reverb, writes the wav files and a figure of the controls and the
spectrogram, and re-measures f0 (CREPE) and loudness of the result so you can see that the audio
follows its controls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ddsp_repro import dsp
from ddsp_repro.audio import write_json_atomic, write_wav
from ddsp_repro.effects import Reverb
from ddsp_repro.synths import FilteredNoiseSynth, HarmonicSynth

SAMPLE_RATE = 16000
FRAME_RATE = 250


@dataclass(frozen=True)
class DemoResult:
    wav_paths: dict[str, Path]
    figure_path: Path
    summary: dict[str, float]


def demo_controls(seconds: float = 4.0, n_harmonics: int = 60, seed: int = 0) -> dict[str, torch.Tensor]:
    """Frame-wise controls ``[1, n_frames, ...]`` for a glide from A3 to E4 with vibrato and a swell."""
    n_frames = int(seconds * FRAME_RATE)
    time = torch.arange(n_frames) / FRAME_RATE
    midi = 57 + 7 * torch.sigmoid((time - seconds / 2) * 6)  # A3 -> E4 glide
    vibrato = 0.3 * torch.sin(2 * math.pi * 5.5 * time) * torch.clamp(time - 0.5, 0, 1)
    f0_hz = dsp.midi_to_hz(midi + vibrato)[None, :, None]
    envelope = torch.clamp(time / 0.15, max=1.0) * torch.clamp((seconds - time) / 0.3, max=1.0)
    amplitudes = (0.35 * envelope * (0.8 + 0.2 * torch.sin(math.pi * time / seconds)))[None, :, None]
    k = torch.arange(1, n_harmonics + 1)
    brightness = 1.2 + 0.6 * torch.sin(math.pi * time / seconds)  # spectral tilt moves with the swell
    distribution = (k[None, :] ** -brightness[:, None])[None]
    g = torch.Generator().manual_seed(seed)
    noise_db = -50 + 10 * envelope  # quiet bow noise rising with the note
    bands = torch.linspace(0, 1, 65)
    noise_magnitudes = dsp.db_to_amplitude(noise_db[:, None] - 20 * bands[None, :])[None]
    room_ir = (
        torch.randn(1, 24000, generator=g) * torch.exp(-torch.arange(24000) / (0.25 * SAMPLE_RATE)) * 0.02
    )
    return {
        "f0_hz": f0_hz,
        "amplitudes": amplitudes,
        "harmonic_distribution": distribution / distribution.sum(-1, keepdim=True),
        "noise_magnitudes": noise_magnitudes,
        "room_ir": room_ir,
    }


def render(controls: dict[str, torch.Tensor], seed: int = 0) -> dict[str, torch.Tensor]:
    """Harmonic, noise, dry mix and reverberant mix, each ``[1, n_samples]``."""
    n_frames = controls["f0_hz"].shape[1]
    n_samples = n_frames * SAMPLE_RATE // FRAME_RATE
    harmonic = HarmonicSynth(n_samples=n_samples, sample_rate=SAMPLE_RATE, scale_fn=None)
    noise_synth = FilteredNoiseSynth(n_samples=n_samples, scale_fn=None)
    g = torch.Generator().manual_seed(seed)
    parts = {
        "harmonic": harmonic(controls["amplitudes"], controls["harmonic_distribution"], controls["f0_hz"]),
        "noise": noise_synth(controls["noise_magnitudes"], generator=g),
    }
    parts["dry"] = parts["harmonic"] + parts["noise"]
    parts["wet"] = Reverb(trainable=False)(parts["dry"], controls["room_ir"])
    return parts


def run_demo(out_dir: Path, seed: int = 0, crepe_model: str = "tiny") -> DemoResult:
    """Render the demo into `out_dir` and return the file paths and measured figures."""
    import matplotlib.pyplot as plt

    from ddsp_repro.plots import plot_spectrogram, plot_track, save_figure

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    controls = demo_controls(seed=seed)
    with torch.no_grad():
        parts = render(controls, seed=seed)

    wav_paths = {}
    for name, audio in parts.items():
        path = out_dir / f"demo_{name}.wav"
        write_wav(path, audio[0].numpy(), SAMPLE_RATE, peak="raise")
        wav_paths[name] = path

    dry = parts["dry"]
    # Centred frames line CREPE up with the controls' time grid (end padding would lead by 32 ms).
    f0_measured, confidence = dsp.compute_f0(dry[0], crepe_model=crepe_model, padding="center")
    f0_measured, confidence = f0_measured[:-1], confidence[:-1]
    loudness = dsp.compute_loudness(dry)[0]
    target_f0 = controls["f0_hz"][0, :, 0]
    voiced = confidence > 0.85
    cents = 1200 * torch.log2(f0_measured[voiced] / target_f0[voiced]).abs()
    summary = {
        "peak_dry": float(dry.abs().max()),
        "peak_wet": float(parts["wet"].abs().max()),
        "f0_median_error_cents": float(cents.median()) if voiced.any() else float("nan"),
        "voiced_fraction": float(voiced.float().mean()),
        "loudness_db_median": float(loudness.median()),
    }
    write_json_atomic(out_dir / "demo_summary.json", summary, indent=2)

    seconds = target_f0.shape[0] / FRAME_RATE
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True, gridspec_kw={"height_ratios": [2, 1, 1]})
    plot_spectrogram(axes[0], parts["wet"][0].numpy(), SAMPLE_RATE, "Spectrogram (dry + reverb)")
    plot_track(axes[1], target_f0.numpy(), seconds, label="f0 control")
    plot_track(
        axes[1],
        np.where(voiced.numpy(), f0_measured.numpy(), np.nan),
        seconds,
        ls="--",
        label=f"CREPE ({crepe_model})",
    )
    axes[1].set(ylabel="Hz", title="f0")
    axes[1].legend(loc="upper left")
    plot_track(axes[2], loudness.numpy(), seconds)
    axes[2].set(ylabel="dB", xlabel="seconds", title="Loudness (paper-era A-weighted)")
    figure_path = save_figure(fig, out_dir / "demo.png", dpi=110)
    return DemoResult(wav_paths=wav_paths, figure_path=figure_path, summary=summary)
