"""Decomposition, dereverberation, room transfer: `python -m experiments.rooms --checkpoint CKPT --out DIR`.

Needs a model with a learned reverb (solo_violin*, tiny_violin*). Writes the harmonic, noise,
reverb, wet and dry parts of a validation phrase, `--input` (default: a speech clip, see
`ddsp_repro.demos.inputs`) put through the learned room, a figure and the room measures.
"""

from __future__ import annotations

from pathlib import Path

from ddsp_repro._cli import run_cli
from experiments._demo_cli import demo_parser, report


def main(argv: list[str] | None = None) -> None:
    p = demo_parser("experiments.rooms", __doc__, crepe=False)
    p.add_argument("--input", type=Path, help="audio to put in the learned room (default: speech)")
    p.add_argument("--inputs-dir", type=Path, default=Path("data/demo_inputs"))
    args = p.parse_args(argv)
    from ddsp_repro.demos.common import load_model
    from ddsp_repro.demos.inputs import speech_inputs
    from ddsp_repro.demos.sections import room_section

    other = args.input or speech_inputs(args.inputs_dir)[-1]
    report(args.out, room_section(load_model(args.checkpoint), other, args.out))


if __name__ == "__main__":
    run_cli(lambda: main())
