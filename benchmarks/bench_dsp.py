"""Time harmonic synthesis and the multi-scale spectral loss at the paper's training batch.

    python -m benchmarks.bench_dsp              # 16 x 4 s x 100 harmonics at 16 kHz, 1 thread
    python -m benchmarks.bench_dsp --threads 2 --repeats 5

Each case runs in its own process so that its peak memory (max RSS) is its own; the table also
shows an "import only" row, the same process with nothing run, as the memory floor. Reported
seconds are the median of `--repeats` runs after one warm-up run.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time

import torch

CASES = ("import_only", "synth_fwd", "synth_fwd_bwd", "loss_fwd", "loss_fwd_bwd")


def _inputs(batch: int, seconds: float, n_harmonics: int, requires_grad: bool):
    n_frames = int(seconds * 250)
    g = torch.Generator().manual_seed(0)
    f0 = (200 + 400 * torch.rand(batch, 1, 1, generator=g)).expand(batch, n_frames, 1).contiguous()
    amps = torch.rand(batch, n_frames, 1, generator=g)
    dist = torch.softmax(torch.randn(batch, n_frames, n_harmonics, generator=g), dim=-1)
    for x in (f0, amps, dist):
        x.requires_grad_(requires_grad)
    return f0, amps, dist, int(seconds * 16000)


def run_case(case: str, batch: int, seconds: float, n_harmonics: int, repeats: int) -> dict:
    from ddsp_repro.dsp import harmonic_synthesis
    from ddsp_repro.losses import MultiScaleSpectralLoss

    if case == "import_only":
        step = None
    elif case.startswith("synth"):
        backward = case.endswith("bwd")
        f0, amps, dist, n_samples = _inputs(batch, seconds, n_harmonics, backward)

        def step():
            audio = harmonic_synthesis(f0, amps, dist, n_samples)
            if backward:
                audio.square().mean().backward()
    else:
        backward = case.endswith("bwd")
        n = int(seconds * 16000)
        audio = (torch.randn(batch, n) * 0.1).requires_grad_(backward)
        target = torch.randn(batch, n) * 0.1
        loss_fn = MultiScaleSpectralLoss()

        def step():
            loss = loss_fn(audio, target)
            if backward:
                loss.backward()

    times = []
    if step is not None:
        step()  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return {
        "case": case,
        "median_s": statistics.median(times) if times else None,
        "runs": len(times),
        "peak_mb": peak_mb,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--harmonics", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if args.case:
        print(json.dumps(run_case(args.case, args.batch, args.seconds, args.harmonics, args.repeats)))
        return

    print(
        f"batch {args.batch} x {args.seconds:g} s x {args.harmonics} harmonics at 16 kHz; "
        f"torch {torch.__version__}, {args.threads} thread(s), {platform.processor() or platform.machine()}, "
        f"median of {args.repeats} after 1 warm-up"
    )
    print(f"{'case':<16}{'median s':>10}{'peak MB':>10}")
    for case in CASES:
        cmd = [sys.executable, "-m", "benchmarks.bench_dsp", "--case", case] + [
            f"--{k}={v}"
            for k, v in (
                ("batch", args.batch),
                ("seconds", args.seconds),
                ("harmonics", args.harmonics),
                ("repeats", args.repeats),
                ("threads", args.threads),
            )
        ]
        result = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        seconds = "-" if result["median_s"] is None else f"{result['median_s']:.3f}"
        print(f"{case:<16}{seconds:>10}{result['peak_mb']:>10.0f}", flush=True)


if __name__ == "__main__":
    main()
