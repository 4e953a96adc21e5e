"""Benchmark suite: fast paths against plain-PyTorch references of the same maths.

    python -m benchmarks.run                    # everything, 1 thread (as the tests run)
    python -m benchmarks.run --threads 2 --only synth
    python -m benchmarks.run --device cuda      # on a GPU machine

For each case the fast path (A) and the reference (B) run alternately, A B A B ..., after one
warm-up each, in this process; the table gives the median seconds of each, the ratio B / A, and
the peak memory (VmHWM) of a separate process that runs only that variant once, so that one
variant's allocations never count against the other. Nothing here is a test: it prints figures.

Cases:
- synth fwd, synth fwd+bwd: harmonic synthesis at the paper's batch (16 x 4 s x 100 harmonics,
  16 kHz), `implementation="auto"` against `implementation="reference"`.
- loss fwd, loss fwd+bwd: `MultiScaleSpectralLoss` against a plain loop over FFT sizes.
- train step supervised_nsynth: forward, loss, backward, clipping and Adam for the 6.99M-parameter
  supervised NSynth autoencoder, with the synth's fast path against its reference.
- noise, reverb: `FilteredNoiseSynth` (65 bands, 1000 frames) and a trainable 48,000-tap `Reverb`,
  absolute figures only.
- crepe full 4 s: `compute_f0` (CREPE full, Viterbi, 1000 frames) against the bare network forward
  pass on the same frames; here "fast" is the whole pipeline, so the printed overhead
  (pipeline / bare network, target at most 1.1) is the figure that matters, not a speed-up.
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
from collections.abc import Callable

import torch

SR = 16000


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _synth_case(backward: bool, args) -> dict[str, Callable[[], object]]:
    from ddsp_repro.dsp import harmonic_synthesis

    g = torch.Generator().manual_seed(0)
    n_frames, n_samples = int(args.seconds * 250), int(args.seconds * SR)
    f0 = (100 + 500 * torch.rand(args.batch, 1, 1, generator=g)) * (
        1 + 0.02 * torch.randn(1, n_frames, 1, generator=g)
    )
    amps = torch.rand(args.batch, n_frames, 1, generator=g)
    dist = torch.softmax(torch.randn(args.batch, n_frames, args.harmonics, generator=g), dim=-1)
    inputs = [x.to(args.device).requires_grad_(backward) for x in (f0, amps, dist)]

    def make(implementation: str):
        def step():
            with torch.set_grad_enabled(backward):
                audio = harmonic_synthesis(*inputs, n_samples, implementation=implementation)
                if backward:
                    audio.square().mean().backward()
            return audio

        return step

    return {"fast": make("auto"), "reference": make("reference")}


def _plain_spectral_loss(audio, target, fft_sizes=(2048, 1024, 512, 256, 128, 64)):
    loss = 0.0
    for size in fft_sizes:
        window = torch.hann_window(size, device=audio.device)
        hop = size // 4
        mags = []
        for x in (audio, target):
            n_frames = -(-x.shape[-1] // hop)
            x = torch.nn.functional.pad(x, (0, (n_frames - 1) * hop + size - x.shape[-1]))
            frames = x.unfold(-1, size, hop) * window
            mags.append(torch.fft.rfft(frames).abs())
        loss = loss + (mags[0] - mags[1]).abs().mean()
        loss = loss + (torch.log(mags[0] + 1e-5) - torch.log(mags[1] + 1e-5)).abs().mean()
    return loss


def _loss_case(backward: bool, args) -> dict[str, Callable[[], object]]:
    from ddsp_repro.losses import MultiScaleSpectralLoss

    g = torch.Generator().manual_seed(0)
    n = int(args.seconds * SR)
    audio = (0.1 * torch.randn(args.batch, n, generator=g)).to(args.device).requires_grad_(backward)
    target = (0.1 * torch.randn(args.batch, n, generator=g)).to(args.device)
    fast_loss = MultiScaleSpectralLoss()

    def make(fn):
        def step():
            with torch.set_grad_enabled(backward):
                value = fn(audio, target)
                if backward:
                    value.backward()
            return value

        return step

    return {"fast": make(fast_loss), "reference": make(_plain_spectral_loss)}


def _crepe_case(args) -> dict[str, Callable[[], object]]:
    from ddsp_repro.crepe import activations, frame_audio, normalize_frames
    from ddsp_repro.dsp import compute_f0

    g = torch.Generator().manual_seed(0)
    t = torch.arange(int(4 * SR)) / SR
    clip = 0.4 * torch.sin(2 * torch.pi * 220 * t * (1 + 0.01 * torch.sin(2 * torch.pi * 5 * t)))
    clip = (clip + 0.01 * torch.randn(clip.shape, generator=g)).to(args.device)
    frames = normalize_frames(frame_audio(clip[None], 64, 1000, "end"))
    return {
        "fast": lambda: compute_f0(clip, model="full", viterbi=True),
        "reference": lambda: activations(frames, model="full"),
    }


def _noise_reverb_case(which: str, backward: bool, args) -> dict[str, Callable[[], object]]:
    from ddsp_repro.effects import Reverb
    from ddsp_repro.synths import FilteredNoiseSynth

    g = torch.Generator().manual_seed(0)
    n = int(args.seconds * SR)
    if which == "noise":
        module = FilteredNoiseSynth(n_samples=n).to(args.device)
        x = torch.randn(args.batch, int(args.seconds * 250), 65, generator=g)
    else:
        module = Reverb(trainable=True).to(args.device)
        x = 0.1 * torch.randn(args.batch, n, generator=g)
    x = x.to(args.device).requires_grad_(backward)

    def step():
        with torch.set_grad_enabled(backward):
            out = module(x)
            if backward:
                out.square().mean().backward()
        return out

    return {"fast": step}


def _train_step_case(args) -> dict[str, Callable[[], object]]:
    """One optimisation step of supervised_nsynth (6.99M parameters): forward, multi-scale spectral
    loss, backward, gradient clipping at 3.0 and an Adam update, at the paper's batch."""
    from ddsp_repro.losses import MultiScaleSpectralLoss
    from ddsp_repro.models import Autoencoder, AutoencoderConfig

    g = torch.Generator().manual_seed(0)
    n_frames, n_samples = int(args.seconds * 250), int(args.seconds * SR)
    audio = (0.1 * torch.randn(args.batch, n_samples, generator=g)).to(args.device)
    f0 = (100 + 500 * torch.rand(args.batch, 1, generator=g)).expand(args.batch, n_frames).to(args.device)
    loudness = (-60 + 30 * torch.rand(args.batch, n_frames, generator=g)).to(args.device)
    loss_fn = MultiScaleSpectralLoss()

    def make(implementation: str):
        torch.manual_seed(0)
        config = AutoencoderConfig(
            n_samples=n_samples, n_frames=n_frames, synth_implementation=implementation
        )
        model = Autoencoder(config).to(args.device)
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)

        def step():
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(audio, f0, loudness)["audio"], audio)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 3.0)
            optimizer.step()
            return loss

        return step

    return {"fast": make("auto"), "reference": make("reference")}


