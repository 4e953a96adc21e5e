"""`python -m evals.make_results ...`: alias of ``ddsp-repro results ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("results")
