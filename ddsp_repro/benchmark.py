"""Benchmark suite: fast paths against plain-PyTorch references of the same maths.

    ddsp-repro benchmark                        # everything, 1 thread (as the tests run)
    ddsp-repro benchmark --threads 2 --only "train step"
    ddsp-repro benchmark --device cuda          # on a GPU machine
    python -m benchmarks.run ...                # the same

For each case the fast path (A) and the reference (B) run alternately, A B A B ..., after one
warm-up each, in this process; the table gives the median seconds of each, the ratio B / A, the
achieved GFLOP/s of the fast path (matrix products and convolutions only, counted by
`torch.utils.flop_counter` on the reference) beside a 2048 x 2048 matrix product timed in the same
run, and the peak memory (VmHWM) of a separate process that runs only that variant once, so that
one variant's allocations never count against the other. Nothing here is a test: it prints figures.

"Reference" is the same computation inside `native.disabled()`: every compiled kernel and
hand-written backward steps aside for plain PyTorch (and the harmonic synth runs its
``"reference"`` implementation).

Cases:
- gru v1 / v2 fwd+bwd: one GRU layer over 1000 frames at batch 8, the fused C recurrence against
  its PyTorch path (the v1 cell's loop; `torch.nn.GRU` for v2).
- synth fwd, synth fwd+bwd: harmonic synthesis at the paper's batch (16 x 4 s x 100 harmonics,
  16 kHz), `implementation="auto"` against `implementation="reference"`.
- loss fwd, loss fwd+bwd: `MultiScaleSpectralLoss`, fused against plain.
- noise, reverb: `FilteredNoiseSynth` (65 bands, 1000 frames) and a trainable 48,000-tap `Reverb`,
  absolute figures only.
- train step PRESET: one optimisation step of tiny_violin_cpu, solo_violin_cpu or
  supervised_nsynth_cpu exactly as training runs it (crop, forward, losses, backward, TF
  global-norm clipping, TF1 Adam) at the preset's batch on 4 s examples, with a per-part breakdown
  (`ddsp_repro.timing` stages: encoders, decoder MLPs, GRU, synths, reverb, loss, backward,
  optimiser, and the rest).
- crepe full 4 s: `compute_f0` (CREPE full, Viterbi, 1000 frames) against the bare network forward
  pass on the same frames; here "fast" is the whole pipeline, so the printed overhead
  (pipeline / bare network, target at most 1.1) is the figure that matters, not a speed-up.

``ddsp-repro benchmark --realtime`` instead prints the streaming renderer's real-time factor
against block size (64 ... 4096 samples) for the tiny, solo and NSynth models, eager and
TorchScript, with the worst block beside the mean (`realtime_rows`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from ddsp_repro import native
from ddsp_repro.provenance import cpu_name
from ddsp_repro.timing import collect, stage

__all__ = [
    "CASES",
    "BenchmarkOptions",
    "breakdown_table",
    "crepe_bf16_rows",
    "header",
    "matmul_gflops",
    "realtime_header",
    "realtime_row",
    "realtime_rows",
    "run_benchmarks",
    "table_row",
]

SR = 16000


@dataclass(frozen=True)
class BenchmarkOptions:
    """Sizes and settings of a benchmark run (see `ddsp-repro benchmark --help`)."""

    batch: int = 16
    seconds: float = 4.0
    harmonics: int = 100
    repeats: int = 5
    crepe_repeats: int = 2  # repeats of the slow cases (CREPE, train step)
    threads: int = 1
    device: str = "cpu"
    only: str = ""  # run the cases whose name contains this text


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _synth_case(backward: bool, opts) -> dict[str, Callable[[], object]]:
    from ddsp_repro.dsp import harmonic_synthesis

    g = torch.Generator().manual_seed(0)
    n_frames, n_samples = int(opts.seconds * 250), int(opts.seconds * SR)
    f0 = (100 + 500 * torch.rand(opts.batch, 1, 1, generator=g)) * (
        1 + 0.02 * torch.randn(1, n_frames, 1, generator=g)
    )
    amps = torch.rand(opts.batch, n_frames, 1, generator=g)
    dist = torch.softmax(torch.randn(opts.batch, n_frames, opts.harmonics, generator=g), dim=-1)
    inputs = [x.to(opts.device).requires_grad_(backward) for x in (f0, amps, dist)]

    def make(implementation: str):
        def step():
            with torch.set_grad_enabled(backward):
                audio = harmonic_synthesis(*inputs, n_samples, implementation=implementation)
                if backward:
                    audio.square().mean().backward()
            return audio

        return step

    return {"fast": make("auto"), "reference": make("reference")}


def _paths(fast: bool):
    """The fast paths as they are, or every one of them replaced by its plain reference."""
    return contextlib.nullcontext() if fast else native.disabled()


def _loss_case(backward: bool, opts) -> dict[str, Callable[[], object]]:
    from ddsp_repro.losses import MultiScaleSpectralLoss

    g = torch.Generator().manual_seed(0)
    n = int(opts.seconds * SR)
    audio = (0.1 * torch.randn(opts.batch, n, generator=g)).to(opts.device).requires_grad_(backward)
    target = (0.1 * torch.randn(opts.batch, n, generator=g)).to(opts.device)
    loss_fn = MultiScaleSpectralLoss()

    def make(fast: bool):
        def step():
            with _paths(fast), torch.set_grad_enabled(backward):
                value = loss_fn(audio, target)
                if backward:
                    value.backward()
            return value

        return step

    return {"fast": make(True), "reference": make(False)}


def _crepe_case(opts) -> dict[str, Callable[[], object]]:
    from ddsp_repro.crepe import activations, frame_audio, normalize_frames
    from ddsp_repro.dsp import compute_f0

    g = torch.Generator().manual_seed(0)
    t = torch.arange(int(4 * SR)) / SR
    clip = 0.4 * torch.sin(2 * torch.pi * 220 * t * (1 + 0.01 * torch.sin(2 * torch.pi * 5 * t)))
    clip = (clip + 0.01 * torch.randn(clip.shape, generator=g)).to(opts.device)
    frames = normalize_frames(frame_audio(clip[None], 64, 1000, "end"))
    return {
        "fast": lambda: compute_f0(clip, crepe_model="full", viterbi=True),
        "reference": lambda: activations(frames, crepe_model="full"),
        # the network's FLOPs, counted on 10 of the 1000 frames (every frame costs the same)
        "flops": lambda: 100 * _matmul_flops(lambda: activations(frames[0, :10], crepe_model="full")),
    }


def _noise_reverb_case(which: str, backward: bool, opts) -> dict[str, Callable[[], object]]:
    from ddsp_repro.effects import Reverb
    from ddsp_repro.synths import FilteredNoiseSynth

    g = torch.Generator().manual_seed(0)
    n = int(opts.seconds * SR)
    if which == "noise":
        module = FilteredNoiseSynth(n_samples=n).to(opts.device)
        x = torch.randn(opts.batch, int(opts.seconds * 250), 65, generator=g)
    else:
        module = Reverb(trainable=True).to(opts.device)
        x = 0.1 * torch.randn(opts.batch, n, generator=g)
    x = x.to(opts.device).requires_grad_(backward)

    def step():
        with torch.set_grad_enabled(backward):
            out = module(x)
            if backward:
                out.square().mean().backward()
        return out

    return {"fast": step}


def _train_step_case(preset: str, opts) -> dict[str, Callable[[], object]]:
    """One optimisation step of `preset` as `RunModule.training_step` and the Trainer run it: random
    crop of 4 s examples to the preset's window, forward, losses, backward, global-norm clipping and
    the preset's optimiser, at the preset's batch size."""
    from dataclasses import replace

    from ddsp_repro.training.module import DATA_FRAMES, DATA_SAMPLES, module_for
    from ddsp_repro.training.presets import get_preset

    config = get_preset(preset)
    n = config.data.batch_size
    g = torch.Generator().manual_seed(0)
    f0 = 110 + 330 * torch.rand(n, 1, generator=g)
    tone = 0.3 * torch.sin(2 * torch.pi * f0 * torch.arange(DATA_SAMPLES) / SR)
    batch = {
        "audio": tone + 0.01 * torch.randn(n, DATA_SAMPLES, generator=g),
        "f0_hz": f0.expand(n, DATA_FRAMES).contiguous(),
        "loudness_db": -60 + 30 * torch.rand(n, DATA_FRAMES, generator=g),
    }
    batch = {k: v.to(opts.device) for k, v in batch.items()}

    def make(fast: bool):
        model = config.model if fast else replace(config.model, synth_implementation="reference")
        torch.manual_seed(0)
        module = module_for(replace(config, model=model)).to(opts.device).train()
        optimizer = module.configure_optimizers()["optimizer"]

        def step():
            with _paths(fast):
                with stage("optimiser"):
                    optimizer.zero_grad(set_to_none=True)
                cropped = module.crop(batch, random=True)
                loss = module.losses(cropped, module.step_generator(opts.device, salt=1))["loss"]
                with stage("backward"):
                    loss.backward()
                with stage("optimiser"):
                    module.configure_gradient_clipping(optimizer)
                    optimizer.step()
            return loss

        return step

    return {"fast": make(True), "reference": make(False)}


def _gru_case(cell: str, in_features: int, hidden: int, opts) -> dict[str, Callable[[], object]]:
    """Forward + backward of one GRU layer over 1000 frames at batch 8 (the CPU presets' batch)."""
    from ddsp_repro.models.gru import GRU

    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, int(opts.seconds * 250), in_features, generator=g).to(opts.device)
    torch.manual_seed(0)
    gru = GRU(in_features, hidden, cell).to(opts.device)
    inputs = x.clone().requires_grad_(True)

    def make(fast: bool):
        def step():
            with _paths(fast):
                out = gru(inputs)
                out.square().mean().backward()
            return out

        return step

    return {"fast": make(True), "reference": make(False)}