def _gru_case(in_features: int, hidden: int, args) -> dict[str, Callable[[], object]]:
    """Forward + backward of a GRU over the frames: the paper's TF1 Keras cell as ddsp-repro runs
    it (one autograd function over the sequence) against `torch.nn.GRU` (the TF2 cell) of the
    same size. Different cells, same work: the first must not cost more than the second."""
    from ddsp_repro.models.gru import GRU

    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, int(args.seconds * 250), in_features, generator=g).to(args.device)

    def make(cell: str):
        torch.manual_seed(0)
        gru = GRU(in_features, hidden, cell).to(args.device)
        inputs = x.clone().requires_grad_(True)

        def step():
            out = gru(inputs)
            out.square().mean().backward()
            return out

        return step

    return {"fast": make("v1"), "reference": make("v2")}


CASES = {
    "gru fwd+bwd decoder 1536->512": lambda a: _gru_case(1536, 512, a),
    "gru fwd+bwd tiny 2->256": lambda a: _gru_case(2, 256, a),
    "synth fwd": lambda a: _synth_case(False, a),
    "synth fwd+bwd": lambda a: _synth_case(True, a),
    "loss fwd": lambda a: _loss_case(False, a),
    "loss fwd+bwd": lambda a: _loss_case(True, a),
    "noise fwd": lambda a: _noise_reverb_case("noise", False, a),
    "noise fwd+bwd": lambda a: _noise_reverb_case("noise", True, a),
    "reverb fwd": lambda a: _noise_reverb_case("reverb", False, a),
    "reverb fwd+bwd": lambda a: _noise_reverb_case("reverb", True, a),
    "train step supervised_nsynth": _train_step_case,
    "crepe full 4 s": _crepe_case,
}


