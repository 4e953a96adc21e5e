"""Write reference outputs of the official TensorFlow DDSP code for the test suite.

This runs in a separate environment that has TensorFlow and the official package, never in
ddsp-repro's own (the tests only read the .npz files this writes):

    python -m venv /tmp/tfref && . /tmp/tfref/bin/activate
    pip install tensorflow-cpu==2.21.0 tf-keras gin-config librosa==0.11.0 scipy "setuptools<70"
    pip install --no-deps ddsp==0.0.6                       # paper-era code (ICLR 2020 release)
    pip install --no-deps --target /tmp/ddsp_v2 ddsp==3.7.0  # v2 loudness
    python tools/make_official_fixtures.py --v2-path /tmp/ddsp_v2 --out tests/fixtures

Inputs are drawn from a fixed seed and stored beside the outputs, so the tests feed exactly the
same numbers to ddsp-repro. (`ddsp.spectral_ops` imports `crepe`, whose install downloads
weights; it is stubbed here since no f0 is computed.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np

SEED = 1234


class _AnyAttribute:
    def __getattr__(self, name: str) -> type:
        return object


def _import_official():
    # Only numeric code is used; modules needed for f0 or other features are stubbed.
    for name in ("crepe", "tensorflow_probability"):
        stub = types.ModuleType(name)
        stub.distributions = _AnyAttribute()  # base classes read at import time by ddsp 3.x
        sys.modules.setdefault(name, stub)
    import ddsp
    import tensorflow as tf

    return ddsp, tf


def paper_era(out: Path) -> None:
    ddsp, tf = _import_official()
    from ddsp import core, effects, losses, spectral_ops, synths

    rng = np.random.default_rng(SEED)
    f32 = np.float32
    data: dict[str, np.ndarray] = {
        "ddsp_version": np.array(ddsp.__version__),
        "tf_version": np.array(tf.__version__),
    }

    # Resampling: linear (TF1 mapping) and Hann-window upsampling.
    frames = rng.normal(size=(2, 10, 3)).astype(f32)
    data["resample_in"] = frames
    data["resample_linear_out"] = core.resample(frames, 160, method="linear").numpy()
    data["resample_linear_odd_out"] = core.resample(frames, 37, method="linear").numpy()
    data["resample_window_out"] = core.resample(frames, 160, method="window").numpy()

    # exp_sigmoid.
    x = np.linspace(-12, 12, 101, dtype=f32)
    data["exp_sigmoid_in"] = x
    data["exp_sigmoid_out"] = core.exp_sigmoid(x).numpy()

    # Harmonic synthesis through the official synth (controls + signal), short signal.
    n_frames, n_samples, n_harm = 50, 3200, 60
    f0 = np.concatenate(
        [np.linspace(200, 420, n_frames)[None], 1000 + 300 * np.sin(np.linspace(0, 6, n_frames))[None]]
    )[..., None].astype(f32)
    amp_logits = rng.normal(size=(2, n_frames, 1)).astype(f32)
    dist_logits = rng.normal(size=(2, n_frames, n_harm)).astype(f32)
    synth = synths.Additive(n_samples=n_samples, sample_rate=16000)
    controls = synth.get_controls(amp_logits, dist_logits, f0)
    data.update(
        harm_f0_hz=f0,
        harm_amp_logits=amp_logits,
        harm_dist_logits=dist_logits,
        harm_controls_amplitudes=controls["amplitudes"].numpy(),
        harm_controls_distribution=controls["harmonic_distribution"].numpy(),
        harm_audio=synth.get_signal(**controls).numpy(),
    )
    # Float64 reference for the same controls (official maths in double precision).
    with tf.device("/cpu:0"):
        amps64 = (
            core.resample(
                controls["amplitudes"] * controls["harmonic_distribution"], n_samples, method="window"
            )
            .numpy()
            .astype(np.float64)
        )
        f_env = core.resample(f0 * np.arange(1, n_harm + 1, dtype=f32), n_samples).numpy().astype(np.float64)
    amps64 = np.where(f_env >= 8000.0, 0.0, amps64)
    phase64 = np.cumsum(2 * np.pi * f_env / 16000.0, axis=1)
    data["harm_audio_float64"] = np.sum(amps64 * np.sin(phase64), axis=-1)

    # Filtered noise: official FIR design and block convolution on supplied noise.
    mags_logits = rng.normal(size=(2, 50, 65)).astype(f32)
    noise = rng.uniform(-1, 1, size=(2, 3200)).astype(f32)
    noise_synth = synths.FilteredNoise(n_samples=3200, window_size=0)
    mags = noise_synth.get_controls(mags_logits)["magnitudes"]
    data.update(
        noise_mag_logits=mags_logits,
        noise_in=noise,
        noise_magnitudes=mags.numpy(),
        noise_ir=core.frequency_impulse_response(mags, window_size=0).numpy(),
        noise_ir_win31=core.frequency_impulse_response(mags, window_size=31).numpy(),
        noise_out=core.frequency_filter(noise, mags, window_size=0).numpy(),
    )

    # Reverb (official Reverb processor, supplied IR).
    audio = rng.normal(size=(2, 4000)).astype(f32) * 0.3
    ir = rng.normal(size=(2, 1500)).astype(f32) * np.exp(-np.arange(1500) / 300.0).astype(f32)
    reverb = effects.Reverb(trainable=False, add_dry=True)
    data.update(reverb_audio=audio, reverb_ir=ir, reverb_out=reverb.get_signal(audio, ir).numpy())

    # Spectral features.
    t = np.arange(16000) / 16000.0
    sig = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), rng.normal(size=16000) * 0.1]).astype(f32)
    sig = np.concatenate([sig, (sig[:1] * 1e-3)], axis=0)  # a quiet row too
    data["spec_audio"] = sig
    data["mag_1024"] = spectral_ops.compute_mag(sig, size=1024).numpy()
    data["mag_64"] = spectral_ops.compute_mag(sig, size=64).numpy()
    data["mfcc"] = spectral_ops.compute_mfcc(sig, mfcc_bins=30).numpy()
    data["mfcc_overlap50"] = spectral_ops.compute_mfcc(sig, mfcc_bins=30, overlap=0.5).numpy()
    data["mel_matrix"] = tf.signal.linear_to_mel_weight_matrix(128, 513, 16000, 20.0, 8000.0).numpy()
    data["loudness_paper"] = spectral_ops.compute_loudness(sig, sample_rate=16000, frame_rate=250).astype(f32)

    # Multi-scale spectral loss and its gradient with respect to the synthesised audio.
    target = rng.normal(size=(2, 8000)).astype(f32) * 0.2
    synth_audio = tf.Variable(rng.normal(size=(2, 8000)).astype(f32) * 0.2)
    loss_fn = losses.SpectralLoss(logmag_weight=1.0)
    with tf.GradientTape() as tape:
        value = loss_fn(synth_audio, target)
    data.update(
        loss_target=target,
        loss_audio=synth_audio.numpy(),
        loss_value=np.array(value.numpy()),
        loss_grad=tape.gradient(value, synth_audio).numpy(),
    )
    np.savez_compressed(out / "official_v0_0_6.npz", **data)
    print("wrote", out / "official_v0_0_6.npz", f"(ddsp {ddsp.__version__}, tf {tf.__version__})")


def v2(out: Path) -> None:
    ddsp, tf = _import_official()
    from ddsp import spectral_ops

    ref = np.load(out / "official_v0_0_6.npz")
    sig = ref["spec_audio"]
    loud = spectral_ops.compute_loudness(sig, sample_rate=16000, frame_rate=250, use_tf=True).numpy()
    np.savez_compressed(
        out / "official_v2.npz", ddsp_version=np.array(ddsp.__version__), spec_audio=sig, loudness_v2=loud
    )
    print("wrote", out / "official_v2.npz", f"(ddsp {ddsp.__version__})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("tests/fixtures"))
    parser.add_argument("--v2-path", type=Path, help="folder where ddsp 3.x was installed with --target")
    parser.add_argument("--part", choices=["paper", "v2"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.part == "paper":
        paper_era(args.out)
    elif args.part == "v2":
        v2(args.out)
    else:
        # Two processes: both official versions are the package `ddsp`.
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        subprocess.run(
            [sys.executable, __file__, "--out", str(args.out), "--part", "paper"], check=True, env=env
        )
        if args.v2_path:
            env["PYTHONPATH"] = str(args.v2_path)
            subprocess.run(
                [sys.executable, __file__, "--out", str(args.out), "--part", "v2"], check=True, env=env
            )


if __name__ == "__main__":
    main()
