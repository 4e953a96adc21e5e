"""Print how far ddsp-repro is from the official TensorFlow outputs stored in tests/fixtures (markdown).

python -m tools.compare_official
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ddsp_repro import crepe, dsp
from ddsp_repro.effects import Reverb
from ddsp_repro.losses import MultiScaleSpectralLoss
from ddsp_repro.synths import FilteredNoiseSynth, HarmonicSynth

DATA = Path(__file__).resolve().parents[1] / "tests" / "fixtures"


def _diff(a, b) -> float:
    a = a.detach().double().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, np.float64)
    return float(np.abs(a - np.asarray(b, np.float64)).max())


def rows() -> list[tuple[str, str]]:
    ref = dict(np.load(DATA / "official_v0_0_6.npz"))
    v2 = dict(np.load(DATA / "official_v2.npz"))

    def t(key: str) -> torch.Tensor:
        return torch.from_numpy(ref[key])

    def cells(*pairs) -> str:
        return " / ".join(f"{_diff(ours, theirs):.1e}" for ours, theirs in pairs)

    x, a = t("resample_in"), t("spec_audio")
    synth = HarmonicSynth(n_samples=3200)
    c = synth.get_controls(t("harm_amp_logits"), t("harm_dist_logits"), t("harm_f0_hz"))
    audio = synth.get_signal(**c)
    noise_synth = FilteredNoiseSynth(n_samples=3200, window_size=0)
    mags = noise_synth.get_controls(t("noise_mag_logits"))["magnitudes"]
    mfcc, loud = dsp.compute_mfcc(a), dsp.compute_loudness(a)
    grad_audio = t("loss_audio").clone().requires_grad_(True)
    loss = MultiScaleSpectralLoss()(grad_audio, t("loss_target"))
    loss.backward()
    loss_rel = abs(float(loss.detach()) - float(ref["loss_value"])) / float(ref["loss_value"])
    f64 = ref["harm_audio_float64"]
    return [
        (
            "`resample` linear / window",
            cells(
                (dsp.resample(x, 37), ref["resample_linear_odd_out"]),
                (dsp.resample(x, 160, "window"), ref["resample_window_out"]),
            ),
        ),
        (
            "harmonic synth controls (amplitudes / distribution)",
            cells(
                (c["amplitudes"], ref["harm_controls_amplitudes"]),
                (c["harmonic_distribution"], ref["harm_controls_distribution"]),
            ),
        ),
        (
            "harmonic audio, 0.2 s: ours vs float64 / official vs float64 / ours vs official",
            cells((audio, f64), (ref["harm_audio"], f64), (audio, ref["harm_audio"])),
        ),
        (
            "FIR design, window 128 / 31 taps",
            cells(
                (dsp.frequency_impulse_response(mags), ref["noise_ir"]),
                (dsp.frequency_impulse_response(mags, 31), ref["noise_ir_win31"]),
            ),
        ),
        (
            "filtered noise on the same noise",
            cells((noise_synth.get_signal(mags, noise=t("noise_in")), ref["noise_out"])),
        ),
        (
            f"reverb (peak {np.abs(ref['reverb_out']).max():.0f})",
            cells((Reverb(trainable=False)(t("reverb_audio"), t("reverb_ir")), ref["reverb_out"])),
        ),
        (
            f"STFT magnitude, 1024 (peak {ref['mag_1024'].max():.0f}) / 64",
            cells((dsp.compute_mag(a, 1024), ref["mag_1024"]), (dsp.compute_mag(a, 64), ref["mag_64"])),
        ),
        (
            "mel matrix (128 bins, 20-8000 Hz)",
            cells((dsp.linear_to_mel_weight_matrix(128, 513, 16000, 20.0, 8000.0), ref["mel_matrix"])),
        ),
        (
            f"MFCC: sine / noise / quiet sine (values up to {np.abs(ref['mfcc']).max():.0f})",
            cells(*((mfcc[i], ref["mfcc"][i]) for i in range(3))),
        ),
        (
            "loudness paper-era, dB: sine / noise / quiet sine",
            cells(*((loud[i], ref["loudness_paper"][i]) for i in range(3))),
        ),
        ("loudness v2, dB", cells((dsp.compute_loudness(a, semantics="v2"), v2["loudness_v2"]))),
        (
            f"spectral loss (relative) / gradient (largest gradient {np.abs(ref['loss_grad']).max():.1e})",
            f"{loss_rel:.1e} / " + cells((grad_audio.grad, ref["loss_grad"])),
        ),
    ]


def main() -> None:
    versions = [
        str(np.load(DATA / name)["ddsp_version"]) for name in ("official_v0_0_6.npz", "official_v2.npz")
    ]
    print(f"official fixtures: ddsp {' and '.join(versions)}; CREPE: {crepe.weights_path('tiny').parent}")
    print("| piece | max abs difference |\n|---|---|")
    for name, value in rows():
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