CASES = {
    "gru v1 fwd+bwd tiny 2->256": lambda o: _gru_case("v1", 2, 256, o),
    "gru v2 fwd+bwd tiny 2->256": lambda o: _gru_case("v2", 2, 256, o),
    "gru v1 fwd+bwd decoder 1024->512": lambda o: _gru_case("v1", 1024, 512, o),
    "synth fwd": lambda o: _synth_case(False, o),
    "synth fwd+bwd": lambda o: _synth_case(True, o),
    "loss fwd": lambda o: _loss_case(False, o),
    "loss fwd+bwd": lambda o: _loss_case(True, o),
    "noise fwd": lambda o: _noise_reverb_case("noise", False, o),
    "noise fwd+bwd": lambda o: _noise_reverb_case("noise", True, o),
    "reverb fwd": lambda o: _noise_reverb_case("reverb", False, o),
    "reverb fwd+bwd": lambda o: _noise_reverb_case("reverb", True, o),
    "train step tiny_violin_cpu": lambda o: _train_step_case("tiny_violin_cpu", o),
    "train step solo_violin_cpu": lambda o: _train_step_case("solo_violin_cpu", o),
    "train step supervised_nsynth_cpu": lambda o: _train_step_case("supervised_nsynth_cpu", o),
    "crepe full 4 s": _crepe_case,
}
SLOW = ("crepe", "train")  # cases timed `crepe_repeats` times
PARTS = ("encoders", "decoder MLPs", "GRU", "synths", "reverb", "loss", "backward", "optimiser")


