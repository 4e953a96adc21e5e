"""Render the no-training synthesis demo: `python -m experiments.synthesis_demo --out outputs/demo`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ddsp_repro.demo import run_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--out", type=Path, default=Path("outputs/demo"), help="folder for wavs, png and summary"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--crepe-model",
        choices=["tiny", "full"],
        default="tiny",
        help="CREPE used to re-measure f0 (full is the paper's, ~30x slower on CPU)",
    )
    args = parser.parse_args()
    result = run_demo(args.out, seed=args.seed, crepe_model=args.crepe_model)
    for name, path in result.wav_paths.items():
        print(f"wrote {path}  ({name})")
    print(f"wrote {result.figure_path}")
    print(json.dumps(result.summary, indent=2))


if __name__ == "__main__":
    main()
