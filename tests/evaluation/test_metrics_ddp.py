"""Two CPU processes (gloo) reduce the metrics to what one process computes over all examples."""

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from ddsp_repro.evaluation.metrics import F0Accuracy, LoudnessL1


def _data():
    g = torch.Generator().manual_seed(0)
    f0 = 100 + 700 * torch.rand(8, 30, generator=g)
    target = f0 * 2 ** (torch.randn(8, 1, generator=g) * 4 / 12)
    conf = 0.5 + 0.5 * torch.rand(8, 30, generator=g)
    ld, target_ld = -60 * torch.rand(8, 30, generator=g), -60 * torch.rand(8, 30, generator=g)
    return f0, conf, target, ld, target_ld


def _compute(rows):
    f0, conf, target, ld, target_ld = (x[rows] for x in _data())
    f0_metric, ld_metric = F0Accuracy(), LoudnessL1()
    f0_metric.update(f0, conf, target, conf)
    ld_metric.update(ld, target_ld)
    return {**f0_metric.compute(), "loudness_l1": ld_metric.compute()}


def _worker(rank, port, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        result = _compute(slice(rank * 3, rank * 3 + 3) if rank == 0 else slice(3, 8))  # uneven shares
        if rank == 0:
            torch.save({k: v.double() for k, v in result.items()}, out)
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is unavailable")
def test_two_processes_equal_one(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "ddp.pt"
    mp.spawn(_worker, args=(port, str(out)), nprocs=2, join=True)
    reduced, single = torch.load(out), _compute(slice(0, 8))
    for key, value in single.items():
        torch.testing.assert_close(reduced[key], value.double(), equal_nan=True)
