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
    assert (m48.hop, m48.n_harmonics, m48.n_noise_bands, m48.reverb_length) == (192, 180, 65, 144000)
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
def offsets():
    from ddsp_repro.evaluation.alignment import alignment_table

    return alignment_table()


def test_alignment_at_every_rate(offsets):
    rows = {(r["sample_rate"], r["alignment"]): r for r in offsets}
    assert {rate for rate, _ in rows} == set(rates.SUPPORTED_RATES)
    for (rate, alignment), row in rows.items():
        o, hop_ms = row["offsets_ms"], row["hop_ms"]
        if alignment != "centered":
            continue
        # The 128 ms loudness window smears a step over +-64 ms; centred frames smear it evenly,
        # so an onset reads as early as a drop reads late (each within one hop of the other).
        assert abs(o["loudness"]["onset"] + o["loudness"]["level_step"]) <= hop_ms, (rate, o)
        assert abs(o["rendered"]["onset"] + o["rendered"]["level_step"]) <= hop_ms + 1.0, (rate, o)
        # CREPE's pitch step lands within two hops (measured 1.1-1.4 hops early at this step size).
        assert abs(o["f0"]["pitch_step"]) <= 2 * hop_ms, (rate, o)
    paper, centred = rows[(16000, "paper")]["offsets_ms"], rows[(16000, "centered")]["offsets_ms"]
    # The paper's frames start at i * hop: loudness reads (2048 - 64) / 2 samples = 62 ms early, f0 30 ms.
    shift = paper["loudness"]["onset"] - centred["loudness"]["onset"]
    assert shift == pytest.approx(-62.0, abs=4.0)
    assert paper["f0"]["pitch_step"] - centred["f0"]["pitch_step"] == pytest.approx(-30.0, abs=4.0)
