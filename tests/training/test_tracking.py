import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from ddsp_repro.training.presets import PRESETS
from ddsp_repro.training.tracking import JsonlLogger, read_metrics, resolve_wandb_mode
from ddsp_repro.training.train import run_dir_for, train
from tests.helpers.runs import shrink
from tests.helpers.wandb_reader import read_history, read_records


def _no_login(monkeypatch, home):
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("HOME", str(home))  # no ~/.netrc


def test_auto_mode_is_offline_without_a_key(monkeypatch, tmp_path):
    pytest.importorskip("wandb")
    _no_login(monkeypatch, tmp_path)
    assert resolve_wandb_mode("auto") == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert resolve_wandb_mode("auto") == "online"
    monkeypatch.setenv("WANDB_MODE", "disabled")
    assert resolve_wandb_mode("auto") == "disabled"
    assert resolve_wandb_mode("offline") == "offline"


def test_offline_run_holds_metrics_and_media(tones, tmp_path, monkeypatch, capsys):
    pytest.importorskip("wandb")
    _no_login(monkeypatch, tmp_path)
    config = shrink(PRESETS["solo_violin"], tones, tmp_path / "runs")
    config = replace(config, logging=replace(config.logging, wandb="auto"))
    metrics = train(config)
    assert "wandb sync" in capsys.readouterr().err  # the hint to upload later
    (offline,) = (run_dir_for(config) / "wandb").glob("offline-run-*")
    (run_file,) = offline.glob("run-*.wandb")
    rows = read_history(run_file)
    val = [row["val/loss"] for row in rows if "val/loss" in row]
    assert val and val[-1] == pytest.approx(metrics["val/loss"])
    assert any("train/loss" in row for row in rows) and any(k.startswith("lr-") for row in rows for k in row)
    audio = next(row for row in rows if "audio/example0/captions" in row)
    captions = audio["audio/example0/captions"]
    assert {"target", "resynthesis", "harmonic", "noise", "dry", "reverb"} <= set(captions)
    for item in audio["audio/example0/audio"]:
        assert (offline / "files" / item["path"]).is_file()
    image = next(row for row in rows if "plots/example0/filenames" in row)
    assert all((offline / "files" / p).is_file() for p in image["plots/example0/filenames"])
    config_values = read_records(run_file, "config")
    assert config_values["n_parameters"] == metrics["n_parameters"]
    assert config_values["config"]["name"] == "solo_violin"


def test_metrics_file_survives_a_cut_line_and_keeps_the_latest_value(tmp_path):
    logger = JsonlLogger(tmp_path)
    logger.log_metrics({"train/loss": 2.0}, step=1)
    logger.log_metrics({"train/loss": 1.0}, step=2)
    logger.log_metrics({"train/loss": 1.5}, step=2)  # step 2 again after a resume
    with open(Path(tmp_path) / "metrics.jsonl", "a") as f:
        f.write('{"step": 3, "train/lo')  # killed mid-write
    assert read_metrics(tmp_path)["train/loss"] == [(1, 2.0), (2, 1.5)]
    assert all(math.isfinite(v) for _, v in read_metrics(tmp_path)["train/loss"])
    json.loads((Path(tmp_path) / "metrics.jsonl").read_text().splitlines()[0])
