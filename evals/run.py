"""Evaluate a checkpoint: `python -m evals.run --checkpoint runs/RUN/checkpoints/last.ckpt [--split valid]`.

Writes ``evals/results/{run}_{split}.json`` (metrics, per-example values, provenance; see
`evals.evaluate`) and logs an eval run to W&B (online when logged in, else offline) with a
per-example table and audio of the first examples.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from ddsp_repro._cli import run_cli

RESULTS_DIR = Path(__file__).parent / "results"


def _jsonable(value):
    """NaN (an undefined mean, e.g. F0 L1 with no trackable example) becomes null: strict JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def write_report(report: dict, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    public = {k: v for k, v in report.items() if not k.startswith("_")}
    partial.write_text(json.dumps(_jsonable(public), indent=1, allow_nan=False) + "\n")
    os.replace(partial, out)
    return out


def log_to_wandb(report: dict, mode: str, project: str = "ddsp-repro") -> str | None:
    """An eval run grouped with its training run: summary metrics, per-example table, audio."""
    from ddsp_repro.training.tracking import resolve_wandb_mode

    mode = resolve_wandb_mode(mode)
    if mode == "disabled":
        return None
    import wandb

    run = wandb.init(
        project=project,
        job_type="eval",
        group=report["run"],
        name=f"eval-{report['run']}-{report['split']}",
        mode=mode,
        dir=os.environ.get("WANDB_DIR", "."),
        config={
            k: report[k]
            for k in ("preset", "config_hash", "split", "crepe_model", "n_examples", "checkpoint")
        },
    )
    rows = report["per_example"]
    columns = sorted({key for row in rows for key in row})
    table = wandb.Table(columns=columns, data=[[row.get(c) for c in columns] for row in rows])
    media = {
        f"audio/example{i}": [
            wandb.Audio(target, sample_rate=16000, caption="target"),
            wandb.Audio(audio, sample_rate=16000, caption="resynthesis"),
        ]
        for i, (target, audio) in enumerate(report.get("_audio", []))
    }
    run.log({"per_example": table, **media})
    run.summary.update({f"eval/{k}": v for k, v in report["metrics"].items()})
    link = run.url if mode == "online" else run.dir
    run.finish()
    return link


def main() -> None:
    from evals.evaluate import evaluate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, required=True, help="a .ckpt written by experiments.run")
    parser.add_argument("--split", default="valid", choices=["train", "valid", "test"])
    parser.add_argument("--limit", type=int, help="evaluate the first N examples only")
    parser.add_argument(
        "--crepe-model", default="full", choices=["full", "tiny"], help="f0 of the resynthesis (paper: full)"
    )
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--data-dir", type=Path, help="a prepared folder instead of the run's own data")
    parser.add_argument("--out", type=Path, help="JSON path (default evals/results/{run}_{split}.json)")
    parser.add_argument("--wandb", default="auto", choices=["auto", "online", "offline", "disabled"])
    args = parser.parse_args()
    report = evaluate(
        args.checkpoint,
        args.split,
        args.limit,
        args.crepe_model,
        args.batch_size,
        args.data_dir,
        keep_audio=4,
    )
    report["eval_wandb"] = log_to_wandb(report, args.wandb)
    out = write_report(report, args.out or RESULTS_DIR / f"{report['run']}_{args.split}.json")
    print(json.dumps(report["metrics"], indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    run_cli(main)
