"""Package a trained run as a shipped model: ``ddsp-repro pretrained package CKPT --name NAME``.

`package` writes ``models/NAME/`` (or `root`/NAME):

    model.ckpt        the model weights and run config only (float16 with `half`, after checking
                      that the rendered audio moves by at most `HALF_TOLERANCE`)
    data_stats.json   the training data's pitch and loudness (timbre transfer needs them)
    eval_SPLIT.json   the paper's metrics of the shipped weights (CREPE full by default)
    loss.png          the run's training and validation loss
    card.json/.md     the model card: data and its licence, preset, steps, wall time, metrics,
                      the half-precision check and the checkpoint's SHA-256 (checked at load)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import torch

from ddsp_repro.audio import atomic_path, file_sha256, write_json_atomic
from ddsp_repro.logs import get_logger
from ddsp_repro.training.packaged import CARD, CHECKPOINT, ROOT

__all__ = ["DATA_LICENCES", "HALF_TOLERANCE", "package"]

log = get_logger(__name__)

HALF_TOLERANCE = 1e-3  # largest change of any rendered sample that float16 weights may cause
DATA_LICENCES = {
    "violin": (
        "the violin stand-in (`ddsp-repro build-data violin`): public-domain fiddle tunes from James "
        "Aird's Selection of Scotch, English, Irish and Foreign Airs (1782-1803, from the music21 "
        "corpus) rendered with the FluidR3 GM sampled violin (fluid-soundfont-gm, MIT licence)"
    ),
    "builtin": (
        "the built-in NSynth-format notes (`ddsp-repro build-data builtin`): rendered from the FluidR3 "
        "GM soundfont (fluid-soundfont-gm, MIT licence)"
    ),
}


def _slim(checkpoint: dict, half: bool, origin: dict) -> dict:
    """What loading needs: the weights (model weights cast to float16 with `half`) and the config."""
    state = {
        k: v.half() if half and k.startswith("model.") and v.is_floating_point() else v
        for k, v in checkpoint["state_dict"].items()
    }
    return {
        "state_dict": state,
        "hyper_parameters": checkpoint["hyper_parameters"],
        "global_step": checkpoint.get("global_step"),
        "epoch": checkpoint.get("epoch"),
        "pretrained": origin,
    }


def half_precision_change(original: Path, packaged: Path, n_examples: int = 4) -> float:
    """The largest absolute difference between the audio the two checkpoints render (same seed)
    from `n_examples` validation examples of the run's data."""
    from ddsp_repro.demos.common import encode, examples, load_model, render

    a, b = load_model(original), load_model(packaged)
    worst = 0.0
    for example in examples(a, "valid", n_examples):
        audio = np.asarray(example["audio"], dtype=np.float32)
        outs = [
            render(m.model, torch.as_tensor(example["f0_hz"]), torch.as_tensor(example["loudness_db"]),
                   encode(m.model, audio))["audio"]
            for m in (a, b)
        ]  # fmt: skip
        worst = max(worst, float(np.max(np.abs(outs[0] - outs[1]))))
    return worst


def package(
    checkpoint: str | Path,
    name: str,
    half: bool = False,
    crepe_model: str = "full",
    split: str = "valid",
    root: str | Path = ROOT,
    progress: bool = True,
) -> dict:
    """Write the shipped model `name` from a training checkpoint; returns its card.

    Raises:
        ValueError: float16 weights would change the audio by more than `HALF_TOLERANCE`.
    """
    from ddsp_repro.demos.common import load_model, stats_for
    from ddsp_repro.evaluation.evaluate import evaluate
    from ddsp_repro.evaluation.report import write_report
    from ddsp_repro.plots import plot_losses
    from ddsp_repro.training.tracking import read_metrics

    checkpoint = Path(checkpoint)
    run_dir = checkpoint.resolve().parent.parent
    raw = torch.load(checkpoint, map_location="cpu", weights_only=False)
    run_metrics = (
        json.loads((run_dir / "metrics.json").read_text()) if (run_dir / "metrics.json").is_file() else {}
    )
    origin = {
        "name": name,
        "run": run_dir.name,
        "source": checkpoint.name,
        "run_steps": run_metrics.get("step"),
    }
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / CHECKPOINT) as partial:
        torch.save(_slim(raw, half, {**origin, "dtype": "float16" if half else "float32"}), partial)
    change = half_precision_change(checkpoint, folder / CHECKPOINT) if half else 0.0
    if change > HALF_TOLERANCE:
        (folder / CHECKPOINT).unlink()
        raise ValueError(
            f"float16 weights change the audio by up to {change:.2e} (> {HALF_TOLERANCE:g}): "
            "package without --half"
        )
    loaded = load_model(checkpoint)
    stats_for(loaded).save(folder / "data_stats.json")
    report = evaluate(folder / CHECKPOINT, split, crepe_model=crepe_model, progress=progress)
    write_report(report, folder / f"eval_{split}.json")
    history = read_metrics(run_dir)
    plot_losses(folder / "loss.png", history, f"{name} ({run_dir.name})")
    val = history.get("val/loss", [])
    config = loaded.config
    card = {
        "name": name,
        "preset": config.name,
        "paper_row": config.paper_row,
        "command": train_command(config),
        "run": run_dir.name,
        "config_hash": report["config_hash"],
        "checkpoint": f"{checkpoint.name} of the run, step {raw.get('global_step')}",
        "steps": raw.get("global_step"),
        "batch_size": config.data.batch_size,
        "window_seconds": config.model.n_samples / config.model.sample_rate,
        "sample_rate": config.model.sample_rate,
        "wall_seconds": run_metrics.get("wall_seconds"),
        "trained_on": report["hardware"],
        "n_parameters": report["metrics"]["n_parameters"],
        "dtype": "float16" if half else "float32",
        "half_precision_max_audio_change": change if half else None,
        "val_loss": {"last": val[-1][1] if val else None, "best": min(v for _, v in val) if val else None},
        "data": report["data"],
        "data_licence": DATA_LICENCES.get(config.data.source, "see the data's own licence"),
        "weights_licence": "Apache-2.0 (as ddsp-repro)",
        "evaluation": {
            "split": split,
            "n_examples": report["n_examples"],
            "crepe_model": crepe_model,
            "metrics": report["metrics"],
            "report": f"eval_{split}.json",
        },
        "git_commit": report["git_commit"],
        "date": report["date"],
        "sha256": file_sha256(folder / CHECKPOINT),
        "size_bytes": (folder / CHECKPOINT).stat().st_size,
    }
    write_json_atomic(folder / CARD, card, indent=2)
    with atomic_path(folder / "card.md") as partial:
        partial.write_text(card_markdown(card))
    if (run_dir / "config.json").is_file():
        shutil.copyfile(run_dir / "config.json", folder / "config.json")
    log.info("packaged %s in %s (%.1f MB)", name, folder, card["size_bytes"] / 1e6)
    return card


