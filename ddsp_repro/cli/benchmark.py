"""``ddsp-repro benchmark``: fast paths against plain references of the same maths, in one run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import tyro

from ddsp_repro.benchmark import BenchmarkOptions

DEFAULTS = BenchmarkOptions()


def benchmark(
    options: Annotated[BenchmarkOptions, tyro.conf.OmitArgPrefixes] = DEFAULTS,
    json_out: Annotated[Path | None, tyro.conf.arg(name="json")] = None,
    crepe_bf16: bool = False,
    models: tuple[str, ...] = ("tiny", "full"),
    realtime: bool = False,
    realtime_models: tuple[str, ...] = ("tiny", "solo", "nsynth"),
    block_sizes: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048, 4096),
) -> None:
    """Time each case's fast path and its reference alternately in this process; print the table.

    Peak memory is measured in a fresh process per variant. Nothing here is a test: it prints
    figures (median seconds, reference / fast ratio, achieved GFLOP/s beside a 2048 x 2048 matrix
    product, peak MB, and each train step by part) to compare within one run.

    Args:
        options: sizes, threads, device and the cases run (``--only synth``).
        json_out: also write the rows to this JSON file.
        crepe_bf16: instead, CREPE in bfloat16 against float32 on test tones (cents, seconds).
        models: the CREPE sizes of `crepe_bf16`.
        realtime: instead, the streaming renderer's real-time factor against block size.
        realtime_models: the models of `realtime` (tiny, solo, nsynth).
        block_sizes: the block sizes of `realtime` (multiples of the hop, 64).
    """
    from ddsp_repro.audio import write_json_atomic
    from ddsp_repro.benchmark import breakdown_table, crepe_bf16_rows, header, run_benchmarks, table_row

    if realtime:
        from ddsp_repro.benchmark import realtime_header, realtime_row, realtime_rows

        print("\n".join(realtime_header(options.threads)), flush=True)
        rows = []
        for row in realtime_rows(realtime_models, block_sizes, options.seconds, options.threads):
            rows.append(row)
            print(realtime_row(row), flush=True)
        if json_out:
            write_json_atomic(json_out, {"realtime": rows}, indent=2)
        return
    if crepe_bf16:
        for line in crepe_bf16_rows(options, models):
            print(line, flush=True)
        return

    print("\n".join(header(options)), flush=True)
    rows = []
    for row in run_benchmarks(options):
        rows.append(row)
        print(table_row(row), flush=True)
    for row in rows:
        if "parts" in row:
            print("\n" + "\n".join(breakdown_table(row)), flush=True)
    for row in rows:
        if row["case"].startswith("crepe"):
            overhead = row["fast_s"] / row["reference_s"]
            print(
                f"CREPE: compute_f0 (frames + network + Viterbi) costs {overhead:.3f}x "
                "the bare network forward pass on the same 1000 frames"
            )
    if json_out:
        import torch

        data = {"torch": torch.__version__, **dataclasses.asdict(options), "results": rows}
        write_json_atomic(json_out, data, indent=2)
        print(json.dumps({"wrote": str(json_out)}))
