"""Every preset trains a few steps (shrunk widths, 0.5 s windows) on data the tests build."""

import json
import math

import pytest
import soundfile as sf
import torch

from ddsp_repro.training.presets import PRESETS
from ddsp_repro.training.train import RunExistsError, run_dir_for, train
from tests.helpers.runs import shrink


def _smoke_params():
    """Every preset; those at 44.1 kHz under ``-m slow`` (their data takes ~20 s to build, and
    the 48 kHz presets already cover the other-rate path in the default suite)."""
    for name in sorted(PRESETS):
        slow = PRESETS[name].model.sample_rate == 44100
        yield pytest.param(name, marks=pytest.mark.slow) if slow else name


@pytest.mark.parametrize("name", list(_smoke_params()))
def test_preset_trains(name, tones_at, tmp_path):
    rate = PRESETS[name].model.sample_rate
    config = shrink(PRESETS[name], tones_at(rate), tmp_path)
    metrics = train(config)
    run = run_dir_for(config)
    assert (
        metrics["step"] == 2 and math.isfinite(metrics["train/loss"]) and math.isfinite(metrics["val/loss"])
    )
    assert (run / "checkpoints" / "last.ckpt").is_file() and (run / "checkpoints" / "best.ckpt").is_file()
    assert json.loads((run / "metrics.json").read_text())["step"] == 2
    assert json.loads((run / "config.json").read_text())["name"] == name
    assert (run / "plots" / "example0.png").is_file() and (run / "plots" / "loss.png").is_file()
    audio, sample_rate = sf.read(run / "samples" / "example0_resynthesis.wav")
    assert sample_rate == rate and torch.isfinite(torch.as_tensor(audio)).all() and abs(audio).max() > 0
    if PRESETS[name].model.__class__.__name__ == "AutoencoderConfig" and PRESETS[name].model.reverb:
        assert (run / "samples" / "example0_dry.wav").is_file()  # dereverberated part


def test_existing_run_needs_resume_or_overwrite(tones, tmp_path):
    config = shrink(PRESETS["tiny_violin"], tones, tmp_path)
    train(config)
    with pytest.raises(RunExistsError, match="--resume"):
        train(config)
    assert train(config, overwrite=True)["step"] == 2


def test_missing_data_folder_is_a_clear_error(tones, tmp_path):
    config = shrink(PRESETS["tiny_violin"], tmp_path / "nowhere", tmp_path)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        train(config)


def test_bf16_mixed_precision_trains(tones, tmp_path):
    """Autocast covers the networks; synths and losses stay float32, so the loss stays finite."""
    config = shrink(PRESETS["supervised_nsynth"], tones, tmp_path, precision="bf16-mixed")
    metrics = train(config)
    assert math.isfinite(metrics["train/loss"]) and math.isfinite(metrics["val/loss"])


def test_last_checkpoint_is_the_latest_validation_even_when_it_is_worse(tones, tmp_path, monkeypatch):
    """last.ckpt is what the official evaluation scores and --resume continues from."""
    from ddsp_repro.training.module import RunModule

    def worsening(self, batch, batch_idx):  # a validation loss that grows with every step
        self.log("val/loss", float(self.global_step), on_step=False, on_epoch=True)

    monkeypatch.setattr(RunModule, "validation_step", worsening)
    config = shrink(PRESETS["tiny_violin_cpu"], tones, tmp_path, max_steps=6, val_every_steps=2)
    train(config)
    folder = run_dir_for(config) / "checkpoints"
    steps = {f: torch.load(folder / f, map_location="cpu", weights_only=False)["global_step"]
             for f in ("last.ckpt", "best.ckpt")}  # fmt: skip
    assert steps == {"last.ckpt": 6, "best.ckpt": 2}


def test_fine_tuning_starts_from_the_given_weights(tones, tmp_path, caplog):
    import lightning as L

    from ddsp_repro.training.module import load_checkpoint
    from ddsp_repro.training.train import with_overrides

    source = shrink(PRESETS["tiny_violin"], tones, tmp_path / "a")
    train(source)
    ckpt = run_dir_for(source) / "checkpoints" / "last.ckpt"
    trained = load_checkpoint(ckpt)[0].model.state_dict()

    seen = {}

    class Snapshot(L.Callback):
        def on_train_start(self, trainer, pl_module):
            seen.update({k: v.clone() for k, v in pl_module.model.state_dict().items()})

    tuned = with_overrides(source, trainer={"init_from": str(ckpt), "seed": 1})
    with caplog.at_level("INFO", logger="ddsp_repro"):
        train(tuned, callbacks=[Snapshot()])
    assert seen.keys() == trained.keys()
    assert all(torch.equal(seen[k], trained[k]) for k in trained)
    assert any("val loss" in r.getMessage() and "left" in r.getMessage() for r in caplog.records)
    scratch = with_overrides(source, trainer={"seed": 1})
    seen.clear()
    train(scratch, callbacks=[Snapshot()])
    assert not all(torch.equal(seen[k], trained[k]) for k in trained)  # the snapshot can tell


def test_fine_tuning_refuses_another_architecture(tones, tmp_path):
    from dataclasses import replace

    from ddsp_repro.training.train import with_overrides

    source = shrink(PRESETS["tiny_violin"], tones, tmp_path / "a")
    train(source)
    ckpt = run_dir_for(source) / "checkpoints" / "last.ckpt"
    other = with_overrides(source, trainer={"init_from": str(ckpt)})
    other = replace(other, model=replace(other.model, rnn_channels=16))
    with pytest.raises(ValueError, match="another architecture"):
        train(other)
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        train(with_overrides(source, trainer={"init_from": str(tmp_path / "none.ckpt")}))


def test_run_names_do_not_change_unless_fine_tuning():
    from ddsp_repro.training.config import semantic_hash
    from ddsp_repro.training.train import with_overrides

    config = PRESETS["tiny_violin_cpu"]
    assert semantic_hash(config) == "94707f36"  # the name of the run recorded in RESULTS.md
    assert semantic_hash(with_overrides(config, trainer={"init_from": "x.ckpt"})) != "94707f36"
