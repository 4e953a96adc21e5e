"""Evaluate a trained checkpoint as the paper's Table 1 does: `evaluate(checkpoint, ...) -> report`.

For each example of a split the model resynthesises the whole example (4 s for NSynth) from its
own conditioning, whatever window it trained on (DDSP models render it with the same weights,
WaveRNN samples all of it), CREPE measures f0 of the resynthesis, and the paper-era loudness is
computed; both are compared with the data set's stored features (`ddsp_repro.evaluation.metrics`),
as the official evaluation does. A model that learns f0 (the unsupervised one) also gets
``learned_f0_l1``: the F0 L1 (semitones, ground-truth-confident frames) of the f0 its synthesiser
played, which tells whether that f0 follows the notes even when CREPE cannot track the audio.
The report says how the checkpoint was chosen: ``last.ckpt`` is what the official code
evaluates; ``best.ckpt`` was picked on the validation loss of the first validation batches, so
scoring it on ``valid`` is optimistic.

The report holds the metrics, per-example values and the provenance a reader needs to trust a
number (preset, config hash, checkpoint step, git commit, data set and version, split, count,
CREPE model, package versions, date, hardware, W&B link).
"""

from __future__ import annotations

import datetime
import itertools
import json
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ddsp_repro.crepe import compute_features
from ddsp_repro.data.datamodule import collate
from ddsp_repro.data.sources import split_dataset
from ddsp_repro.evaluation.metrics import (
    F0Accuracy,
    LoudnessL1,
    MeanPerExample,
    f0_l1_per_example,
    loudness_l1_per_example,
)
from ddsp_repro.losses import MultiScaleSpectralLoss
from ddsp_repro.provenance import git_commit, hardware, package_versions
from ddsp_repro.rates import spectral_fft_sizes
from ddsp_repro.training.config import RunConfig, semantic_hash
from ddsp_repro.training.module import load_checkpoint
from ddsp_repro.training.packaged import resolve

__all__ = ["evaluate", "load_checkpoint"]


class _First(torch.utils.data.IterableDataset):
    """The first `n` examples of an iterable data set (TFDS)."""

    def __init__(self, dataset, n: int) -> None:
        self.dataset, self.n = dataset, n

    def __iter__(self):
        return itertools.islice(iter(self.dataset), self.n)


def _loader(dataset, batch_size: int, limit: int | None) -> torch.utils.data.DataLoader:
    """Batches of the split in order (the first `limit` examples when given)."""
    if limit is not None:
        if isinstance(dataset, torch.utils.data.IterableDataset) or not hasattr(dataset, "__len__"):
            dataset = _First(dataset, limit)
        else:
            dataset = torch.utils.data.Subset(dataset, range(min(limit, len(dataset))))
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate)


