"""An evaluation report on disk and in W&B: strict JSON beside the other results, an eval run.

`write_report` writes ``evals/results/{run}_{split}.json`` (what RESULTS.md is generated from);
`log_to_wandb` logs an eval run grouped with its training run (online when logged in, else
offline), with a per-example table and audio of the first examples.
"""

from __future__ import annotations

import os
from pathlib import Path

from ddsp_repro.audio import write_json_atomic

__all__ = ["log_to_wandb", "write_report"]


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
    """The report as strict JSON (keys starting with ``_`` are not serialised), atomically."""
    public = {k: v for k, v in report.items() if not k.startswith("_")}
    return write_json_atomic(out, _jsonable(public), indent=1, allow_nan=False)


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
            wandb.Audio(target, sample_rate=report.get("sample_rate", 16000), caption="target"),
            wandb.Audio(audio, sample_rate=report.get("sample_rate", 16000), caption="resynthesis"),
        ]
        for i, (target, audio) in enumerate(report.get("_audio", []))
    }
    run.log({"per_example": table, **media})
    run.summary.update({f"eval/{k}": v for k, v in report["metrics"].items()})
    link = run.url if mode == "online" else run.dir
    run.finish()
    return link
