"""Any sample rate: derived sizes, fractional CREPE frames, padding, presets and alignment."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from ddsp_repro import rates
from ddsp_repro.crepe import compute_features
from ddsp_repro.crepe.inference import frame_starts
from ddsp_repro.training.presets import AT_RATES, SOLO_VIOLIN, SUPERVISED_NSYNTH, at_rate


def test_sizes_are_derived_from_the_rate():
    assert [rates.hop_for(r) for r in rates.SUPPORTED_RATES] == [64, 88, 96, 128, 176, 192]
    assert rates.frame_rate_of(16000, 64) == 250 and isinstance(rates.frame_rate_of(16000, 64), int)
    assert rates.frame_rate_of(44100, 176) == pytest.approx(250.568, abs=1e-3)
    assert rates.samples_for(4.0, 16000, 64) == 64000
    assert rates.samples_for(4.0, 44100, 176) == 1003 * 176  # rounded up to whole hops
    assert rates.spectral_fft_sizes(16000) == rates.SPECTRAL_FFT_SIZES
    assert rates.spectral_fft_sizes(48000) == (6144, 3072, 1536, 768, 384, 192)
    with pytest.raises(ValueError, match="no integer hop"):
        rates.exact_hop(44100, 250)


def test_crepe_frames_on_a_fractional_step_never_drift():
    step = 16000 / rates.frame_rate_of(44100, 176)  # 63.85 samples at 16 kHz
    starts = frame_starts(100000, step, "end").numpy()
    exact = np.arange(100000) * step
    assert np.abs(starts - exact).max() <= 0.5
    assert (frame_starts(1000, 64.0, "end").numpy() == np.arange(1000) * 64).all()


@pytest.mark.parametrize("rate", [22050, 44100, 48000])
def test_lengths_off_the_hop_grid_get_padded_frames(rate):
    hop = rates.hop_for(rate)
    n = 3 * rate // 4 + 37  # not a multiple of the hop
    audio = 0.3 * torch.sin(2 * torch.pi * 330 * torch.arange(n) / rate)
    out = compute_features(audio, rate, hop, rates.paddings("centered"), crepe_model="tiny")
    frames = -(-n // hop)
    assert out["f0_hz"].shape == out["loudness_db"].shape == (frames,)
    pitched = out["f0_confidence"] > 0.8
    assert pitched.sum() > frames // 2
    assert torch.median(out["f0_hz"][pitched]) == pytest.approx(330, rel=0.01)


def test_loudness_is_close_at_every_rate():
    values = []
    for rate in (16000, 48000):
        t = torch.arange(rate) / rate
        tone = 0.3 * torch.sin(2 * torch.pi * 440 * t)
        ld = compute_features(tone, rate, rates.hop_for(rate), rates.paddings("centered"), crepe_model="tiny")
        values.append(float(ld["loudness_db"][60:-60].mean()))
    assert values[0] == pytest.approx(-100.2, abs=0.2)  # measured; the rates differ by 2.1 dB
    assert values[1] == pytest.approx(-98.1, abs=0.2)


def test_telephone_rate_input_is_accepted(tmp_path):
    from ddsp_repro.demos.features import read_input

    path = tmp_path / "phone.wav"
    sf.write(path, 0.3 * np.sin(2 * np.pi * 200 * np.arange(8000) / 8000), 8000)
    audio = read_input(path, 48000, 192)
    assert audio.size % 192 == 0 and audio.size >= 48000
    out = compute_features(
        torch.from_numpy(audio), 48000, 192, rates.paddings("centered"), crepe_model="tiny"
    )
    assert torch.isfinite(out["loudness_db"]).all()


def test_presets_at_44_1_and_48_khz():
    for name in (
        "solo_violin_44k",
        "solo_violin_48k",
        "tiny_violin_44k",
        "tiny_violin_48k",
        "tiny_violin_48k_cpu",
    ):
        config = AT_RATES[name]
        m = config.model
        assert m.alignment == "centered" and m.n_samples % m.hop == 0
        assert m.n_samples / m.sample_rate == pytest.approx(4.0, abs=m.hop / m.sample_rate)
    m48 = AT_RATES["solo_violin_48k"].model
    assert (m48.hop, m48.n_harmonics, m48.n_noise_bands, m48.reverb_length) == (192, 120, 65, 144000)
    assert at_rate(SOLO_VIOLIN, 16000) is SOLO_VIOLIN
    with pytest.raises(ValueError, match="16 kHz"):
        at_rate(SUPERVISED_NSYNTH, 48000)


def test_a_48k_model_renders_energy_above_8k():
    model = AT_RATES["tiny_violin_48k"].model
    ae = type(model)(**{**model.__dict__, "n_samples": 48000, "n_frames": 250}).build().eval()
    frames = 250
    f0 = torch.full((1, frames), 440.0)
    ld = torch.full((1, frames), -20.0)
    with torch.no_grad():
        audio = ae.synthesize(f0, ld, noise_generator=torch.Generator().manual_seed(0))["dry"][0]
    spectrum = torch.fft.rfft(audio).abs() ** 2
    freqs = torch.fft.rfftfreq(audio.numel(), 1 / 48000)
    assert spectrum[freqs > 8000].sum() / spectrum.sum() > 1e-3


@pytest.fixture(scope="module")
def tiny_offsets():
    from ddsp_repro.evaluation.alignment import alignment_table

    return {(r["sample_rate"], r["alignment"]): r for r in alignment_table(crepe_model="tiny")}


def _assert_aligned(row, f0_within_hops: float = 1.0):
    """Each mirrored pair's lag within one hop (f0: `f0_within_hops`); the audio measure near 0."""
    pairs, hop_ms = row["pairs_ms"], row["hop_ms"]
    where = (row["sample_rate"], row["crepe_model"], pairs)
    for pair in ("note", "level"):
        assert abs(pairs["loudness"][pair]["lag"]) <= hop_ms, where
        assert abs(pairs["rendered"][pair]["lag"]) <= hop_ms, where
        assert 55 <= pairs["loudness"][pair]["spread"] <= 66, where  # half the 128 ms window
    assert abs(pairs["f0"]["pitch"]["lag"]) <= f0_within_hops * hop_ms, where
    assert abs(pairs["rendered"]["pitch"]["lag"]) <= (f0_within_hops + 0.5) * hop_ms, where
    for pair in ("note", "level", "pitch"):  # the measure itself, on the input phrase
        assert abs(pairs["input (measure check)"][pair]["lag"]) <= 1.0, where


