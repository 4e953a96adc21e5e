"""`ddsp-repro instrument`: a folder built here to an instrument folder that transfer accepts."""

import json

import numpy as np
import pytest
import soundfile as sf

from ddsp_repro.instrument import MIN_STEPS, step_budget
from tests.helpers import cli
from tests.helpers.audio import melody, noise, voice

pytest.importorskip("lightning")


def test_step_budget_follows_the_data():
    assert step_budget(10, 8) == MIN_STEPS  # a tiny set: the floor
    assert step_budget(800, 8) == 100 * 100  # 100 passes over 100 batches


def test_an_unfit_folder_stops_before_training(tmp_path):
    folder = tmp_path / "hiss"
    folder.mkdir()
    sf.write(folder / "a.wav", noise(6.0), 16000)
    with pytest.raises(ValueError, match="unfit for a solo-instrument model.*--force"):
        cli("instrument", str(folder), "--out", str(tmp_path / "inst"))
    report = json.loads((tmp_path / "inst" / "check.json").read_text())
    assert report["verdict"] == "unfit"
    assert not (tmp_path / "inst" / "features").exists()


def _two_takes(folder, seconds: float, rate: int):
    """Two melodies of `seconds` recorded at `rate` in `folder`."""
    folder.mkdir()
    for seed in (1, 2):
        sf.write(folder / f"take{seed}.wav", melody(seconds, rate, seed=seed), rate)
    return folder


def _transfer_output(instrument, tmp_path):
    """Transfer 2 s of a 16 kHz voice through `instrument`: the output audio and its rate."""
    speech = tmp_path / "voice.wav"
    sf.write(speech, voice(2.0), 16000)
    cli("transfer", "--instrument", str(instrument), "--input", str(speech), "--out", str(tmp_path / "t"))
    results = json.loads((tmp_path / "t" / "results.json").read_text())
    return sf.read(tmp_path / "t" / results["files"]["output"]["path"])


def test_folder_to_instrument_to_transfer(tmp_path):
    folder = _two_takes(tmp_path / "recs", 9.0, 22050)
    out = tmp_path / "mine"
    args = ("instrument", str(folder), "--out", str(out), "--force", "--max-steps", "2")
    cli(*args)
    summary = json.loads((out / "instrument.json").read_text())
    assert summary["steps"] == 2 and summary["check_verdict"] == "unfit"  # 18 s: too little, forced
    assert (out / "model.ckpt").is_file() and (out / "check.png").is_file()
    stats = json.loads((out / "data_stats.json").read_text())
    assert 60 < stats["mean_pitch"] < 80  # the melodies' MIDI 62-78
    cli(*args)  # run again: every stage resumes, nothing is redone
    assert json.loads((out / "instrument.json").read_text())["steps"] == 2

    audio, rate = _transfer_output(out, tmp_path)
    assert rate == 16000 and np.isfinite(audio).all() and np.abs(audio).max() > 0
    with pytest.raises(ValueError, match="one of them"):
        cli(
            "transfer", "--input", str(tmp_path / "voice.wav"), "--out", str(tmp_path / "t2")
        )  # neither model given


def test_a_48k_instrument_renders_48k_through_transfer(tmp_path):
    """Recordings at 48 kHz stay at 48 kHz: features, model and the transfer's output."""
    folder = _two_takes(tmp_path / "recs48", 5.0, 48000)
    out = tmp_path / "mine48"
    cli("instrument", str(folder), "--out", str(out), "--force", "--max-steps", "2", "--sample-rate", "48000")
    summary = json.loads((out / "instrument.json").read_text())
    assert summary["preset"] == "tiny_violin_48k_cpu" and summary["sample_rate"] == 48000
    manifest = json.loads((out / "features" / "manifest.json").read_text())
    assert manifest["settings"]["sample_rate"] == 48000 and manifest["settings"]["f0_padding"] == "centered"

    audio, rate = _transfer_output(out, tmp_path)  # a 16 kHz input into a 48 kHz instrument
    assert rate == 48000 and np.isfinite(audio).all() and np.abs(audio).max() > 0
    spectrum = np.abs(np.fft.rfft(audio)) ** 2
    freqs = np.fft.rfftfreq(audio.size, 1 / rate)
    assert spectrum[freqs > 8000].sum() / spectrum.sum() > 1e-4  # the band a 16 kHz model lacks
    with pytest.raises(ValueError, match="not supported"):
        cli("instrument", str(folder), "--out", str(tmp_path / "x"), "--sample-rate", "12345")