def matmul_gflops(opts: BenchmarkOptions, size: int = 2048, repeats: int = 5) -> float:
    """The machine's float32 matrix-product rate: a size x size product, median of `repeats`."""
    a, b = (torch.randn(size, size, device=opts.device) for _ in range(2))
    times = _time_interleaved({"mm": lambda: a @ b}, repeats, opts.device)["mm"]
    return 2 * size**3 / statistics.median(times) / 1e9


def _matmul_flops(step: Callable[[], object]) -> int:
    """Matrix-product and convolution FLOPs of one call (forward and backward)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def _parts(step: Callable[[], object], device: str) -> dict[str, float]:
    """Seconds of one call by `timing.stage`, plus ``other`` (everything outside a stage)."""
    with collect(sync_cuda=device.startswith("cuda")) as parts:
        _sync(device)
        start = time.perf_counter()
        step()
        _sync(device)
        total = time.perf_counter() - start
    parts = dict(parts)
    parts["other"] = max(0.0, total - sum(parts.values()))
    return parts


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


def _peak_memory_mb(case: str, variant: str, opts: BenchmarkOptions) -> float:
    """Peak resident memory of a fresh process that runs only `variant` of `case` once."""
    cmd = [sys.executable, "-m", "ddsp_repro.benchmark", case, variant, json.dumps(dataclasses.asdict(opts))]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["peak_mb"]


def header(opts: BenchmarkOptions) -> list[str]:
    """The lines above the table: versions, machine, sizes, and the table's head."""
    return [
        f"ddsp-repro benchmarks | torch {torch.__version__} | {opts.threads} thread(s) | {opts.device} | "
        f"{cpu_name()} | batch {opts.batch} x {opts.seconds:g} s, {opts.harmonics} harmonics "
        "(GRU and train-step cases: their own batch)",
        "| case | fast s | reference s | ratio | fast GFLOP/s | of matmul | fast peak MB "
        "| reference peak MB |",
        "|---|---|---|---|---|---|---|---|",
    ]


