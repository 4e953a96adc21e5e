"""Timbre transfer: `python -m experiments.transfer --checkpoint CKPT --input IN.wav --out OUT_DIR`.

    python -m experiments.transfer --checkpoint runs/tiny_violin_cpu-*/checkpoints/best.ckpt \\
        --input data/demo_inputs/arctic_a0007.wav --out demos/transfer
    ... --octave-shift 2           # instead of the automatic shift to the training data's pitch
    ... --no-room --no-match-loudness   # skip steps of the paper's recipe (see ddsp_repro.demos.transfer)

Writes the input (mono, 16 kHz), the output, a figure (spectrograms, f0 and loudness of input,
conditioning and output) and results.json. Any rate, channel count and length are accepted.
"""

from __future__ import annotations

from pathlib import Path

from ddsp_repro._cli import run_cli
from experiments._demo_cli import demo_parser, report


def main(argv: list[str] | None = None) -> None:
    p = demo_parser("experiments.transfer", __doc__)
    p.add_argument("--input", required=True, type=Path)
    p.add_argument("--octave-shift", type=int, help="default: automatic")
    p.add_argument("--confidence", type=float, default=0.5, help="CREPE confidence of a pitched frame")
    p.add_argument("--quiet-db", type=float, default=20.0, help="how much unpitched frames are lowered")
    p.add_argument("--no-room", action="store_true", help="measure loudness without the learned room")
    p.add_argument("--no-match-loudness", action="store_true")
    args = p.parse_args(argv)
    from ddsp_repro.demos.common import load_model
    from ddsp_repro.demos.sections import transfer_section

    section = transfer_section(
        load_model(args.checkpoint),
        args.input,
        args.out,
        octave_shift=args.octave_shift,
        confidence=args.confidence,
        quiet_db=args.quiet_db,
        room=not args.no_room,
        match_loudness=not args.no_match_loudness,
        crepe_model=args.crepe_model,
    )
    report(args.out, section, table=section["table"][0])
    print(f"output: {args.out / section['files']['output']['path']}")


if __name__ == "__main__":
    run_cli(lambda: main())
