import librosa
import numpy as np
import pytest
import scipy.fft
import torch

from ddsp_repro import dsp
from tests.helpers import max_abs, t


def test_stft_magnitudes_match_official(official):
    audio = t(official["spec_audio"])
    assert max_abs(dsp.compute_mag(audio, 1024), official["mag_1024"]) < 1e-3  # |X| up to 126
    assert max_abs(dsp.compute_mag(audio, 64), official["mag_64"]) < 1e-5


def test_mel_matrix_matches_tensorflow(official):
    m = dsp.linear_to_mel_weight_matrix(128, 513, 16000, 20.0, 8000.0)
    assert max_abs(m, official["mel_matrix"]) < 1e-4


def test_mfcc_matches_official(official):
    audio = t(official["spec_audio"])
    for key, overlap in (("mfcc", 0.75), ("mfcc_overlap50", 0.5)):
        ours = dsp.compute_mfcc(audio, overlap=overlap)
        assert ours.shape == official[key].shape
        # Rows 1-2 (noise, quiet tone) agree tightly. Row 0 is a pure sine whose empty bins sit at
        # float32 FFT round-off, where log(mag + 1e-5) depends on the FFT library: looser there.
        assert max_abs(ours[1:], official[key][1:]) < 1e-3
        assert max_abs(ours[0], official[key][0]) < 0.5


def test_mfcc_dct_matches_scipy_reference():
    logmel = torch.randn(2, 5, 128)
    dct = torch.from_numpy(dsp.spectral._dct_matrix_np(128).astype(np.float32))
    ref = scipy.fft.dct(logmel.double().numpy(), type=2, norm=None, axis=-1) / np.sqrt(2 * 128)
    assert max_abs(logmel @ dct, ref) < 1e-4


def test_mfcc_shapes_for_encoder_configs():
    audio = torch.randn(1, 64000)
    assert dsp.compute_mfcc(audio, overlap=0.5).shape == (1, 125, 30)  # supervised NSynth z
    assert dsp.compute_mfcc(audio, overlap=0.75).shape == (1, 250, 30)  # unsupervised


def test_a_weighting_matches_librosa():
    freqs = librosa.fft_frequencies(sr=16000, n_fft=2048)
    assert max_abs(dsp.a_weighting(2048), librosa.A_weighting(freqs)) < 1e-4


def test_paper_loudness_matches_official(official):
    ours = dsp.compute_loudness(t(official["spec_audio"]))
    assert ours.shape == official["loudness_paper"].shape
    assert max_abs(ours, official["loudness_paper"]) < 0.1  # dB (measured ~1e-2 on the sine row)
    assert max_abs(ours[1:], official["loudness_paper"][1:]) < 1e-3


def test_v2_loudness_matches_official(official_v2):
    ours = dsp.compute_loudness(t(official_v2["spec_audio"]), semantics="v2")
    assert ours.shape == official_v2["loudness_v2"].shape  # 1 + n // hop frames, centre padded
    assert max_abs(ours, official_v2["loudness_v2"]) < 1e-3


def test_paper_loudness_known_answers():
    n = 64000
    noise = torch.rand(4, n, generator=torch.Generator().manual_seed(0)) * 2 - 1
    silent = torch.zeros(1, n)
    # ref_db 20.7 is defined as white noise of amplitude 1 (uniform in [-1, 1]) at n_fft 2048.
    assert float(dsp.compute_loudness(noise)[:, 10:-10].mean()) == pytest.approx(0.0, abs=0.5)
    assert float(dsp.compute_loudness(silent).max()) == -120.0
    assert dsp.compute_loudness(noise).shape == (4, 1000)
    # v2 averages power, so a 6.02 dB gain moves it by exactly 6.02 dB (above its floor).
    v2_a = dsp.compute_loudness(noise * 0.1, semantics="v2")
    v2_b = dsp.compute_loudness(noise * 0.2, semantics="v2")
    assert float((v2_b - v2_a)[:, 5:-5].mean()) == pytest.approx(20 * np.log10(2), abs=1e-3)


def test_loudness_padding_frame_counts():
    audio = torch.randn(2, 64000)
    assert dsp.compute_loudness(audio, padding="end").shape == (2, 1000)
    assert dsp.compute_loudness(audio, padding="center").shape == (2, 1001)
    assert dsp.compute_loudness(audio, semantics="v2").shape == (2, 1001)
    assert dsp.compute_loudness(audio, semantics="v2", padding="end").shape == (2, 1000)
    assert dsp.compute_loudness(torch.randn(2, 64010)).shape == (2, 1001)  # ceil(n / hop), as v0.0.6


def test_loudness_is_differentiable():
    audio = (torch.randn(1, 16000) * 0.1).requires_grad_(True)
    dsp.compute_loudness(audio).mean().backward()
    assert torch.isfinite(audio.grad).all() and audio.grad.abs().sum() > 0


def test_loudness_bad_input():
    with pytest.raises(ValueError, match="frame_rate"):
        dsp.compute_loudness(torch.zeros(1, 16000), sample_rate=44100, frame_rate=250)
    with pytest.raises(ValueError, match="NaN"):
        dsp.compute_loudness(torch.full((1, 16000), float("nan")))
    with pytest.raises(ValueError, match="semantics"):
        dsp.compute_loudness(torch.zeros(1, 16000), semantics="v3")


@pytest.mark.parametrize("size, hop, n_samples", [(8, 2, 37), (7, 3, 30), (16, 4, 64)])
def test_windowed_frames_rfft_backward_is_the_exact_gradient(size, hop, n_samples):
    from ddsp_repro.dsp.spectral import _WindowedFramesRFFT

    window = torch.hann_window(size, dtype=torch.float64)
    audio = torch.randn(2, n_samples, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: _WindowedFramesRFFT.apply(x, window, hop), (audio,))


def test_stft_gradient_matches_autograd_of_the_plain_framing():
    from ddsp_repro import native

    audio = torch.randn(3, 3000, requires_grad=True)
    weights = torch.randn(3, 24, 257)  # any real function of the complex spectrum (24 frames)
    grads = []
    for context in (torch.enable_grad, native.disabled):
        audio.grad = None
        with context():
            spec = dsp.stft(audio, 512, 0.75)
            (weights * spec.real + weights.flip(1) * spec.imag).sum().backward()
        grads.append(audio.grad.clone())
    assert max_abs(grads[0], grads[1]) <= 1e-5 * grads[1].abs().max()
