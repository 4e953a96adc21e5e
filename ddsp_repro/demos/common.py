"""What every demonstration does: load a trained model, find its data, render, and write audio."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ddsp_repro.demos.features import DatasetStats, dataset_stats
from ddsp_repro.models.autoencoder import Autoencoder
from ddsp_repro.training.config import DDSPRunConfig

__all__ = ["Loaded", "examples", "load_model", "render", "require_f0_input", "stats_for"]


@dataclass
class Loaded:
    model: Autoencoder
    config: DDSPRunConfig
    checkpoint: Path
    step: int

    @property
    def sample_rate(self) -> int:
        return self.model.config.sample_rate

    @property
    def hop(self) -> int:
        return self.model.config.hop

    @property
    def frame_rate(self) -> int:
        return self.model.config.frame_rate

    @property
    def name(self) -> str:
        return self.config.name


INSTRUMENT_CHECKPOINT = "model.ckpt"  # in a folder written by `ddsp-repro instrument`
STATS = "data_stats.json"


def load_model(checkpoint: str | Path) -> Loaded:
    """A trained DDSP autoencoder (WaveRNN has no DSP parts) from a checkpoint written by `train`,
    an instrument folder written by `ddsp-repro instrument` (its ``model.ckpt``) or
    ``pretrained:NAME``, a model shipped with the package (its data statistics beside it)."""
    from ddsp_repro.training.module import load_checkpoint
    from ddsp_repro.training.packaged import resolve

    checkpoint = resolve(checkpoint)
    if checkpoint.is_dir():
        if not (checkpoint / INSTRUMENT_CHECKPOINT).is_file():
            raise FileNotFoundError(
                f"{checkpoint} is a folder without {INSTRUMENT_CHECKPOINT}: give a checkpoint file or "
                "an instrument folder written by `ddsp-repro instrument`"
            )
        checkpoint = checkpoint / INSTRUMENT_CHECKPOINT
    module, ckpt = load_checkpoint(checkpoint)
    if module.config.family != "ddsp":
        raise ValueError(
            f"{checkpoint} holds a {module.config.name} model; the demonstrations need a DDSP one"
        )
    return Loaded(module.model.eval(), module.config, Path(checkpoint), int(ckpt.get("global_step", 0)))


def require_f0_input(loaded: Loaded, demonstration: str) -> None:
    """Refuse models that learn f0 from audio: driving them with a given f0 bypasses what they learned."""
    if loaded.config.model.f0_encoder:
        raise ValueError(
            f"{demonstration} needs a model conditioned on f0; {loaded.name} learns f0 from audio "
            "(use a supervised or solo-instrument preset)"
        )


def stats_for(loaded: Loaded) -> DatasetStats:
    """The training data's statistics: an instrument folder's own, else cached beside the run."""
    from ddsp_repro.data.sources import split_dataset

    beside = loaded.checkpoint.resolve().parent / STATS
    if beside.is_file():
        return DatasetStats.load(beside)
    cache = loaded.checkpoint.resolve().parent.parent / STATS
    if cache.is_file():
        return DatasetStats.load(cache)
    dataset, info = split_dataset(loaded.config.data, "train", grid=loaded.config.model)
    stats = dataset_stats(dataset, source=str(info.get("folder", info.get("source"))))
    try:
        stats.save(cache)
    except OSError:  # a read-only run folder: compute again next time
        pass
    return stats


def examples(loaded: Loaded, split: str = "valid", n: int | None = None) -> list[dict]:
    """Examples of a split of the model's data (all, or `n` spread over the split)."""
    from ddsp_repro.data.sources import split_dataset

    dataset, _ = split_dataset(loaded.config.data, split, grid=loaded.config.model)
    size = len(dataset)
    if n is None or n >= size:
        return [dataset[i] for i in range(size)]
    return [dataset[round(j * (size - 1) / max(n - 1, 1))] for j in range(n)]


@torch.no_grad()
def render(
    model: Autoencoder,
    f0_hz: torch.Tensor,
    loudness_db: torch.Tensor,
    z: torch.Tensor | None = None,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Audio and parts from frame-wise controls ``[frames]`` (any length), noise seeded by `seed`."""
    hop = model.config.hop
    n_frames = f0_hz.shape[-1]
    sized = model if n_frames == model.config.n_frames else model.resized(n_frames * hop)
    generator = torch.Generator().manual_seed(seed)
    out = sized.synthesize(f0_hz.reshape(1, -1), loudness_db.reshape(1, -1), z, noise_generator=generator)
    parts = {k: out[k][0].float().numpy() for k in ("audio", "harmonic", "noise", "dry")}
    if model.reverb is not None:
        parts["reverb"] = parts["audio"] - parts["dry"]
    return parts


@torch.no_grad()
def encode(model: Autoencoder, audio: np.ndarray) -> torch.Tensor | None:
    """z of mono `audio` at the model's frame rate (None for models without a z encoder)."""
    if model.encoder is None:
        return None
    hop = model.config.hop
    sized = model if audio.size == model.config.n_samples else model.resized(audio.size - audio.size % hop)
    return sized.encode(torch.as_tensor(audio[: sized.config.n_samples], dtype=torch.float32)[None])
