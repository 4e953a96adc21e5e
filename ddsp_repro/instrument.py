"""From a folder of recordings to a playable instrument: `ddsp-repro instrument DIR --out NAME`.

`make_instrument` runs the whole path, each stage resumable, into one folder:

    NAME/check.json, check.png   the dataset check (`data.check`); an unfit folder stops here
    NAME/features/               prepared features (`data.prepare`; a rerun resumes)
    NAME/runs/                   the training run (a rerun resumes from its last checkpoint)
    NAME/model.ckpt              the best checkpoint (lowest validation loss)
    NAME/data_stats.json         the training data's pitch and loudness (timbre transfer needs them)
    NAME/instrument.json         what was made: source, preset, steps, losses, wall time, verdict

The model is a solo-instrument preset (``tiny``: `tiny_violin_cpu`, 0.28M parameters; ``full``:
`solo_violin_cpu`, 4.85M) trained on the recordings. The step budget is the smaller of what the
data supports and what the time allows: at most `EPOCHS` passes over the training windows (a
heuristic against overfitting a small set, at least `MIN_STEPS`), stopped when `hours` run out.
The folder is what the demonstrations take: ``ddsp-repro transfer --instrument NAME --input x.wav``.
`compare_fine_tuning` makes one twice, from scratch and from a pretrained model, and compares them.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Literal

from ddsp_repro.audio import atomic_path, write_json_atomic
from ddsp_repro.logs import get_logger

__all__ = ["EPOCHS", "MIN_STEPS", "compare_fine_tuning", "make_instrument", "read_instrument", "step_budget"]

log = get_logger(__name__)

EPOCHS = 100
MIN_STEPS = 300
PRESETS = {"tiny": "tiny_violin_cpu", "full": "solo_violin_cpu"}


def step_budget(n_windows: int, batch_size: int) -> int:
    """At most `EPOCHS` passes over `n_windows` training windows, at least `MIN_STEPS`."""
    return max(MIN_STEPS, EPOCHS * -(-n_windows // batch_size))


def make_instrument(
    folder: str | Path,
    out: str | Path,
    hours: float = 1.0,
    model: Literal["tiny", "full"] = "tiny",
    max_steps: int | None = None,
    force: bool = False,
    crepe_model: Literal["tiny", "full"] = "tiny",
    valid_fraction: float = 0.1,
    init_from: str | None = None,
    workers: int = 1,
    progress: bool = True,
    sample_rate: int = 16000,
) -> dict:
    """Check, prepare and train; returns (and writes) ``instrument.json``. See the module doc.

    `sample_rate`: the rate the instrument is trained at and renders (44100 or 48000 to keep a
    recording's full band); the preset is taken to that rate by `training.presets.at_rate`.

    Raises:
        ValueError: the check finds the recordings unfit (unless `force`), or nothing to train on.
    """
    from ddsp_repro.data.check import cache_check, check_recordings, plot_check
    from ddsp_repro.data.datamodule import PreparedDataset
    from ddsp_repro.data.prepare import FeatureSettings, prepare
    from ddsp_repro.demos.features import dataset_stats
    from ddsp_repro.training.presets import at_rate, get_preset
    from ddsp_repro.training.train import run_dir_for, train, with_overrides

    start = time.time()
    folder, out = Path(folder), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = at_rate(get_preset(PRESETS[model]), sample_rate)
    report = check_recordings(folder, crepe_model=crepe_model, progress=progress, sample_rate=sample_rate)
    report.save(out / "check.json")
    plot_check(report, out / "check.png")
    for line in report.lines():
        log.info("%s", line)
    if report.verdict == "unfit" and not force:
        problems = "; ".join(f"{f.message} ({f.advice})" for f in report.problems)
        raise ValueError(
            f"{folder} is unfit for a solo-instrument model: {problems}. "
            f"See {out / 'check.png'}; --force trains anyway"
        )

    features = out / "features"
    prepare(
        folder,
        features,
        FeatureSettings.at_rate(
            sample_rate, base.model.alignment, crepe_model=crepe_model, valid_fraction=valid_fraction
        ),
        workers=workers,
        progress=progress,
    )
    cache_check(features, report)  # training reads it there instead of checking again
    train_set = PreparedDataset(features, split="train")
    steps = step_budget(len(train_set), base.data.batch_size)
    if max_steps is not None:
        steps = min(steps, max_steps)
    config = replace(
        base,
        name=f"instrument_{model}",
        paper_row=f"your own instrument: {base.name} on {folder.name}",
        data=replace(
            base.data, source="prepared", train_dir=str(features.resolve()), crepe_model=crepe_model
        ),
        logging=replace(base.logging, runs_dir=str(out / "runs"), wandb="disabled"),
    )
    config = with_overrides(
        config,
        trainer={
            "max_steps": steps,
            "val_every_steps": max(1, min(100, steps // 10)),
            "max_hours": hours,
            "init_from": init_from,
            "progress_bar": progress,
        },
    )
    log.info(
        "training %s for up to %d steps (%d training windows; at most %g h)", config.name, steps,
        len(train_set), hours,
    )  # fmt: skip
    run_dir = run_dir_for(config)
    metrics = train(config, resume=True)
    best = run_dir / "checkpoints" / "best.ckpt"
    if not best.is_file():
        raise RuntimeError(f"training wrote no checkpoint in {run_dir} (too little time for one validation?)")
    with atomic_path(out / "model.ckpt") as partial:
        shutil.copyfile(best, partial)
    stats = dataset_stats(train_set, source=str(folder))
    stats.save(out / "data_stats.json")
    summary = {
        "name": out.name,
        "source": str(folder.resolve()),
        "preset": base.name,
        "sample_rate": sample_rate,
        "model": model,
        "init_from": init_from,
        "steps": metrics["step"],
        "step_budget": steps,
        "best_val_loss": metrics.get("best_val_loss"),
        "first_train_loss": metrics.get("first_train_loss"),
        "check_verdict": report.verdict,
        "training_windows": len(train_set),
        "wall_seconds": round(time.time() - start, 1),
        "run_dir": str(run_dir),
        "checkpoint": "model.ckpt",
        "data_stats": "data_stats.json",
    }
    write_json_atomic(out / "instrument.json", summary, indent=2)
    return summary


def read_instrument(folder: str | Path) -> dict:
    """``instrument.json`` of a folder written by `make_instrument` (a clear error otherwise)."""
    path = Path(folder) / "instrument.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{folder} is not an instrument folder (no instrument.json): make one with "
            "`ddsp-repro instrument RECORDINGS --out NAME`"
        )
    return json.loads(path.read_text())


def compare_fine_tuning(
    folder: str | Path,
    out: str | Path,
    init_from: str = "pretrained:tiny_violin",
    steps: int = 300,
    crepe_model: Literal["tiny", "full"] = "tiny",
    eval_crepe_model: Literal["tiny", "full"] = "tiny",
    force: bool = False,
    progress: bool = True,
) -> dict:
    """Make the instrument of `folder` twice for the same `steps`, from scratch and from
    `init_from`, and compare their validation loss per validation and the paper's metrics of each
    best checkpoint (on the validation split that chose it, so both are equally optimistic).

    Writes ``OUT/scratch/``, ``OUT/fine-tuned/`` (instrument folders), ``OUT/fine_tuning.json``
    and ``OUT/fine_tuning.png``; returns the JSON's content.
    """
    import matplotlib.pyplot as plt

    from ddsp_repro.evaluation.evaluate import evaluate
    from ddsp_repro.plots import save_figure
    from ddsp_repro.training.tracking import read_metrics

    out = Path(out)
    arms: dict[str, dict] = {}
    for arm, start in (("scratch", None), ("fine-tuned", init_from)):
        summary = make_instrument(
            folder, out / arm, hours=24.0, max_steps=steps, init_from=start, crepe_model=crepe_model,
            force=force, progress=progress,
        )  # fmt: skip
        report = evaluate(out / arm / "model.ckpt", "valid", crepe_model=eval_crepe_model, progress=progress)
        metrics = report["metrics"]
        arms[arm] = {
            "init_from": start,
            "steps": summary["steps"],
            "wall_seconds": summary["wall_seconds"],  # of this call (a rerun resumes: less)
            "val_loss": read_metrics(summary["run_dir"]).get("val/loss", []),
            "best_val_loss": summary["best_val_loss"],
            "metrics": {
                k: metrics[k]
                for k in ("loudness_l1_db", "f0_l1", "f0_outlier_ratio_v006", "spectral_distance")
            },
            "n_valid_examples": report["n_examples"],
        }
    result = {
        "recordings": str(Path(folder).resolve()),
        "init_from": init_from,
        "steps": steps,
        "crepe_model": crepe_model,
        "eval_crepe_model": eval_crepe_model,
        "arms": arms,
    }
    write_json_atomic(out / "fine_tuning.json", result, indent=2)
    fig, ax = plt.subplots(figsize=(7, 4))
    for arm, values in arms.items():
        if values["val_loss"]:
            ax.plot(
                *zip(*values["val_loss"], strict=True),
                marker="o",
                label=f"{arm} ({values['init_from'] or 'random'})",
            )
    ax.set_xlabel("step")
    ax.set_ylabel("validation loss")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(f"fine-tuning vs scratch on {Path(folder).name}, {steps} steps")
    save_figure(fig, out / "fine_tuning.png")
    return result