def run_benchmarks(opts: BenchmarkOptions) -> Iterator[dict]:
    """The matrix-product rate, then each selected case's row (median seconds, ratio, GFLOP/s,
    peak memory and, for train steps, the per-part seconds), as soon as it is measured."""
    if not any(opts.only in case for case in CASES):
        raise ValueError(f"no benchmark case contains {opts.only!r}; cases: {', '.join(CASES)}")
    torch.set_num_threads(opts.threads)
    rate = matmul_gflops(opts)
    yield {
        "case": "matmul 2048x2048 (the machine's rate)",
        "fast_s": 2 * 2048**3 / rate / 1e9,
        "gflops": rate,
    }
    for case, build in CASES.items():
        if opts.only and opts.only not in case:
            continue
        steps = build(opts)
        count = steps.pop("flops", None)
        repeats = opts.crepe_repeats if case.startswith(SLOW) else opts.repeats
        times = _time_interleaved(steps, repeats, opts.device)
        med = {v: statistics.median(t) for v, t in times.items()}
        mem = {v: _peak_memory_mb(case, v, opts) for v in times}
        flops = count() if count else _matmul_flops(steps.get("reference", steps["fast"]))
        row = {"case": case, "runs": repeats, "fast_s": med["fast"], "fast_peak_mb": mem["fast"]}
        if flops:
            row.update(gflops=flops / med["fast"] / 1e9, of_matmul=flops / med["fast"] / 1e9 / rate)
        if "reference" in med:
            row.update(
                reference_s=med["reference"],
                reference_peak_mb=mem["reference"],
                ratio=med["reference"] / med["fast"],
            )
        if case.startswith("train"):
            row["parts"] = {variant: _parts(step, opts.device) for variant, step in steps.items()}
        yield row


def table_row(row: dict) -> str:
    def cell(key: str, fmt: str) -> str:
        return format(row[key], fmt) if key in row else "-"

    return (
        f"| {row['case']} | {cell('fast_s', '.3f')} | {cell('reference_s', '.3f')} | "
        f"{cell('ratio', '.2f')} | {cell('gflops', '.1f')} | {cell('of_matmul', '.2f')} | "
        f"{cell('fast_peak_mb', '.0f')} | {cell('reference_peak_mb', '.0f')} |"
    )


