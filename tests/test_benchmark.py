"""The benchmark's machinery (its figures are printed, never asserted)."""

import pytest

from ddsp_repro import native
from ddsp_repro.benchmark import (
    CASES,
    BenchmarkOptions,
    _matmul_flops,
    _parts,
    breakdown_table,
    run_benchmarks,
)


def test_train_step_case_runs_both_paths_and_breaks_down_by_part():
    steps = CASES["train step tiny_violin_cpu"](BenchmarkOptions())
    parts = {variant: _parts(step, "cpu") for variant, step in steps.items()}
    for variant in ("fast", "reference"):
        assert {"GRU", "synths", "reverb", "loss", "backward", "optimiser"} <= set(parts[variant])
        assert all(seconds >= 0 for seconds in parts[variant].values())
    lines = breakdown_table({"case": "train step tiny_violin_cpu", "parts": parts})
    assert lines[0].startswith("train step tiny_violin_cpu") and lines[-1].startswith("| total |")
    assert any(line.startswith("| GRU |") for line in lines)


def test_matmul_flops_counts_matrix_products():
    import torch

    a, b = torch.randn(8, 16), torch.randn(16, 4)
    assert _matmul_flops(lambda: a @ b) == 2 * 8 * 16 * 4


def test_an_unknown_case_is_a_clear_error():
    with pytest.raises(ValueError, match="no benchmark case contains 'trian step'"):
        next(run_benchmarks(BenchmarkOptions(only="trian step")))


def test_realtime_rows_time_every_block():
    from ddsp_repro.benchmark import realtime_row, realtime_rows

    rows = list(realtime_rows(("tiny",), (256,), seconds=0.25))
    fused = ["fused"] if native.load_kernel("stream") is not None else []
    assert [r["variant"] for r in rows] == [*fused, "eager", "torchscript"]
    for r in rows:
        assert r["blocks"] >= 2 and r["rtf"] > 0 and r["worst_block_ms"] >= r["mean_block_ms"] > 0
        assert 0 < r["floor_rtf"] and r["block_mb"] > 1.0  # 0.23M decoder weights and 48k reverb taps
        assert realtime_row(r).count("|") == 13
