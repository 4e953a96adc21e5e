"""Independent control and interpolation: `python -m experiments.control --checkpoint CKPT --out DIR`.

Re-renders validation notes with f0 shifted, loudness offset, and f0 / loudness / z interpolated
to another note, re-measures the outputs and writes the table (the paper's appendix interpolation
table), the renders, a figure and results.json. See `ddsp_repro.demos.control`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ddsp_repro._cli import run_cli


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m experiments.control", description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--pairs", type=int, default=4, help="note pairs averaged over")
    p.add_argument("--crepe-model", choices=("tiny", "full"), default="tiny")
    args = p.parse_args(argv)
    from ddsp_repro.demos.common import load_model
    from ddsp_repro.demos.sections import control_section, write_results

    section = control_section(load_model(args.checkpoint), args.out, args.pairs, args.crepe_model)
    write_results(args.out, section)
    print(json.dumps(section["table"], indent=2))
    print(f"figure: {args.out / section['images'][0]}")


if __name__ == "__main__":
    run_cli(lambda: main())
