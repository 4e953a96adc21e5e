"""Independent control and interpolation: `python -m experiments.control --checkpoint CKPT --out DIR`.

Re-renders validation notes with f0 shifted, loudness offset, and f0 / loudness / z interpolated
to another note, re-measures the outputs and writes the table (the paper's appendix interpolation
table), the renders, a figure and results.json. See `ddsp_repro.demos.control`.
"""

from __future__ import annotations

from ddsp_repro._cli import run_cli
from experiments._demo_cli import demo_parser, report


def main(argv: list[str] | None = None) -> None:
    p = demo_parser("experiments.control", __doc__)
    p.add_argument("--pairs", type=int, default=4, help="note pairs averaged over")
    args = p.parse_args(argv)
    from ddsp_repro.demos.common import load_model
    from ddsp_repro.demos.sections import control_section

    report(args.out, control_section(load_model(args.checkpoint), args.out, args.pairs, args.crepe_model))


if __name__ == "__main__":
    run_cli(lambda: main())
