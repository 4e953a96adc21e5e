"""`python -m experiments.transfer ...`: alias of ``ddsp-repro transfer ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("transfer")
