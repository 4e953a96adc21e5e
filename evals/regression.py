"""CI guard on metrics: a small deterministic train-then-eval compared with committed values.

    python -m evals.regression --check      # CI: fail if any metric moved past its tolerance
    python -m evals.regression --measure    # rerun with several seeds and rewrite baseline + tolerances

The job builds six harmonic tones (half held out), prepares them with CREPE tiny, trains a shrunk
supervised DDSP autoencoder (the real synths, losses, training loop and checkpointing) for a few
dozen steps, and evaluates the best checkpoint with the real metrics. A broken synthesiser, loss,
feature or metric moves these numbers far past the tolerances, which come from the spread over
seeds measured by ``--measure`` (the check reruns seed 0; stored in
``evals/regression/tolerances.json`` with how they were measured).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent / "regression"
BASELINE, TOLERANCES = HERE / "baseline.json", HERE / "tolerances.json"
CHECKED = ("loudness_l1_db", "f0_l1", "f0_outlier_ratio_v006", "spectral_distance", "final_val_loss")
SEEDS = (0, 1, 2)


def build_tones(folder: Path) -> Path:
    """Prepared features of six 4.5 s harmonic tones (train/valid halves)."""
    import soundfile as sf

    from ddsp_repro.data.prepare import FeatureSettings, prepare

    src = folder / "src"
    src.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(4.5 * 16000)) / 16000
    for i, hz in enumerate((196.0, 247.0, 294.0, 330.0, 392.0, 440.0)):
        envelope = np.minimum(1.0, t / 0.05) * np.exp(-0.4 * t)
        tone = sum(0.3 / k * np.sin(2 * np.pi * k * hz * t) for k in (1, 2, 3))
        noise = 0.01 * np.random.default_rng(i).uniform(-1, 1, t.shape)
        sf.write(src / f"tone{i}.wav", (envelope * (tone + noise)).astype(np.float32), 16000)
    out = folder / "prepared"
    prepare(src, out, FeatureSettings(crepe_model="tiny", valid_fraction=0.5), progress=False)
    return out


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

    from ddsp_repro.training.train import run_dir_for, train
    from evals.evaluate import evaluate

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--measure", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data_dir = build_tones(workdir / "data")
        if args.check:
            values = run_once(workdir, data_dir, seed=0)
            failures = compare(
                values, json.loads(BASELINE.read_text()), json.loads(TOLERANCES.read_text())["tolerance"]
            )
            print(json.dumps(values, indent=2))
            if failures:
                print("metric regression:\n  " + "\n  ".join(failures), file=sys.stderr)
                sys.exit(1)
            print("metrics within tolerance of evals/regression/baseline.json")
            return
        runs = {seed: run_once(workdir / f"seed{seed}", data_dir, seed) for seed in SEEDS}
    spread = {k: float(np.ptp([r[k] for r in runs.values()])) for k in CHECKED}
    floors = {"loudness_l1_db": 0.25, "f0_l1": 0.1, "f0_outlier_ratio_v006": 0.0, "spectral_distance": 0.1,
              "final_val_loss": 0.1}  # fmt: skip
    tolerance = {k: max(spread[k], floors[k]) for k in CHECKED}
    HERE.mkdir(exist_ok=True)
    BASELINE.write_text(json.dumps(runs[0], indent=1, sort_keys=True) + "\n")
    TOLERANCES.write_text(
        json.dumps(
            {
                "how": "tolerance = max(spread over seeds, floor); spread = max - min of each metric over "
                f"seeds {list(SEEDS)} of the same job, measured by `python -m evals.regression --measure`. "
                "The check reruns seed 0, which repeats bit for bit on one machine; the seed-to-seed "
                "spread bounds what harmless numeric differences between machines can do to it.",
                "per_seed": {str(s): r for s, r in runs.items()},
                "spread": spread,
                "floor": floors,
                "tolerance": tolerance,
            },
            indent=1,
            sort_keys=True,
        )
        + "\n"
    )
    print(json.dumps({"baseline": runs[0], "tolerance": tolerance}, indent=2))


if __name__ == "__main__":
    main()
