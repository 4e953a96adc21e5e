"""`python -m evals.run ...`: alias of ``ddsp-repro eval ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("eval")
