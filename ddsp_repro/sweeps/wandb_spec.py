"""Write the W&B sweep spec of a preset's search space, for users who prefer W&B sweeps.

    ddsp-repro sweep-spec supervised_nsynth_cpu > sweep.yaml
    wandb sweep sweep.yaml            # prints the sweep id
    wandb agent ENTITY/PROJECT/SWEEP_ID   # on each worker: runs `ddsp-repro train` per trial

The agent calls the same run CLI as everything else (``--optim.lr=...`` per parameter); each trial
is an ordinary run directory under ``runs/`` and logs to the sweep's W&B run.
`sweeps/wandb_specs/` holds the spec of each CPU-scale preset (a test keeps them in step with the spaces).
"""

from __future__ import annotations


def spec_yaml(preset: str, method: str = "bayes") -> str:
    import yaml

    from ddsp_repro.sweeps.space import space_for, to_wandb_spec

    header = f"# W&B sweep over {preset}: written by `ddsp-repro sweep-spec {preset}`.\n"
    return header + yaml.safe_dump(to_wandb_spec(space_for(preset), preset, method), sort_keys=False)