@torch.no_grad()
def evaluate(
    checkpoint: str | Path,
    split: str = "valid",
    limit: int | None = None,
    crepe_model: str = "full",
    batch_size: int = 8,
    data_dir: str | Path | None = None,
    progress: bool = True,
    keep_audio: int = 0,
) -> dict:
    """Metrics, per-example values and provenance of one checkpoint on one split.

    `keep_audio` keeps that many (target, resynthesis) pairs in ``report["_audio"]`` (not
    serialised) for logging.
    """
    checkpoint = resolve(checkpoint)
    module, ckpt = load_checkpoint(checkpoint)
    origin = ckpt.get("pretrained", {})  # a shipped model names the run it came from
    config = module.config
    dataset, data_info = split_dataset(config.data, split, data_dir, grid=config.model)
    sample_rate = config.model.sample_rate
    loudness_l1, f0_accuracy = LoudnessL1(), F0Accuracy()
    spectral = MeanPerExample()
    # A model that learns f0 (the unsupervised one): does the f0 it plays follow the notes?
    learns_f0 = bool(getattr(config.model, "f0_encoder", False))
    learned_f0 = MeanPerExample()
    spectral_loss = MultiScaleSpectralLoss(spectral_fft_sizes(sample_rate))
    per_example: list[dict] = []
    audio_kept: list[tuple[np.ndarray, np.ndarray]] = []
    synth_seconds, audio_seconds = 0.0, 0.0
    ground_truth = "stored features"
    total = limit if limit is not None else (len(dataset) if hasattr(dataset, "__len__") else None)
    bar = tqdm(total=total, desc=f"evaluating {split}", unit="example", disable=not progress)
    whole = None
    for batch in _loader(dataset, batch_size, limit):
        # Every model is scored on the whole example (4 s for NSynth), as the official evaluation.
        if whole is None:
            whole = module.for_whole_examples(batch["audio"].shape[1])
        start = time.perf_counter()
        parts = whole.render(batch)
        synth_seconds += time.perf_counter() - start
        audio, target = parts["resynthesis"].float(), batch["audio"].float()
        audio_seconds += audio.numel() / sample_rate
        n = audio.shape[-1]
        frames = n * batch["f0_hz"].shape[1] // batch["audio"].shape[1]
        target = target[:, :n]
        f0_hz, confidence, loudness = _features(audio, config.model, crepe_model)
        if n == batch["audio"].shape[1] and batch["f0_hz"].shape[1] == frames:
            target_f0, target_conf, target_ld = batch["f0_hz"], batch["f0_confidence"], batch["loudness_db"]
        else:
            ground_truth = f"recomputed on the {n / sample_rate:g} s window with CREPE {crepe_model}"
            target_f0, target_conf, target_ld = _features(target, config.model, crepe_model)
        loudness_l1.update(loudness, target_ld)
        f0_accuracy.update(f0_hz, confidence, target_f0, target_conf)
        distances = torch.stack([spectral_loss(a[None], t[None]) for a, t in zip(audio, target, strict=True)])
        spectral.update(distances)
        categories = F0Accuracy.classify(f0_hz, confidence, target_f0, target_conf)
        ld_each = loudness_l1_per_example(loudness, target_ld)
        if learns_f0:
            played = f0_l1_per_example(parts["f0_hz"][:, :frames].float(), target_f0, target_conf)
            learned_f0.update(played[~torch.isnan(played)])
        for i in range(audio.shape[0]):
            row = {
                "loudness_l1_db": round(float(ld_each[i]), 4),
                "f0_l1": None
                if torch.isnan(categories["f0_l1"][i])
                else round(float(categories["f0_l1"][i]), 4),
                "spectral_distance": round(float(distances[i]), 4),
                **{k: bool(v[i]) for k, v in categories.items() if k != "f0_l1"},
            }
            if learns_f0:
                row["learned_f0_l1"] = None if torch.isnan(played[i]) else round(float(played[i]), 4)
            for key in ("instrument", "pitch", "velocity"):
                if key in batch:
                    value = batch[key][i]
                    row[key] = value.item() if isinstance(value, torch.Tensor) else value
            per_example.append(row)
            if len(audio_kept) < keep_audio:
                audio_kept.append((target[i].numpy(), audio[i].numpy()))
        bar.update(audio.shape[0])
    bar.close()
    if not per_example:
        raise ValueError(f"no examples in the {split} split")
    f0 = {k: float(v) for k, v in f0_accuracy.compute().items()}
    metrics = {
        "loudness_l1_db": float(loudness_l1.compute()),
        "loudness_l1_scaled": float(loudness_l1.compute_scaled()),
        **f0,
        "spectral_distance": float(spectral.compute()),
        **({"learned_f0_l1": float(learned_f0.compute())} if learns_f0 else {}),
        "real_time_factor": synth_seconds / audio_seconds,
        "n_parameters": module.n_trainable_parameters(),
    }
    run_dir = checkpoint.resolve().parent.parent
    run_metrics = run_dir / "metrics.json"
    run_steps = json.loads(run_metrics.read_text()).get("step") if run_metrics.is_file() else None
    report = {
        "preset": config.name,
        "paper_row": config.paper_row,
        "config_hash": semantic_hash(config),
        "run": origin.get("run", run_dir.name),
        "checkpoint": {
            "file": checkpoint.name,
            "global_step": ckpt.get("global_step"),
            "selection": _selection(origin.get("source", checkpoint.name), config, split),
            **({"pretrained": origin["name"], "dtype": origin.get("dtype")} if origin else {}),
        },
        "metrics": metrics,
        "model_size_note": "trainable parameters of the model; frozen feature extractors (CREPE) excluded",
        "sample_rate": sample_rate,
        "frame_grid": {
            "hop": config.model.hop,
            "frame_rate": config.model.frame_rate,
            "alignment": config.model.alignment,
        },
        "scale": {
            "steps": ckpt.get("global_step"),
            "run_steps": origin.get("run_steps", run_steps),
            "batch_size": config.data.batch_size,
            "window_seconds": config.model.n_samples / sample_rate,
            "evaluated_seconds": n / sample_rate,
            "data": data_info.get("source"),
        },
        "data": data_info,
        "split": split,
        "n_examples": len(per_example),
        "ground_truth": ground_truth,
        "crepe_model": crepe_model,
        "git_commit": git_commit(),
        "versions": package_versions(),
        "hardware": hardware(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "wandb": _wandb_link(run_dir),
        "per_example": per_example,
    }
    report["scale"]["loss"] = config.loss_summary()
    report["_audio"] = audio_kept
    return report


def _features(audio: torch.Tensor, grid, crepe_model: str) -> tuple[torch.Tensor, ...]:
    """(f0, confidence, loudness) of audio on the model's frame grid and alignment."""
    out = compute_features(audio, grid.sample_rate, grid.hop, grid.paddings, crepe_model=crepe_model)
    return out["f0_hz"], out["f0_confidence"], out["loudness_db"]


def _selection(name: str, config: RunConfig, split: str) -> str:
    """How the evaluated checkpoint was chosen, and whether that biases the scores."""
    if name == "last.ckpt":
        return "last checkpoint of the run (as the official evaluation)"
    if name == "best.ckpt":
        note = f"lowest validation loss on the first {config.trainer.limit_val_batches} batches of valid"
        return note + (": overlaps the scored examples, an optimistic pick" if split == "valid" else "")
    return "given by path"


def _wandb_link(run_dir: Path) -> str | None:
    """The training run's W&B page when it synced online, else its local folder."""
    wandb_dir = run_dir / "wandb"
    runs = sorted(wandb_dir.glob("run-*")) + sorted(wandb_dir.glob("offline-run-*"))
    if not runs:
        return None
    try:
        return str(runs[-1].resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(runs[-1])
