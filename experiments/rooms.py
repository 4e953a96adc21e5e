"""`python -m experiments.rooms ...`: alias of ``ddsp-repro rooms ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("rooms")
