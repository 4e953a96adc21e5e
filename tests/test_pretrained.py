"""The models shipped with the package: each loads by name with its checksum checked, renders, has
its card and statistics; a damaged file is refused; fine-tuning starts from a shipped model; and
`package` writes a folder that loads the same way."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest
import torch

from ddsp_repro import pretrained
from ddsp_repro.audio import file_sha256
from ddsp_repro.training import packaged
from ddsp_repro.training.presets import PRESETS
from ddsp_repro.training.train import run_dir_for, train, with_overrides
from tests.helpers.runs import WINDOW, shrink

SHIPPED = {"tiny_violin": "tiny_violin_cpu", "supervised_nsynth": "supervised_nsynth_cpu"}


def test_the_promised_models_are_shipped():
    assert set(SHIPPED) <= set(pretrained.names())


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_shipped_model_loads_with_its_checksum_and_renders(name):
    from ddsp_repro.demos.common import encode, render, stats_for

    folder = packaged.model_folder(name)
    card = pretrained.card(name)
    assert card["sha256"] == file_sha256(folder / packaged.CHECKPOINT)
    assert card["preset"] == SHIPPED[name]
    assert card["evaluation"]["crepe_model"] == "full"
    assert (folder / "card.md").read_text().startswith(f"# `pretrained:{name}`")
    assert (folder / "loss.png").stat().st_size > 1000
    loaded = pretrained.load(name)
    assert loaded.config.name == SHIPPED[name] and loaded.step == card["steps"]
    stats = stats_for(loaded)  # from the folder: no training data is needed
    assert stats.source and stats.n_frames > 0 and np.isfinite(stats.mean_pitch)
    n = 100
    f0 = torch.full((n,), 440.0)
    loudness = torch.linspace(-60.0, -20.0, n)
    z = encode(loaded.model, np.zeros(n * loaded.hop, np.float32) + 0.01)
    audio = render(loaded.model, f0, loudness, z)["audio"]
    assert audio.shape == (n * loaded.hop,) and np.all(np.isfinite(audio)) and np.abs(audio).max() > 1e-4


def test_a_damaged_shipped_model_is_refused(tmp_path, monkeypatch):
    shutil.copytree(packaged.model_folder("tiny_violin"), tmp_path / "tiny_violin")
    path = tmp_path / "tiny_violin" / packaged.CHECKPOINT
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    monkeypatch.setattr(packaged, "ROOT", tmp_path)
    with pytest.raises(packaged.ChecksumError, match="damaged"):
        pretrained.load("tiny_violin")
    with pytest.raises(FileNotFoundError, match="there are: tiny_violin"):
        pretrained.load("cello")


def test_fine_tuning_starts_from_a_shipped_model(tones, tmp_path):
    import lightning as L

    shipped = pretrained.load("tiny_violin").model.state_dict()
    seen = {}

    class Snapshot(L.Callback):
        def on_train_start(self, trainer, pl_module):
            seen.update({k: v.clone() for k, v in pl_module.model.state_dict().items()})

    base = PRESETS["tiny_violin_cpu"]
    config = shrink(base, tones, tmp_path, max_steps=1, val_every_steps=1)
    config = replace(config, model=replace(base.model, **WINDOW))  # the shipped architecture
    train(with_overrides(config, trainer={"init_from": "pretrained:tiny_violin"}), callbacks=[Snapshot()])
    assert seen.keys() == shipped.keys()
    assert all(torch.equal(seen[k], shipped[k]) for k in shipped)


def test_package_writes_a_model_that_loads_by_name(tones, tmp_path, monkeypatch):
    from ddsp_repro.pretrained.package import package

    config = shrink(PRESETS["supervised_nsynth_cpu"], tones, tmp_path / "runs")
    train(config)
    ckpt = run_dir_for(config) / "checkpoints" / "last.ckpt"
    card = package(ckpt, "toy", half=True, crepe_model="tiny", root=tmp_path / "models", progress=False)
    assert card["dtype"] == "float16" and 0 <= card["half_precision_max_audio_change"] <= 1e-3
    assert card["steps"] == 2 and card["run"] == run_dir_for(config).name
    folder = tmp_path / "models" / "toy"
    report = json.loads((folder / "eval_valid.json").read_text())
    assert report["checkpoint"]["pretrained"] == "toy" and report["run"] == card["run"]
    assert "last checkpoint" in report["checkpoint"]["selection"]
    monkeypatch.setattr(packaged, "ROOT", tmp_path / "models")
    assert pretrained.names() == ["toy"]
    loaded = pretrained.load("toy")
    weights = next(iter(torch.load(folder / packaged.CHECKPOINT, weights_only=False)["state_dict"].values()))
    assert weights.dtype == torch.float16 and loaded.model.decoder is not None
    assert next(loaded.model.parameters()).dtype == torch.float32  # loaded back into float32


def test_transfer_onto_a_shipped_model_follows_its_conditioning(tmp_path):
    """The README's "try it in a minute" on a voice-like clip built here (no training, no data)."""
    import soundfile as sf

    from tests.helpers import cli
    from tests.helpers.audio import voice

    speech = tmp_path / "voice.wav"
    sf.write(speech, voice(2.0), 16000)
    out = tmp_path / "t"
    cli("transfer", "--instrument", "pretrained:tiny_violin", "--input", str(speech), "--out", str(out))
    results = json.loads((out / "results.json").read_text())
    row = results["table"][0]
    audio, rate = sf.read(out / results["files"]["output"]["path"])
    assert rate == 16000 and np.isfinite(audio).all() and 0.01 < np.abs(audio).max() <= 1.0
    assert row["f0_l1_semitones"] < 0.5


@pytest.mark.slow
def test_compare_fine_tuning_trains_both_arms(tmp_path):
    import soundfile as sf

    from tests.helpers import cli
    from tests.helpers.audio import melody

    folder = tmp_path / "recs"
    folder.mkdir()
    for seed in (1, 2):
        sf.write(folder / f"take{seed}.wav", melody(9.0, 16000, seed=seed), 16000)
    out = tmp_path / "cmp"
    cli(
        "compare-fine-tuning",
        str(folder),
        "--out",
        str(out),
        "--steps",
        "2",
        "--eval-crepe-model",
        "tiny",
        "--force",
    )
    result = json.loads((out / "fine_tuning.json").read_text())
    assert set(result["arms"]) == {"scratch", "fine-tuned"}
    assert result["arms"]["fine-tuned"]["init_from"] == "pretrained:tiny_violin"
    assert all(arm["steps"] == 2 and arm["val_loss"] for arm in result["arms"].values())
    assert (out / "fine_tuning.png").stat().st_size > 1000