def train_command(config) -> str:
    """The ``ddsp-repro train`` command of a run whose config differs from its preset at most in steps."""
    from ddsp_repro.training.presets import PRESETS

    preset = PRESETS.get(config.name)
    command = f"ddsp-repro train {config.name}"
    if preset is not None and preset.trainer.max_steps != config.trainer.max_steps:
        command += f" --trainer.max-steps {config.trainer.max_steps}"
    return command


def card_markdown(card: dict) -> str:
    """The model card for people, from the card's data."""
    m = card["evaluation"]["metrics"]
    ev = card["evaluation"]
    hours = f"{card['wall_seconds'] / 3600:.2f} h" if card.get("wall_seconds") else "not recorded"
    half = (
        f"float16 weights; the largest change they make to any rendered sample is "
        f"{card['half_precision_max_audio_change']:.1e} (limit {HALF_TOLERANCE:g})"
        if card["dtype"] == "float16"
        else "float32 weights"
    )
    f0 = "–" if m.get("f0_l1") is None else f"{m['f0_l1']:.3f}"
    lines = [
        f"# `pretrained:{card['name']}`",
        "",
        f"**Preset** `{card['preset']}` ({card['paper_row']}). "
        f"{card['n_parameters']:,} trainable parameters, "
        f"{half}, {card['size_bytes'] / 1e6:.1f} MB.",
        "",
        f"**Training**: `{card['command']}` (every field in `config.json`): "
        f"{card['steps']} steps ({card['checkpoint']}), "
        f"batch {card['batch_size']}, "
        f"{card['window_seconds']:g} s windows at {card['sample_rate']} Hz; {hours} of `ddsp-repro train` "
        f"(building and preparing the data included) on {card['trained_on']}; run `{card['run']}`. "
        f"Validation loss: last {card['val_loss']['last']:.3f}, best "
        f"{card['val_loss']['best']:.3f} (`loss.png`). This is CPU scale: far fewer steps and far less data "
        "than the paper's runs.",
        "",
        f"**Data**: {card['data_licence']}. Details: `{json.dumps(card['data'])}`.",
        "",
        f"**Metrics** (the paper's Table 1 measures, on the {ev['n_examples']} examples of the "
        f"{ev['split']} split, CREPE {ev['crepe_model']}; `{ev['report']}`):",
        "",
        "| loudness L1 (dB) | F0 L1 (MIDI) | F0 outliers | spectral distance |",
        "|---|---|---|---|",
        f"| {m['loudness_l1_db']:.3f} | {f0} | {m['f0_outlier_ratio_v006']:.3f} | "
        f"{m['spectral_distance']:.3f} |",
        "",
        f"**Licence**: weights {card['weights_licence']}; data as above.",
        "",
        f"**Checksum**: SHA-256 of `model.ckpt` {card['sha256']} (checked when loaded).",
        "",
        "**Use**: `ddsp-repro transfer --instrument pretrained:" + card["name"] + " --input voice.wav`, "
        '`ddsp_repro.pretrained.load("' + card["name"] + '")`, or fine-tune with '
        "`--trainer.init-from pretrained:" + card["name"] + "`.",
        "",
    ]
    return "\n".join(lines)
