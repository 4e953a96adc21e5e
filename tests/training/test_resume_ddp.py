"""Kill-and-resume gives the uninterrupted result; two CPU processes train with DDP (via the CLI)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "WANDB_MODE": "disabled", "PYTHONPATH": str(REPO)}


def _cli(data_dir, runs_dir, *extra):
    return [
        sys.executable, "-m", "experiments.run", "supervised_nsynth_cpu",
        "--data.source", "prepared", "--data.train-dir", str(data_dir), "--data.batch-size", "2",
        "--model.ch", "32", "--model.rnn-channels", "32",
        "--model.n-samples", "8192", "--model.n-frames", "128",
        "--trainer.val-every-steps", "2", "--trainer.limit-val-batches", "1", "--trainer.no-progress-bar",
        "--logging.wandb", "disabled", "--logging.runs-dir", str(runs_dir), "--logging.n-media-examples", "1",
        *extra,
    ]  # fmt: skip


def _run_dir(runs_dir):
    (run,) = Path(runs_dir).iterdir()
    return run


def _state(run):
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    return checkpoint["state_dict"], checkpoint["global_step"]


def test_killed_run_resumes_to_the_uninterrupted_result(tones, tmp_path):
    steps = ["--trainer.max-steps", "12"]
    subprocess.run(
        _cli(tones, tmp_path / "straight", *steps), env=ENV, cwd=REPO, check=True, capture_output=True
    )

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_cli(tones, killed, *steps), env=ENV, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 120
    while time.time() < deadline and not list(killed.glob("*/checkpoints/last.ckpt")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run = _run_dir(killed)
    assert not (run / "metrics.json").exists(), "the run finished before it could be killed"
    _, step_at_kill = _state(run)
    assert step_at_kill < 12

    again = subprocess.run(_cli(tones, killed, *steps), env=ENV, cwd=REPO, capture_output=True, text=True)
    assert again.returncode == 2 and "--resume" in again.stderr  # never silently overwrites
    subprocess.run(
        _cli(tones, killed, *steps, "--resume"), env=ENV, cwd=REPO, check=True, capture_output=True
    )

    straight, resumed = _state(_run_dir(tmp_path / "straight")), _state(run)
    assert straight[1] == resumed[1] == 12
    for key, value in straight[0].items():
        assert torch.equal(value, resumed[0][key]), key
    a = json.loads((_run_dir(tmp_path / "straight") / "metrics.json").read_text())
    b = json.loads((run / "metrics.json").read_text())
    assert a["val/loss"] == b["val/loss"] and a["best_val_loss"] == b["best_val_loss"]


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is unavailable")
def test_two_process_cpu_ddp(tones, tmp_path):
    args = _cli(
        tones, tmp_path, "--trainer.max-steps", "4", "--trainer.devices", "2", "--trainer.accelerator", "cpu"
    )
    result = subprocess.run(args, env=ENV, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    run = _run_dir(tmp_path)
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["step"] == 4 and metrics["val/loss"] == metrics["val/loss"]  # finite, not NaN
    output = result.stderr + result.stdout
    assert "distributed_backend=gloo" in output and "Starting with 2 processes" in output
    assert _state(run)[1] == 4
