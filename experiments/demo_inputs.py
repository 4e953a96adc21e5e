"""Gather the offline speech inputs: `python -m experiments.demo_inputs [--out data/demo_inputs]`.

Copies Debian alsa-utils' spoken clips (if installed) and extracts CMU ARCTIC `arctic_a0007.wav`
from the pysptk source archive on PyPI; see `ddsp_repro.demos.inputs` for sources and licences.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ddsp_repro._cli import run_cli


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m experiments.demo_inputs", description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("data/demo_inputs"))
    args = p.parse_args(argv)
    from ddsp_repro.demos.inputs import speech_inputs

    for path in speech_inputs(args.out):
        print(path)


if __name__ == "__main__":
    run_cli(lambda: main())
