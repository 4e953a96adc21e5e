"""``ddsp-repro instrument DIR --out NAME``: a folder of recordings to a playable model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from tyro.conf import Positional


def instrument(
    folder: Positional[Path],
    out: Path,
    hours: float = 1.0,
    model: Literal["tiny", "full"] = "tiny",
    max_steps: int | None = None,
    force: bool = False,
    crepe_model: Literal["tiny", "full"] = "tiny",
    valid_fraction: float = 0.1,
    init_from: str | None = None,
    workers: int = 1,
    sample_rate: int = 16000,
) -> None:
    """Make an instrument from your recordings: check, prepare, train, keep what transfer needs.

    Every stage resumes when the same command is run again. The result is a folder that
    ``ddsp-repro transfer --instrument OUT --input voice.wav`` (and ``control``, ``extrapolate``,
    ``rooms``) accept. Progress, validation loss and time left are printed as it trains.

    Args:
        folder: the recordings (one monophonic instrument; any rate, mono or stereo).
        out: the instrument folder to write.
        hours: the training time budget.
        model: ``tiny`` (0.28M parameters, tiny_violin_cpu) or ``full`` (4.85M, solo_violin_cpu).
        max_steps: cap the steps (default: what the data supports, see `ddsp_repro.instrument`).
        force: train even when the check finds the recordings unfit.
        crepe_model: CREPE of the features and the check (full: the paper's, ~30x slower on CPU).
        valid_fraction: share held out for validation (whole files, or the tail of a single take).
        init_from: a checkpoint (or an instrument folder's model.ckpt, or pretrained:NAME) to fine-tune from.
        workers: processes preparing features.
        sample_rate: the rate the instrument trains at and renders (44100 or 48000 keep a
            recording's band above 8 kHz; any rate from `ddsp_repro.rates.SUPPORTED_RATES`).
    """
    from ddsp_repro.instrument import make_instrument

    summary = make_instrument(
        folder,
        out,
        hours=hours,
        model=model,
        max_steps=max_steps,
        force=force,
        crepe_model=crepe_model,
        valid_fraction=valid_fraction,
        init_from=init_from,
        workers=workers,
        sample_rate=sample_rate,
    )
    print(json.dumps(summary, indent=2))
    print(f"instrument: {out}  try: ddsp-repro transfer --instrument {out} --input VOICE.wav")


def compare_fine_tuning(
    folder: Positional[Path],
    out: Path,
    init_from: str = "pretrained:tiny_violin",
    steps: int = 300,
    crepe_model: Literal["tiny", "full"] = "tiny",
    eval_crepe_model: Literal["tiny", "full"] = "tiny",
    force: bool = False,
) -> None:
    """Is fine-tuning worth it here? Make the instrument from scratch and from a pretrained model
    for the same steps and compare validation loss and the paper's metrics.

    Args:
        folder: the recordings.
        out: the folder written (``scratch/``, ``fine-tuned/``, ``fine_tuning.json``, ``.png``).
        init_from: the model to fine-tune from (pretrained:NAME or a checkpoint).
        steps: training steps of each.
        crepe_model: CREPE of the features.
        eval_crepe_model: CREPE of the metrics (the paper's is full, ~30x slower on CPU; for
            comparing two runs on the same data tiny is enough).
        force: train even when the check finds the recordings unfit.
    """
    from ddsp_repro.instrument import compare_fine_tuning as compare

    result = compare(folder, out, init_from, steps, crepe_model, eval_crepe_model, force)
    print("| start | steps | best val loss | loudness L1 (dB) | F0 L1 | spectral distance |")
    print("|---|---|---|---|---|---|")
    for arm, r in result["arms"].items():
        m = r["metrics"]
        print(
            f"| {arm} ({r['init_from'] or 'random'}) | {r['steps']} | {r['best_val_loss']:.3f} | "
            f"{m['loudness_l1_db']:.3f} | {m['f0_l1']:.3f} | {m['spectral_distance']:.3f} |"
        )
    print(f"wrote {out / 'fine_tuning.json'} and {out / 'fine_tuning.png'}")
