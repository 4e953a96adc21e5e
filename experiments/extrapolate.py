"""Pitch extrapolation: `python -m experiments.extrapolate --checkpoint CKPT --out DIR`.

Drives the model with validation phrases an octave below and above their pitch (outside the
training range) and reports F0 L1 of what it plays. See `ddsp_repro.demos.control`.
"""

from __future__ import annotations

from ddsp_repro._cli import run_cli
from experiments._demo_cli import demo_parser, report


def main(argv: list[str] | None = None) -> None:
    p = demo_parser("experiments.extrapolate", __doc__)
    p.add_argument("--examples", type=int, default=4)
    args = p.parse_args(argv)
    from ddsp_repro.demos.common import load_model
    from ddsp_repro.demos.sections import extrapolation_section

    loaded = load_model(args.checkpoint)
    report(args.out, extrapolation_section(loaded, args.out, args.examples, args.crepe_model))


if __name__ == "__main__":
    run_cli(lambda: main())
