"""`python -m experiments.demo_inputs ...`: alias of ``ddsp-repro demo-inputs ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("demo-inputs")
