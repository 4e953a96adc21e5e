"""The metric regression job: a small deterministic train-then-eval compared with committed values.

`ddsp-repro regression --check` (CI) reruns seed 0 and fails when any metric moved past its
tolerance; ``--measure`` reruns several seeds and rewrites the baseline and the tolerances.

The job builds six harmonic tones (half held out, `data.tones`), trains a shrunk supervised DDSP
autoencoder (the real synths, losses, training loop and checkpointing) for a few dozen steps, and
evaluates its last checkpoint with the real metrics. A broken synthesiser, loss, feature or metric
moves these numbers far past the tolerances, which come from the spread over seeds measured by
``--measure`` (stored in ``evals/regression/tolerances.json`` with how they were measured).
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from ddsp_repro.audio import write_json_atomic

__all__ = ["CHECKED", "SEEDS", "check", "compare", "measure", "regression_config", "run_once"]

CHECKED = ("loudness_l1_db", "f0_l1", "f0_outlier_ratio_v006", "spectral_distance", "final_val_loss")
SEEDS = (0, 1, 2)
FLOORS = {"loudness_l1_db": 0.25, "f0_l1": 0.1, "f0_outlier_ratio_v006": 0.0, "spectral_distance": 0.1,
          "final_val_loss": 0.1}  # fmt: skip


def regression_config(data_dir: Path, runs_dir: Path, seed: int = 0):
    from ddsp_repro.training.config import DataConfig, LoggingConfig
    from ddsp_repro.training.presets import PRESETS

    base = PRESETS["supervised_nsynth"]
    return replace(
        base,
        name="regression",
        model=replace(base.model, ch=64, rnn_channels=64, n_samples=16000, n_frames=250),
        data=DataConfig(source="prepared", train_dir=str(data_dir), batch_size=4),
        optim=replace(base.optim, lr=1e-3),
        trainer=replace(
            base.trainer, max_steps=60, val_every_steps=20, limit_val_batches=1, seed=seed, progress_bar=False
        ),  # fmt: skip
        logging=LoggingConfig(wandb="disabled", runs_dir=str(runs_dir), n_media_examples=1),
    )


def run_once(workdir: Path, data_dir: Path, seed: int) -> dict:
    """Train and evaluate one seed; the checked metrics."""
    import torch

    from ddsp_repro.evaluation.evaluate import evaluate
    from ddsp_repro.training.train import run_dir_for, train

    torch.set_num_threads(1)  # the same arithmetic on every machine size
    config = regression_config(data_dir, workdir / "runs", seed)
    metrics = train(config)
    report = evaluate(run_dir_for(config) / "checkpoints" / "last.ckpt", crepe_model="tiny", progress=False)
    values = {k: report["metrics"][k] for k in CHECKED if k in report["metrics"]}
    values["final_val_loss"] = metrics["val/loss"]
    return values


def compare(values: dict, baseline: dict, tolerances: dict) -> list[str]:
    """Failures, one line each: metrics further from the baseline than their tolerance."""
    failures = []
    for key in CHECKED:
        got, want, tol = values.get(key), baseline[key], tolerances[key]
        if got is None or not np.isfinite(got) or abs(got - want) > tol:
            failures.append(f"{key}: {got} vs baseline {want:.4f} (tolerance ±{tol:.4f})")
    return failures


def check(baseline: dict, tolerances: dict) -> tuple[dict, list[str]]:
    """Run seed 0; its values and the failures against `baseline` and `tolerances`."""
    from ddsp_repro.data.tones import build_tones

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        values = run_once(workdir, build_tones(workdir / "data"), seed=0)
    return values, compare(values, baseline, tolerances)


def measure(folder: Path) -> dict:
    """Run every seed; write ``baseline.json`` and ``tolerances.json`` into `folder`."""
    from ddsp_repro.data.tones import build_tones

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data_dir = build_tones(workdir / "data")
        runs = {seed: run_once(workdir / f"seed{seed}", data_dir, seed) for seed in SEEDS}
    spread = {k: float(np.ptp([r[k] for r in runs.values()])) for k in CHECKED}
    tolerance = {k: max(spread[k], FLOORS[k]) for k in CHECKED}
    write_json_atomic(folder / "baseline.json", runs[0], indent=1, sort_keys=True)
    how = (
        "tolerance = max(spread over seeds, floor); spread = max - min of each metric over "
        f"seeds {list(SEEDS)} of the same job, measured by `python -m evals.regression --measure`. "
        "The check reruns seed 0, which repeats bit for bit on one machine; the seed-to-seed "
        "spread bounds what harmless numeric differences between machines can do to it."
    )
    stored = {"how": how, "per_seed": {str(s): r for s, r in runs.items()}, "spread": spread,
              "floor": FLOORS, "tolerance": tolerance}  # fmt: skip
    write_json_atomic(folder / "tolerances.json", stored, indent=1, sort_keys=True)
    return {"baseline": runs[0], "tolerance": tolerance}
