"""`python -m experiments.extrapolate ...`: alias of ``ddsp-repro extrapolate ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("extrapolate")
