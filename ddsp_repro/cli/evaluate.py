"""``ddsp-repro eval`` (score a checkpoint) and ``ddsp-repro results`` (regenerate RESULTS.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

from tyro.conf import Positional


def evaluate(
    checkpoint: Path,
    split: Literal["train", "valid", "test"] = "valid",
    limit: int | None = None,
    crepe_model: Literal["full", "tiny"] = "full",
    batch_size: int = 8,
    data_dir: Path | None = None,
    out: Path | None = None,
    wandb: Literal["auto", "online", "offline", "disabled"] = "auto",
) -> None:
    """Score a checkpoint with the paper's metrics (Table 1) on the whole examples of a split.

    Writes ``evals/results/{run}_{split}.json`` (metrics, per-example values, provenance) and logs
    an eval run to W&B with a per-example table and audio of the first examples.

    Args:
        checkpoint: a ``.ckpt`` written by ``ddsp-repro train`` (``runs/RUN/checkpoints/last.ckpt``).
        split: the split scored.
        limit: score the first N examples only.
        crepe_model: CREPE that measures the resynthesis' f0 (the paper: full).
        batch_size: examples resynthesised at once.
        data_dir: a prepared folder instead of the run's own data.
        out: the JSON path (default ``evals/results/{run}_{split}.json``).
        wandb: W&B mode (auto: online when logged in, else offline).
    """
    from ddsp_repro.evaluation.evaluate import evaluate as evaluate_checkpoint
    from ddsp_repro.evaluation.report import log_to_wandb, write_report
    from ddsp_repro.evaluation.results import results_dir

    report = evaluate_checkpoint(checkpoint, split, limit, crepe_model, batch_size, data_dir, keep_audio=4)
    report["eval_wandb"] = log_to_wandb(report, wandb)
    path = write_report(report, out or results_dir() / f"{report['run']}_{split}.json")
    print(json.dumps(report["metrics"], indent=2))
    print(f"wrote {path}")


def results(check: bool = False) -> None:
    """Regenerate the tables of RESULTS.md from the committed eval reports in ``evals/results/``.

    Args:
        check: write nothing; exit 1 if RESULTS.md differs from what the reports give.
    """
    from ddsp_repro.evaluation.results import results_markdown, update_results

    path = results_markdown()
    changed = update_results(path, write=not check)
    if check:
        if changed:
            print(f"{path} is stale: run `ddsp-repro results`", file=sys.stderr)
            sys.exit(1)
        print(f"{path} is up to date")
    else:
        print(f"wrote {path}")


def regression(mode: Positional[Literal["check", "measure"]], folder: Path | None = None) -> None:
    """The metric regression job: a small deterministic train-then-eval against committed values.

    ``check`` (CI) reruns seed 0 and exits 1 when a metric moved past its tolerance; ``measure``
    reruns every seed and rewrites the baseline and the tolerances from their spread.

    Args:
        mode: ``check`` or ``measure``.
        folder: where baseline.json and tolerances.json live (default ``evals/regression``).
    """
    from ddsp_repro.evaluation import regression as job
    from ddsp_repro.evaluation.results import project_root

    folder = folder or project_root() / "evals" / "regression"
    if mode == "measure":
        print(json.dumps(job.measure(folder), indent=2))
        return
    baseline = json.loads((folder / "baseline.json").read_text())
    tolerances = json.loads((folder / "tolerances.json").read_text())["tolerance"]
    values, failures = job.check(baseline, tolerances)
    print(json.dumps(values, indent=2))
    if failures:
        print("metric regression:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)
    print(f"metrics within tolerance of {folder / 'baseline.json'}")


def alignment(crepe_model: Literal["full", "tiny"] = "full", rates: tuple[int, ...] = ()) -> None:
    """Print where f0, loudness and rendered audio place known events, in ms, at every sample rate.

    A synthetic phrase (a note's start and stop, a 20 dB level dip, a whole-tone pitch step up and
    back, at known times off the frame grid) is analysed on each rate's frame grid
    (`ddsp_repro.evaluation.alignment`). Per mirrored pair of events: the **lag** (the mean of the
    two offsets, measured minus true: where the feature puts the moment) and the **spread** (how
    far its window smears a step). 16 kHz is shown with the paper's convention and the centred one.

    Args:
        crepe_model: CREPE that tracks f0 (full is what `prepare` uses; tiny is quicker and reads
            pitch changes about 4.5 ms early).
        rates: sample rates to measure (default: every supported rate).
    """
    from ddsp_repro.evaluation.alignment import alignment_table
    from ddsp_repro.rates import SUPPORTED_RATES

    rows = alignment_table(tuple(rates) or SUPPORTED_RATES, crepe_model=crepe_model)
    labels = {"f0": "f0", "loudness": "loudness", "rendered": "render"}
    columns = [("f0", "pitch"), ("loudness", "note"), ("loudness", "level")]
    columns += [("rendered", "note"), ("rendered", "level"), ("rendered", "pitch")]
    print(f"lag (spread) in ms per feature and event pair; CREPE {crepe_model}")
    print(
        f"{'rate':<7} {'alignment':<9} {'hop ms':>6} | "
        + " | ".join(f"{labels[f]} {p}".ljust(14) for f, p in columns)
    )
    for r in rows:
        cells = []
        for feature, pair in columns:
            v = r["pairs_ms"][feature][pair]
            cells.append(f"{v['lag']:6.2f} ({v['spread']:4.1f})".ljust(14))
        print(f"{r['sample_rate']:<7} {r['alignment']:<9} {r['hop_ms']:6.2f} | " + " | ".join(cells))
