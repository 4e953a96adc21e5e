"""`python -m experiments.synthesis_demo ...`: alias of ``ddsp-repro synthesis-demo ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("synthesis-demo")
