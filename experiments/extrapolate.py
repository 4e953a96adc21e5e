"""Pitch extrapolation: `python -m experiments.extrapolate --checkpoint CKPT --out DIR`.

Drives the model with validation phrases an octave below and above their pitch (outside the
training range) and reports F0 L1 of what it plays. See `ddsp_repro.demos.control`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ddsp_repro._cli import run_cli


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m experiments.extrapolate", description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--examples", type=int, default=4)
    p.add_argument("--crepe-model", choices=("tiny", "full"), default="tiny")
    args = p.parse_args(argv)
    from ddsp_repro.demos.common import load_model
    from ddsp_repro.demos.sections import extrapolation_section, write_results

    section = extrapolation_section(load_model(args.checkpoint), args.out, args.examples, args.crepe_model)
    write_results(args.out, section)
    print(json.dumps(section["table"], indent=2))
    print(f"figure: {args.out / section['images'][0]}")


if __name__ == "__main__":
    run_cli(lambda: main())
