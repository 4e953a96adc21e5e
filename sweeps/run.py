"""`python -m sweeps.run ...`: alias of ``ddsp-repro sweep ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("sweep")
