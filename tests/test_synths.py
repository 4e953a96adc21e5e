import math

import pytest
import torch

from ddsp_repro.synths import FilteredNoiseSynth, HarmonicSynth


def test_harmonic_synth_runs_both_steps_on_raw_outputs():
    synth = HarmonicSynth(n_samples=16000, sample_rate=16000)
    audio = synth(
        amplitudes=torch.randn(2, 250, 1),
        harmonic_distribution=torch.randn(2, 250, 100),
        f0_hz=torch.full((2, 250, 1), 220.0),
    )
    assert audio.shape == (2, 16000) and torch.isfinite(audio).all()
    controls = synth.get_controls(
        torch.randn(2, 250, 1), torch.randn(2, 250, 100), torch.full((2, 250, 1), 220.0)
    )
    assert torch.allclose(controls["harmonic_distribution"].sum(-1), torch.ones(2, 250), atol=1e-5)
    assert float(controls["amplitudes"].min()) >= 1e-7


def test_filtered_noise_reproducible_with_supplied_noise_or_generator():
    synth = FilteredNoiseSynth(n_samples=6400, window_size=0, initial_bias=-5.0)
    logits = torch.randn(1, 100, 65)
    noise = torch.rand(1, 6400) * 2 - 1
    assert torch.equal(synth(logits, noise=noise), synth(logits, noise=noise))
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(synth(logits, generator=g1), synth(logits, generator=g2))
    with pytest.raises(ValueError, match="noise must have shape"):
        synth(logits, noise=torch.zeros(1, 100))


def test_initial_bias_starts_noise_quiet():
    synth = FilteredNoiseSynth(n_samples=6400)
    mags = synth.get_controls(torch.zeros(1, 100, 65))["magnitudes"]
    expected = 2.0 * torch.sigmoid(torch.tensor(-5.0)) ** math.log(10.0) + 1e-7
    assert torch.allclose(mags, expected.expand_as(mags))
    assert float(mags.max()) < 1e-4


def test_synth_gradients_finite():
    logits = torch.randn(1, 100, 65, requires_grad=True)
    FilteredNoiseSynth(n_samples=6400)(logits).square().mean().backward()
    assert torch.isfinite(logits.grad).all() and logits.grad.abs().sum() > 0