def breakdown_table(row: dict) -> list[str]:
    """Markdown lines: one train step's seconds by part, fast against reference (one timed call
    each, after the table's runs; "other" is what no stage covers: cropping, glue)."""
    fast, reference = row["parts"]["fast"], row["parts"]["reference"]
    lines = [f"{row['case']}, by part:", "| part | fast s | reference s | ratio | share of fast step |"]
    lines.append("|---|---|---|---|---|")
    total = sum(fast.values())
    for part in (*PARTS, "other"):
        f, r = fast.get(part, 0.0), reference.get(part, 0.0)
        if f == 0.0 and r == 0.0:
            continue
        ratio = f"{r / f:.2f}" if f > 0 else "-"
        lines.append(f"| {part} | {f:.3f} | {r:.3f} | {ratio} | {f / total:.0%} |")
    lines.append(
        f"| total | {total:.3f} | {sum(reference.values()):.3f} | {sum(reference.values()) / total:.2f} | |"
    )
    return lines


def crepe_bf16_rows(opts: BenchmarkOptions, models: tuple[str, ...] = ("tiny", "full")) -> Iterator[str]:
    """Markdown rows: CREPE in bfloat16 against float32 on test tones (f0 difference in cents, time)."""
    import math

    import numpy as np

    from ddsp_repro.crepe import compute_f0

    torch.set_num_threads(opts.threads)
    time_s = torch.arange(8000) / SR
    yield "| model | tone Hz | max cents bf16 vs fp32 (confident frames) | fp32 s | bf16 s |"
    yield "|---|---|---|---|---|"
    for model in models:
        for hz in (110.0, 440.0, 1200.0):
            audio = (0.5 * torch.sin(2 * math.pi * hz * time_s)).to(opts.device)
            timings, results = [], []
            for dtype in (torch.float32, torch.bfloat16):
                compute_f0(audio[:1024], crepe_model=model, dtype=dtype)  # load and convert weights
                start = time.perf_counter()
                results.append(compute_f0(audio, crepe_model=model, frame_rate=50, dtype=dtype))
                timings.append(time.perf_counter() - start)
            (f32, conf), (bf16, _) = results
            mask = (conf > 0.5).cpu().numpy()
            cents = 1200 * np.abs(np.log2(bf16.cpu().numpy()[mask] / f32.cpu().numpy()[mask]))
            yield f"| {model} | {hz:g} | {cents.max():.3f} | {timings[0]:.2f} | {timings[1]:.2f} |"


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


if __name__ == "__main__":  # the child of `_peak_memory_mb`: CASE VARIANT OPTIONS_JSON
    _case, _variant, _opts = sys.argv[1], sys.argv[2], BenchmarkOptions(**json.loads(sys.argv[3]))
    torch.set_num_threads(_opts.threads)
    CASES[_case](_opts)[_variant]()
    print(json.dumps({"peak_mb": _peak_rss_mb()}))


# Real time ----------------------------------------------------------------------------------------
REALTIME_MODELS = {"tiny": "tiny_violin", "solo": "solo_violin", "nsynth": "supervised_nsynth"}
REALTIME_BLOCKS = (64, 128, 256, 512, 1024, 2048, 4096)
DDX7_ANCHOR = (
    "anchor (DDX7, Caspe et al. 2022, their Table: a 4.5M-parameter harmonic-plus-noise model, "
    "laptop i7): RTF 0.231 with 256 ms blocks, 1.88 with 32 ms blocks"
)


