import numpy as np
import pytest
import torch

from ddsp_repro import dsp
from ddsp_repro.synths import HarmonicSynth
from tests.helpers import max_abs, t


def _float64_harmonic_reference(f0_hz, amplitudes, distribution, n_samples, sample_rate=16000):
    """Independent NumPy float64 harmonic synthesis with the official envelope semantics."""
    f0 = np.asarray(f0_hz, dtype=np.float64)[..., 0]
    amps = np.asarray(amplitudes, dtype=np.float64) * np.asarray(distribution, dtype=np.float64)
    n_frames = f0.shape[1]
    hop = n_samples // n_frames
    pos = np.arange(n_samples) / hop
    i0 = np.floor(pos).astype(int)
    i1 = np.minimum(i0 + 1, n_frames - 1)
    frac = pos - i0
    f_env = f0[:, i0] * (1 - frac) + f0[:, i1] * frac
    rise = np.sin(np.pi * (np.arange(n_samples) % hop) / (2 * hop)) ** 2
    a_next = np.concatenate([amps[:, 1:], amps[:, -1:]], axis=1)
    a_env = amps[:, i0] * (1 - rise)[None, :, None] + a_next[:, i0] * rise[None, :, None]
    k = np.arange(1, amps.shape[-1] + 1)
    freqs = f_env[..., None] * k
    a_env = np.where(freqs >= sample_rate / 2, 0.0, a_env)
    phase = np.cumsum(2 * np.pi * f_env / sample_rate, axis=1)[..., None] * k
    return np.sum(a_env * np.sin(phase), axis=-1)


def test_long_tone_stays_within_1e3_of_float64():
    """Acceptance: 4 s, 8 harmonics at 440 Hz, within 1e-3 of exact arithmetic (we reach ~1e-5)."""
    n_frames, n_samples = 1000, 64000
    f0 = torch.full((1, n_frames, 1), 440.0)
    amps = torch.ones(1, n_frames, 1)
    dist = torch.ones(1, n_frames, 8) / 8
    audio = dsp.harmonic_synthesis(f0, amps, dist, n_samples)
    ref = _float64_harmonic_reference(f0, amps, dist, n_samples)
    assert max_abs(audio, ref) < 1e-4


def test_vibrato_and_glide_match_float64_over_4s():
    n_frames, n_samples = 1000, 64000
    time = torch.linspace(0, 4, n_frames)
    f0 = (220 * 2 ** (time / 4) + 15 * torch.sin(2 * np.pi * 5 * time))[None, :, None]
    amps = (0.5 + 0.4 * torch.sin(time))[None, :, None]
    dist = torch.softmax(torch.randn(1, n_frames, 40), dim=-1)
    audio = dsp.harmonic_synthesis(f0, amps, dist, n_samples)
    ref = _float64_harmonic_reference(f0, amps, dist, n_samples)
    assert max_abs(audio, ref) < 1e-4


def test_matches_official_within_its_own_float32_error(official):
    synth = HarmonicSynth(n_samples=3200)
    controls = synth.get_controls(
        t(official["harm_amp_logits"]), t(official["harm_dist_logits"]), t(official["harm_f0_hz"])
    )
    assert max_abs(controls["amplitudes"], official["harm_controls_amplitudes"]) < 1e-5
    assert max_abs(controls["harmonic_distribution"], official["harm_controls_distribution"]) < 1e-5
    audio = synth.get_signal(**controls)
    exact = official["harm_audio_float64"]
    official_error = max_abs(official["harm_audio"], exact)
    assert max_abs(audio, exact) < 1e-4  # ours is exact up to float32 rounding ...
    assert max_abs(audio, official["harm_audio"]) <= official_error + 1e-4  # ... official drifts


def test_short_signal_matches_official_float32_output(official):
    """Over the first 256 samples the official float32 cumsum has not drifted yet: outputs agree."""
    synth = HarmonicSynth(n_samples=3200)
    controls = synth.get_controls(
        t(official["harm_amp_logits"]), t(official["harm_dist_logits"]), t(official["harm_f0_hz"])
    )
    audio = synth.get_signal(**controls)
    assert max_abs(audio[:, :256], official["harm_audio"][:, :256]) < 1e-4


