"""`python -m experiments.control ...`: alias of ``ddsp-repro control ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("control")
