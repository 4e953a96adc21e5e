"""`python -m sweeps.wandb_spec ...`: alias of ``ddsp-repro sweep-spec ...``."""

from ddsp_repro.cli import run_command

if __name__ == "__main__":
    run_command("sweep-spec")
