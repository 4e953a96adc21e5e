"""Alias of ``ddsp-repro train``: `python -m experiments.run PRESET [--resume] [--section.field VALUE ...]`.

python -m experiments.run --list                         # = ddsp-repro presets
python -m experiments.run supervised_nsynth_cpu --help   # every field, typed, with its default
python -m experiments.run supervised_nsynth_cpu --trainer.max-steps 50 --optim.lr 1e-3
python -m experiments.run supervised_nsynth_cpu --resume # continue a killed run
"""

import sys

from ddsp_repro.cli import run_command


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("--list", "-l"):
        run_command("presets", [])
    else:
        run_command("train", args)


if __name__ == "__main__":
    main()
