import numpy as np
import pytest
import scipy.signal
import torch

from ddsp_repro import dsp
from ddsp_repro.synths import FilteredNoiseSynth
from tests.helpers import max_abs, t


def test_time_invariant_fft_convolve_matches_scipy():
    rng = np.random.default_rng(0)
    audio = rng.normal(size=(2, 3000)).astype(np.float32)
    ir = rng.normal(size=(2, 700)).astype(np.float32)
    out = dsp.fft_convolve(t(audio), t(ir), padding="valid", delay_compensation=0)
    ref = np.stack([scipy.signal.fftconvolve(a, h) for a, h in zip(audio, ir, strict=True)])
    assert out.shape == (2, 3699)
    assert max_abs(out, ref) < 1e-4


def test_time_varying_fft_convolve_matches_blockwise_scipy():
    rng = np.random.default_rng(1)
    audio = rng.normal(size=(1, 640)).astype(np.float32)
    irs = rng.normal(size=(1, 10, 33)).astype(np.float32)
    out = dsp.fft_convolve(t(audio), t(irs), padding="valid", delay_compensation=0)
    ref = np.zeros(640 + 33 - 1)
    for j in range(10):  # each 64-sample block convolved with its own IR, overlap-added
        ref[j * 64 : j * 64 + 64 + 32] += scipy.signal.convolve(audio[0, j * 64 : (j + 1) * 64], irs[0, j])
    assert max_abs(out[0], ref) < 1e-5


def test_frequency_impulse_response_matches_official(official):
    mags = t(official["noise_magnitudes"])
    assert max_abs(dsp.frequency_impulse_response(mags), official["noise_ir"]) < 1e-8
    short = dsp.frequency_impulse_response(mags, window_size=31)
    assert short.shape[-1] == 31
    assert max_abs(short, official["noise_ir_win31"]) < 1e-8


def test_filtered_noise_matches_official_on_supplied_noise(official):
    synth = FilteredNoiseSynth(n_samples=3200, window_size=0)
    mags = synth.get_controls(t(official["noise_mag_logits"]))["magnitudes"]
    assert max_abs(mags, official["noise_magnitudes"]) < 1e-7
    out = synth.get_signal(mags, noise=t(official["noise_in"]))
    assert max_abs(out, official["noise_out"]) < 1e-7


def test_all_pass_filter_only_delays_by_the_official_two_samples():
    """Flat magnitude -> a delta at tap 64 of 128; compensating 62 samples leaves a 2-sample delay.

    (The official group-delay crop is (ir - 1) // 2 - 1 = 62, not 64.)
    """
    noise = torch.rand(1, 6400) * 2 - 1
    out = dsp.frequency_filter(noise, torch.ones(1, 100, 65))
    np.testing.assert_allclose(out[0, 2:].numpy(), noise[0, :-2].numpy(), atol=1e-6)


def test_fft_convolve_rejects_bad_frame_counts_and_batches():
    with pytest.raises(ValueError, match="equal blocks"):
        dsp.fft_convolve(torch.zeros(1, 100), torch.zeros(1, 30, 8))
    with pytest.raises(ValueError, match="batch"):
        dsp.fft_convolve(torch.zeros(3, 100), torch.zeros(2, 10, 8))
    with pytest.raises(ValueError, match="NaN"):
        dsp.frequency_filter(torch.zeros(1, 100), torch.full((1, 10, 5), float("nan")))


@pytest.mark.parametrize("n_blocks, block, hop", [(1, 32, 8), (7, 32, 8), (5, 30, 8), (6, 12, 12)])
def test_overlap_add_matches_fold(n_blocks, block, hop):
    blocks = torch.randn(3, n_blocks, block)
    out_size = (n_blocks - 1) * hop + block
    expected = torch.nn.functional.fold(
        blocks.transpose(1, 2), output_size=(1, out_size), kernel_size=(1, block), stride=(1, hop)
    ).reshape(3, out_size)
    assert max_abs(dsp.overlap_add(blocks, hop), expected) < 1e-6


def test_one_ir_broadcast_over_the_batch_convolves_every_example():
    audio, ir = torch.randn(4, 3000), torch.randn(1, 500)
    shared = dsp.fft_convolve(audio, ir.expand(4, -1), delay_compensation=0)
    each = dsp.fft_convolve(audio, ir.repeat(4, 1), delay_compensation=0)
    assert max_abs(shared, each) < 1e-5
