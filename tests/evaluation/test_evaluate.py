"""Scoring a toy checkpoint trained here, through `ddsp-repro eval` (run as `python -m evals.run`)."""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from ddsp_repro.data.datamodule import PreparedDataset
from ddsp_repro.training.presets import PRESETS
from ddsp_repro.training.train import run_dir_for, train
from tests.helpers.runs import shrink

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def checkpoint(tones, tmp_path_factory):
    config = shrink(PRESETS["supervised_nsynth_cpu"], tones, tmp_path_factory.mktemp("runs"))
    train(config)
    return run_dir_for(config) / "checkpoints" / "best.ckpt"


def test_eval_cli_writes_a_report_with_provenance(checkpoint, tones, tmp_path):
    out = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "evals.run", "--checkpoint", str(checkpoint), "--crepe-model", "tiny",
         "--wandb", "disabled", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(out.read_text())
    m = report["metrics"]
    for key in ("loudness_l1_db", "loudness_l1_scaled", "spectral_distance", "real_time_factor"):
        assert math.isfinite(m[key]) and m[key] >= 0
    assert m["loudness_l1_scaled"] == pytest.approx(m["loudness_l1_db"] / 120)
    assert report["n_examples"] == len(report["per_example"]) == len(PreparedDataset(tones, split="valid"))
    assert report["crepe_model"] == "tiny" and report["split"] == "valid"
    assert report["preset"] == "supervised_nsynth_cpu" and len(report["config_hash"]) == 8
    assert report["checkpoint"]["global_step"] == 2 and report["versions"]["torch"]
    # Trained on 0.5 s windows, scored on the whole 4 s examples against their stored features.
    assert report["ground_truth"] == "stored features" and report["scale"]["evaluated_seconds"] == 4.0
    assert report["scale"]["window_seconds"] == 0.512 and "optimistic" in report["checkpoint"]["selection"]
    assert m["n_parameters"] == report["metrics"]["n_parameters"] > 0
    assert "learned_f0_l1" not in m  # it plays the f0 it is given


def test_bad_checkpoint_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "evals.run", "--checkpoint", str(tmp_path / "missing.ckpt")],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2 and "no checkpoint" in result.stderr


def test_a_model_that_learns_f0_reports_how_far_its_f0_is_from_the_notes(tones, tmp_path):
    from ddsp_repro.evaluation.evaluate import evaluate

    config = shrink(PRESETS["unsupervised_nsynth_cpu"], tones, tmp_path)
    train(config)
    report = evaluate(run_dir_for(config) / "checkpoints" / "last.ckpt", crepe_model="tiny", progress=False)
    learned = report["metrics"]["learned_f0_l1"]
    rows = [r["learned_f0_l1"] for r in report["per_example"] if r["learned_f0_l1"] is not None]
    assert math.isfinite(learned) and learned >= 0 and rows
    assert learned == pytest.approx(sum(rows) / len(rows), abs=1e-3)
