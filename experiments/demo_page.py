"""`python -m experiments.demo_page ...`: alias of ``ddsp-repro demo-page ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("demo-page")
