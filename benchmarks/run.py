"""`python -m benchmarks.run ...`: alias of ``ddsp-repro benchmark ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("benchmark")