def realtime_rows(
    models: tuple[str, ...] = tuple(REALTIME_MODELS),
    block_sizes: tuple[int, ...] = REALTIME_BLOCKS,
    seconds: float = 4.0,
    threads: int = 1,
) -> Iterator[dict]:
    """Real-time factor of `streaming.StreamingRenderer` against block size: the native stream
    kernel ("fused", where it builds), the PyTorch path ("eager") and TorchScript.

    Each model is its preset's architecture at its initial weights (the cost does not depend on
    the weights), rendering `seconds` of controls (a 440 Hz note at -30 dB; NSynth with a held z)
    block by block on `threads` threads after one warm-up second. Rows give the RTF (compute over
    audio time), the mean and worst block against the block's deadline and the missed deadlines,
    and the memory floor: the bytes every block must read (`block_bytes`) at the rate this core
    streams a buffer of that size (`stream_bandwidth`), as an RTF.
    """
    from ddsp_repro.streaming.renderer import StreamingRenderer
    from ddsp_repro.streaming.session import stream_controls
    from ddsp_repro.training.presets import PRESETS

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for label in models:
            model = PRESETS[REALTIME_MODELS[label]].model.build().eval()
            c = model.config
            frames = int(seconds * c.frame_rate)
            warm = int(c.frame_rate)
            n_bytes = block_bytes(model)
            floor_s = n_bytes / stream_bandwidth(n_bytes)
            for block in block_sizes:
                per_block = block // c.hop
                n = max(frames, 2 * per_block) // per_block * per_block
                f0 = torch.full((1, n + warm), 440.0)
                ld = torch.full((1, n + warm), -30.0)
                z = torch.zeros(1, n + warm, c.z_dims) if c.z_dims else None
                for variant in ("fused", "eager", "torchscript"):
                    renderer = StreamingRenderer(model, block, fused=None if variant == "fused" else False)
                    if variant == "fused" and renderer.fused is None:
                        continue  # no C compiler here
                    runner = torch.jit.script(renderer) if variant == "torchscript" else renderer
                    stream_controls(
                        runner, f0[:, :warm], ld[:, :warm], None if z is None else z[:, :warm], False
                    )
                    _, times = stream_controls(
                        runner, f0[:, warm:], ld[:, warm:], None if z is None else z[:, warm:], False
                    )
                    s = times.summary()
                    yield {
                        "model": label,
                        "preset": REALTIME_MODELS[label],
                        "parameters": model.n_trainable_parameters(),
                        "variant": variant,
                        "block": block,
                        "block_ms": 1e3 * block / c.sample_rate,
                        "block_mb": n_bytes / 1e6,
                        "floor_rtf": floor_s * c.sample_rate / block,
                        **{
                            k: s[k]
                            for k in (
                                "rtf",
                                "mean_block_ms",
                                "worst_block_ms",
                                "worst_rtf",
                                "missed_deadlines",
                                "blocks",
                            )
                        },
                    }
    finally:
        torch.set_num_threads(previous)


def block_bytes(model: torch.nn.Module) -> int:
    """Bytes every streamed block of `model` reads, whatever its size: the decoder's float32 weights
    (each read once per block: the frames of a block go through each layer together, and the GRU's
    recurrent kernel, read again for each further frame, is then in cache) and the reverb's
    partitioned convolution (the IR's spectra and the ring of input spectra, 8 bytes per IR sample
    each)."""
    decoder = sum(p.numel() for p in model.decoder.parameters())
    reverb = 16 * model.config.reverb_length if model.reverb is not None else 0
    return 4 * decoder + reverb


def stream_bandwidth(n_bytes: int, repeats: int = 100) -> float:
    """Bytes per second at which this thread reads a buffer of `n_bytes` again and again (a float32
    sum, best of `repeats`): the cache level a block's working set lives in, measured. A sum is
    arithmetic too, so for a buffer that fits in cache this is a lower bound on the read rate and
    the floor it gives is an upper bound on the true one."""
    x = torch.ones(max(1024, n_bytes // 4))
    x.sum()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        x.sum()
        best = min(best, time.perf_counter() - start)
    return x.numel() * 4 / best


def realtime_header(threads: int) -> list[str]:
    return [
        f"ddsp-repro real time | torch {torch.__version__} | {threads} thread(s) | {cpu_name()} | "
        "StreamingRenderer, controls in (features not included)",
        DDX7_ANCHOR,
        "memory floor: the MB every block reads at the rate this core streams that many (an RTF)",
        "| model | params | variant | block | block ms | RTF | mean block ms | worst block ms | worst RTF "
        "| missed | MB/block | floor RTF |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]


def realtime_row(r: dict) -> str:
    return (
        f"| {r['model']} | {r['parameters'] / 1e6:.2f}M | {r['variant']} | {r['block']} "
        f"| {r['block_ms']:g} | "
        f"{r['rtf']:.4f} | {r['mean_block_ms']:.3f} | {r['worst_block_ms']:.3f} | {r['worst_rtf']:.3f} | "
        f"{r['missed_deadlines']}/{r['blocks']} | {r['block_mb']:.2f} | {r['floor_rtf']:.3f} |"
    )
