"""Write the W&B sweep spec of a preset's search space, for users who prefer W&B sweeps.

    python -m sweeps.wandb_spec supervised_nsynth_cpu > sweep.yaml
    wandb sweep sweep.yaml            # prints the sweep id
    wandb agent ENTITY/PROJECT/SWEEP_ID   # on each worker: runs `experiments.run` per trial

The agent calls the same run CLI as everything else (``--optim.lr=...`` per parameter); each trial
is an ordinary run directory under ``runs/`` and logs to the sweep's W&B run.
`sweeps/wandb_specs/` holds the spec of each CPU-scale preset (a test keeps them in step with the spaces).
"""

from __future__ import annotations

import argparse

from ddsp_repro._cli import run_cli


def spec_yaml(preset: str, method: str = "bayes") -> str:
    import yaml

    from sweeps.space import to_wandb_spec
    from sweeps.spaces import space_for

    header = f"# W&B sweep over {preset}: written by `python -m sweeps.wandb_spec {preset}`.\n"
    return header + yaml.safe_dump(to_wandb_spec(space_for(preset), preset, method), sort_keys=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sweeps.wandb_spec", description=__doc__.split("\n")[0])
    parser.add_argument("preset")
    parser.add_argument("--method", choices=("bayes", "random", "grid"), default="bayes")
    args = parser.parse_args(argv)
    print(spec_yaml(args.preset, args.method), end="")


if __name__ == "__main__":
    run_cli(lambda: main())