def test_alignment_at_every_rate(tiny_offsets):
    assert {rate for rate, _ in tiny_offsets} == set(rates.SUPPORTED_RATES)
    for (_, alignment), row in tiny_offsets.items():
        if alignment == "centered":
            # CREPE tiny reads pitch changes 4-5.5 ms early (its own bias: the same frames through
            # CREPE full lag under 0.5 ms, below), so its f0 is held to 1.5 hops.
            _assert_aligned(row, f0_within_hops=1.5)
    paper = tiny_offsets[(16000, "paper")]["pairs_ms"]
    centred = tiny_offsets[(16000, "centered")]["pairs_ms"]
    # The paper's frames start at i * hop: loudness reads (2048 - 64) / 2 samples = 62 ms early,
    # f0 (1024 - 64) / 2 = 30 ms.
    assert paper["loudness"]["note"]["lag"] - centred["loudness"]["note"]["lag"] == pytest.approx(-62, abs=1)
    assert paper["f0"]["pitch"]["lag"] - centred["f0"]["pitch"]["lag"] == pytest.approx(-30, abs=1)


def _full_crepe_alignment(rate):
    from ddsp_repro.evaluation.alignment import alignment_offsets

    _assert_aligned(alignment_offsets(rate, "centered", crepe_model="full"))


def test_alignment_with_full_crepe_at_48k():
    _full_crepe_alignment(48000)


@pytest.mark.slow
@pytest.mark.parametrize("rate", [r for r in rates.SUPPORTED_RATES if r != 48000])
def test_alignment_with_full_crepe_at_every_rate(rate):
    _full_crepe_alignment(rate)


def test_reverb_taps_are_scaled_to_the_rate():
    """A 48 kHz room learns in 16 kHz units: taps = parameter * 16000 / rate (16 kHz: the parameter)."""
    from ddsp_repro.effects import Reverb

    m16 = AT_RATES["tiny_violin_48k_cpu"].model
    ae48 = type(m16)(**{**m16.__dict__, "reverb_length": 960}).build()
    assert ae48.reverb.tap_scale == pytest.approx(1 / 3)
    assert torch.equal(ae48.reverb.impulse_response(), ae48.reverb.ir * (1 / 3))
    ae16 = type(m16)(**{**SOLO_VIOLIN.model.__dict__, "reverb_length": 960}).build()
    assert ae16.reverb.impulse_response() is ae16.reverb.ir  # 16 kHz: the official IR, untouched
    audio = torch.randn(2, 4000)
    scaled = Reverb(reverb_length=960, tap_scale=0.25)
    plain = Reverb(trainable=False)
    ir = scaled.impulse_response().detach()[None].expand(2, -1)
    assert torch.allclose(scaled(audio), plain(audio, ir), atol=1e-7)
