"""`python -m benchmarks.crepe_bf16 [--threads 1] [--models tiny full]`: alias of
``ddsp-repro benchmark --crepe-bf16``."""

import sys

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("benchmark", ["--crepe-bf16", *sys.argv[1:]])