def _time_interleaved(
    steps: dict[str, Callable[[], object]], repeats: int, device: str
) -> dict[str, list[float]]:
    times = {name: [] for name in steps}
    for step in steps.values():  # warm-up: kernel build, caches, first-call costs
        step()
    for _ in range(repeats):
        for name, step in steps.items():
            _sync(device)
            start = time.perf_counter()
            step()
            _sync(device)
            times[name].append(time.perf_counter() - start)
    return times


def _peak_memory_mb(case: str, variant: str, args) -> float:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--memory-of",
        case,
        variant,
        "--threads",
        str(args.threads),
        "--batch",
        str(args.batch),
        "--seconds",
        str(args.seconds),
        "--harmonics",
        str(args.harmonics),
        "--device",
        args.device,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_mb"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--harmonics", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--crepe-repeats", type=int, default=2, help="repeats of the slow cases (CREPE, train step)"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--only", default="", help="run cases whose name contains this text")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--memory-of", nargs=2, metavar=("CASE", "VARIANT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    if args.memory_of:
        case, variant = args.memory_of
        CASES[case](args)[variant]()
        print(json.dumps({"peak_mb": _peak_rss_mb()}))
        return

    print(
        f"ddsp-repro benchmarks | torch {torch.__version__} | {args.threads} thread(s) | {args.device} | "
        f"{_cpu_name()} | batch {args.batch} x {args.seconds:g} s, {args.harmonics} harmonics"
    )
    print("| case | fast s | reference s | ratio | fast peak MB | reference peak MB |")
    print("|---|---|---|---|---|---|")
    results = []
    for case, build in CASES.items():
        if args.only and args.only not in case:
            continue
        repeats = args.crepe_repeats if case.startswith(("crepe", "train")) else args.repeats
        times = _time_interleaved(build(args), repeats, args.device)
        variants = list(times)
        med = {v: statistics.median(times[v]) for v in variants}
        mem = {v: _peak_memory_mb(case, v, args) for v in variants}
        row = {"case": case, "runs": repeats, "fast_s": med["fast"], "fast_peak_mb": mem["fast"]}
        if "reference" in med:
            row.update(
                reference_s=med["reference"],
                reference_peak_mb=mem["reference"],
                ratio=med["reference"] / med["fast"],
            )
        results.append(row)

        print(_table_row(row), flush=True)
    for r in results:
        if r["case"].startswith("crepe"):
            print(
                f"CREPE: compute_f0 (frames + network + Viterbi) costs {r['fast_s'] / r['reference_s']:.3f}x "
                "the bare network forward pass on the same 1000 frames"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "torch": torch.__version__,
                    "threads": args.threads,
                    "device": args.device,
                    "results": results,
                },
                f,
                indent=2,
            )


def _table_row(row: dict) -> str:
    def cell(key: str, fmt: str) -> str:
        return format(row[key], fmt) if key in row else "-"

    return (
        f"| {row['case']} | {cell('fast_s', '.3f')} | {cell('reference_s', '.3f')} | "
        f"{cell('ratio', '.2f')} | {cell('fast_peak_mb', '.0f')} | {cell('reference_peak_mb', '.0f')} |"
    )


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM restarts at exec, unlike ru_maxrss, which keeps
    the forking parent's peak and would charge the parent's allocations to the child."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: an upper bound


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    main()