def test_oscillator_bank_matches_float64_over_4s():
    n = 64000
    time = np.arange(n) / 16000
    f_env = (440 + 30 * np.sin(2 * np.pi * 3 * time))[:, None] * np.arange(1, 9)
    a_env = np.ones_like(f_env) / 8
    audio = dsp.oscillator_bank(t(f_env[None].astype(np.float32)), t(a_env[None].astype(np.float32)))
    f32 = f_env.astype(np.float32).astype(np.float64)
    ref = np.sum(a_env * np.sin(np.cumsum(2 * np.pi * f32 / 16000, axis=0)), axis=-1)
    assert max_abs(audio[0], ref) < 1e-4


def test_440_hz_harmonic_peaks_at_440():
    f0 = torch.full((1, 250, 1), 440.0)
    audio = dsp.harmonic_synthesis(f0, torch.ones(1, 250, 1), torch.ones(1, 250, 1), 16000)
    spectrum = np.abs(np.fft.rfft(audio[0].numpy()))
    assert np.argmax(spectrum) == 440  # 1 Hz bins for 1 s


def test_harmonics_above_nyquist_carry_no_energy():
    f0 = torch.full((1, 250, 1), 3000.0)  # harmonics 1-2 below 8 kHz, 3+ at or above
    dist = torch.zeros(1, 250, 6)
    dist[..., 2:] = 1.0  # all energy requested above Nyquist
    audio = dsp.harmonic_synthesis(f0, torch.ones(1, 250, 1), dist, 16000)
    assert float(audio.abs().max()) == 0.0
    # The synth's controls renormalise what is left below Nyquist.
    controls = HarmonicSynth(n_samples=16000, scale_fn=None).get_controls(
        torch.ones(1, 250, 1), torch.ones(1, 250, 6), f0
    )
    np.testing.assert_allclose(
        controls["harmonic_distribution"][0, 0].numpy(), [0.5, 0.5, 0, 0, 0, 0], atol=1e-7
    )


def test_gradients_are_finite():
    f0 = torch.full((2, 50, 1), 300.0, requires_grad=True)
    amps = torch.rand(2, 50, 1, requires_grad=True)
    dist = torch.rand(2, 50, 20, requires_grad=True)
    audio = dsp.harmonic_synthesis(f0, amps, dist, 3200)
    audio.square().mean().backward()
    for p in (f0, amps, dist):
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0


@pytest.mark.parametrize(
    "shapes, n_samples, match",
    [
        (((2, 50), (2, 50, 1), (2, 50, 4)), 3200, "dims"),
        (((2, 50, 1), (2, 49, 1), (2, 50, 4)), 3200, "frame counts differ"),
        (((2, 50, 1), (2, 50, 1), (2, 50, 4)), 3201, "multiple"),
    ],
)
def test_bad_shapes_give_clear_errors(shapes, n_samples, match):
    f0, amps, dist = (torch.ones(s) for s in shapes)
    with pytest.raises(ValueError, match=match):
        dsp.harmonic_synthesis(f0 * 100, amps, dist, n_samples)


def test_nan_controls_are_rejected():
    f0 = torch.full((1, 10, 1), 200.0)
    f0[0, 3, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        dsp.harmonic_synthesis(f0, torch.ones(1, 10, 1), torch.ones(1, 10, 3), 640)


def test_magenta_keyword_frequencies_is_f0_hz():
    g = torch.Generator().manual_seed(0)
    f0 = 200 + 100 * torch.rand(1, 10, 1, generator=g)
    amplitudes, distribution = torch.rand(1, 10, 1, generator=g), torch.rand(1, 10, 5, generator=g)
    ours = dsp.harmonic_synthesis(f0, amplitudes, distribution, 640)
    magenta = dsp.harmonic_synthesis(
        frequencies=f0, amplitudes=amplitudes, harmonic_distribution=distribution, n_samples=640
    )
    assert torch.equal(ours, magenta)
    with pytest.raises(TypeError, match="once"):
        dsp.harmonic_synthesis(f0, amplitudes, distribution, 640, frequencies=f0)
