"""Independent control, extrapolation, rooms and their measures, on tiny models."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from tests.helpers import cli
from tests.helpers.audio import voice


def test_control_table_on_a_model_with_z(nsynth_ckpt, tmp_path):
    cli("control", "--checkpoint", nsynth_ckpt, "--out", str(tmp_path), "--pairs", "2")
    results = json.loads((tmp_path / "results.json").read_text())
    rows = {r["condition"]: r for r in results["table"]}
    assert {"reconstruction", "f0 interpolation", "loudness interpolation", "z interpolation"} <= set(rows)
    assert all(r["loudness_l1_db"] is not None and r["loudness_l1_db"] >= 0 for r in rows.values())
    assert len(results["z_centroid_hz_alpha_0_to_1"]) == 5
    for _, name in results["audio"]:
        assert (tmp_path / name).is_file()
    assert (tmp_path / "control.png").is_file()


def test_extrapolation_leaves_the_training_range(violin_ckpt, tmp_path):
    cli("extrapolate", "--checkpoint", violin_ckpt, "--out", str(tmp_path), "--examples", "2")
    results = json.loads((tmp_path / "results.json").read_text())
    rows = {r["condition"]: r for r in results["table"]}
    low, high = results["training_range_midi"]
    # (The test tones are one pitch each, so the held-out ones lie outside the train ones' range.)
    assert rows["below range"]["frames_outside_training_range"] == 1.0
    assert rows["above range"]["frames_outside_training_range"] == 1.0
    assert rows["below range"]["mean_pitch_midi"] == pytest.approx(low - 12, abs=0.01)
    assert high < rows["above range"]["mean_pitch_midi"] <= high + 12
    assert all(r["f0_l1_semitones"] is not None for r in rows.values())


def test_rooms_decompose_dereverberate_and_transfer(violin_ckpt, tmp_path):
    other = tmp_path / "speech.wav"
    sf.write(other, voice(1.0), 16000)
    cli("rooms", "--checkpoint", violin_ckpt, "--out", str(tmp_path / "out"), "--input", str(other))
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    m = {r["signal"]: r for r in results["table"]}
    assert m["dry"]["tail_db"] == -120.0 and m["other_input"]["tail_db"] == -120.0  # they stop dead
    assert m["wet"]["tail_db"] > -120.0 and m["transferred"]["tail_db"] > -120.0  # the room rings on
    assert m["learned_ir"]["length_s"] == pytest.approx(2000 / 16000)
    names = {label for label, _ in results["audio"]}
    assert names == {"wet", "dry", "harmonic", "noise", "reverb", "other_input", "transferred"}
    wet, _ = sf.read(tmp_path / "out" / "room_wet.wav")
    assert np.isfinite(wet).all() and np.abs(wet).max() > 0


def test_rooms_refuse_a_model_without_reverb(nsynth_ckpt, tmp_path):
    other = tmp_path / "speech.wav"
    sf.write(other, voice(1.0), 16000)
    with pytest.raises(ValueError, match="no learned reverb"):
        cli("rooms", "--checkpoint", nsynth_ckpt, "--out", str(tmp_path / "o"), "--input", str(other))


def test_models_that_learn_f0_are_refused_with_advice():
    from dataclasses import replace
    from pathlib import Path

    from ddsp_repro.demos.common import Loaded
    from ddsp_repro.demos.control import control_table
    from ddsp_repro.models.autoencoder import Autoencoder
    from ddsp_repro.training.presets import PRESETS

    config = PRESETS["unsupervised_nsynth_cpu"]
    config = replace(config, model=replace(config.model, ch=16, rnn_channels=16, resnet_size="small"))
    loaded = Loaded(Autoencoder(config.model), config, Path("none.ckpt"), 0)
    with pytest.raises(ValueError, match="learns f0 from audio"):
        control_table(loaded, [])
