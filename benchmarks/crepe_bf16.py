"""CREPE in bfloat16 against float32: f0 difference in cents and time, on test tones.

python -m benchmarks.crepe_bf16 [--threads 1] [--models tiny full]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from ddsp_repro import dsp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--models", nargs="+", default=["tiny", "full"])
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    time_s = torch.arange(8000) / 16000
    print("| model | tone Hz | max cents bf16 vs fp32 (confident frames) | fp32 s | bf16 s |")
    print("|---|---|---|---|---|")
    for model in args.models:
        for hz in (110.0, 440.0, 1200.0):
            audio = (0.5 * torch.sin(2 * math.pi * hz * time_s)).to(args.device)
            timings, results = [], []
            for dtype in (torch.float32, torch.bfloat16):
                dsp.compute_f0(audio[:1024], crepe_model=model, dtype=dtype)  # load and convert weights
                start = time.perf_counter()
                results.append(dsp.compute_f0(audio, crepe_model=model, frame_rate=50, dtype=dtype))
                timings.append(time.perf_counter() - start)
            (f32, conf), (bf16, _) = results
            mask = (conf > 0.5).cpu().numpy()
            cents = 1200 * np.abs(np.log2(bf16.cpu().numpy()[mask] / f32.cpu().numpy()[mask]))
            print(
                f"| {model} | {hz:g} | {cents.max():.3f} | {timings[0]:.2f} | {timings[1]:.2f} |", flush=True
            )


if __name__ == "__main__":
    main()
