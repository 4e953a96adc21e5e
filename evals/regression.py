"""CI guard on metrics: `python -m evals.regression --check | --measure` (= ``ddsp-repro regression``).

See `ddsp_repro.evaluation.regression`; baseline and tolerances live in ``evals/regression/``.
"""

import sys

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    modes = {"--check": "check", "--measure": "measure"}
    run_command("regression", [modes.get(a, a) for a in sys.argv[1:]])
