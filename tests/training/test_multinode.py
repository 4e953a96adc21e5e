"""Two "nodes" on one machine (two processes on 127.0.0.1, gloo) train the weights two local processes do.

The launches are the README's: `scripts/multinode.sh` (torchrun) and the task of
`scripts/slurm/train.sbatch` under the variables SLURM gives each task.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers import REPO

pytestmark = pytest.mark.skipif(
    not torch.distributed.is_available(), reason="torch.distributed is unavailable"
)

ENV = {**os.environ, "OMP_NUM_THREADS": "1", "WANDB_MODE": "disabled", "PYTHONPATH": str(REPO)}


def _args(data_dir, runs_dir) -> list[str]:
    return [
        "tiny_violin_cpu",
        *("--data.source", "prepared", "--data.train-dir", str(data_dir), "--data.batch-size", "2"),
        *("--model.ch", "32", "--model.reverb-length", "2000", "--model.n-samples", "8192"),
        *("--model.n-frames", "128", "--trainer.max-steps", "4", "--trainer.val-every-steps", "2"),
        *("--trainer.limit-val-batches", "1", "--trainer.no-progress-bar", "--trainer.accelerator", "cpu"),
        *(
            "--logging.wandb",
            "disabled",
            "--logging.runs-dir",
            str(runs_dir),
            "--logging.n-media-examples",
            "1",
        ),
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _weights(runs_dir: Path) -> dict:
    (run,) = Path(runs_dir).iterdir()
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["global_step"] == 4
    return checkpoint["state_dict"]


@pytest.fixture(scope="module")
def single_node(tones, tmp_path_factory):
    """The reference: two processes on one node, started by Lightning."""
    runs = tmp_path_factory.mktemp("single")
    command = [sys.executable, "-m", "experiments.run", *_args(tones, runs), "--trainer.devices", "2"]
    result = subprocess.run(command, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return _weights(runs)


def _launch_both(command: list[str], envs: list[dict]) -> None:
    procs = [
        subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for env in envs
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    for proc, output in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, output[-3000:]
    assert "Starting with 2 processes" in outputs[0] or "distributed_backend=gloo" in outputs[0]


def _assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=1e-6, msg=key)


def test_two_nodes_by_torchrun_train_the_single_node_weights(single_node, tones, tmp_path):
    port = str(_free_port())
    base = {**ENV, "NNODES": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port, "DEVICES": "1"}
    command = ["bash", "scripts/multinode.sh", *_args(tones, tmp_path)]
    _launch_both(command, [{**base, "NODE_RANK": str(rank)} for rank in (0, 1)])
    _assert_same(single_node, _weights(tmp_path))


def test_two_slurm_tasks_on_two_nodes_train_the_single_node_weights(single_node, tones, tmp_path):
    port = str(_free_port())
    base = {
        **{k: v for k, v in ENV.items() if not k.startswith("SLURM_")},
        "SLURM_JOB_ID": "4242",
        "SLURM_JOB_NAME": "ddsp-repro",
        "SLURM_NNODES": "2",
        "SLURM_NTASKS": "2",
        "SLURM_NTASKS_PER_NODE": "1",
        "SLURM_LOCALID": "0",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": port,
    }
    command = ["bash", "scripts/slurm/task.sh", *_args(tones, tmp_path)]
    envs = [{**base, "SLURM_PROCID": str(rank), "SLURM_NODEID": str(rank)} for rank in (0, 1)]
    _launch_both(command, envs)
    _assert_same(single_node, _weights(tmp_path))


def test_the_sbatch_script_requeues_a_preempted_job(tmp_path):
    """`train.sbatch` with stand-ins for srun (a task that was preempted) and scontrol."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    (bin_dir / "srun").write_text('#!/bin/sh\necho srun "$@" >> "$CALLS"\nexit 75\n')
    (bin_dir / "scontrol").write_text(
        '#!/bin/sh\necho scontrol "$@" >> "$CALLS"\n[ "$1" = show ] && echo node-a && echo node-b\nexit 0\n'
    )
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {**ENV, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls), "SLURM_JOB_ID": "77",
           "SLURM_JOB_NODELIST": "node-[a-b]", "SLURM_SUBMIT_DIR": str(REPO)}  # fmt: skip
    result = subprocess.run(["bash", "scripts/slurm/train.sbatch", "tiny_violin"], cwd=REPO, env=env,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 75 and "requeueing job 77" in result.stderr
    lines = calls.read_text().splitlines()
    assert lines[1] == "srun bash scripts/slurm/task.sh tiny_violin" and lines[-1] == "scontrol requeue 77"
