"""Typed, frozen run configurations: what a training run is, as data.

A run config holds the model sizes, the losses, the data, the optimiser, the trainer and the
logging settings. Presets (`ddsp_repro.training.presets`) are instances of these classes; the
command line overrides any field (``--optim.lr 1e-4``, ``--trainer.devices 2``).

`semantic_hash` names a run: it covers every field that changes the result and none that only
changes where or how it is shown (paths, logging, loader workers, progress bars).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from ddsp_repro.data.config import DataConfig, free_field
from ddsp_repro.models.autoencoder import AutoencoderConfig
from ddsp_repro.models.wavernn import WaveRNNConfig

__all__ = [
    "DDSPRunConfig",
    "DataConfig",
    "LoggingConfig",
    "LossConfig",
    "OptimConfig",
    "RunConfig",
    "TrainerConfig",
    "WaveRNNRunConfig",
    "config_from_dict",
    "config_to_dict",
    "semantic_hash",
]


@dataclass(frozen=True)
class LossConfig:
    """Multi-scale spectral loss (paper section 2.6) plus, optionally, the CREPE perceptual loss."""

    fft_sizes: tuple[int, ...] = (2048, 1024, 512, 256, 128, 64)
    mag_weight: float = 1.0
    logmag_weight: float = 1.0
    crepe_weight: float = 0.0  # gin-style weight; 0.1 gives the paper's effective 5e-5
    # v0.0.6 optimises its CREPE's weights with the model (they are trainable variables); False freezes them
    crepe_trainable: bool = True


@dataclass(frozen=True)
class OptimConfig:
    """Adam with staircase decay and global-norm clipping (official optimization/base.gin)."""

    lr: float = 3e-4
    lr_decay_rate: float = 0.98
    lr_decay_steps: int = 10000
    grad_clip_norm: float = 3.0
    adam_eps: float = 1e-8  # the TF1 optimiser of v0.0.6 (Keras would be 1e-7)
    # "tf1": Adam as tf.compat.v1.train.AdamOptimizer (epsilon outside the bias correction) with
    # TF's clip_by_global_norm, as v0.0.6; "torch": torch.optim.Adam and clip_grad_norm_.
    optimizer: Literal["tf1", "torch"] = "tf1"


@dataclass(frozen=True)
class TrainerConfig:
    """Loop settings, handed to Lightning's Trainer."""

    max_steps: int = 1_000_000  # the official --num_train_steps default
    val_every_steps: int = 300  # also the checkpoint interval (official: every 300 steps)
    limit_val_batches: int = 50  # official NSynth eval: 50 batches
    devices: int = 1
    # The official GPU runs were float32; "auto" opts in to bf16 mixed precision on GPUs that have it.
    precision: Literal["auto", "32-true", "bf16-mixed", "16-mixed"] = "32-true"
    seed: int = 0
    # Fine-tuning: a checkpoint written by `train` (or pretrained:NAME, a model shipped with the
    # package) whose model weights the run starts from (the optimiser, schedule and step start
    # afresh). The architectures must match.
    init_from: str | None = field(default=None, metadata={"hashed_unless_default": True})
    # A wall-clock budget: training stops at the first step past it (None: no limit). A run's
    # result then depends on the machine's speed, so the budget is not part of the run's name.
    max_hours: float | None = free_field(None)
    accelerator: Literal["auto", "cpu", "gpu"] = free_field("auto")
    progress_bar: bool = free_field(True)
    # Machines (nodes) the run spans, `devices` processes on each (torchrun / SLURM start them).
    num_nodes: int = field(default=1, metadata={"hashed_unless_default": True})
    # Checkpoints kept besides best.ckpt and last.ckpt: the latest `keep_checkpoints` validations'
    # (``step=N.ckpt``), what --resume falls back on when a newer one cannot be read.
    keep_checkpoints: int = free_field(2)
    # A NaN or infinite training loss: "stop" (name the step and the batch) or "skip" that step.
    on_nonfinite: Literal["stop", "skip"] = free_field("stop")


@dataclass(frozen=True)
class LoggingConfig:
    """Tracking and media. ``wandb``: auto = online when logged in, else offline."""

    wandb: Literal["auto", "online", "offline", "disabled"] = "auto"
    project: str = "ddsp-repro"
    group: str | None = None  # W&B run group (a sweep groups its trials by study)
    runs_dir: str = "runs"
    n_media_examples: int = 4
    media_seconds: float = 1.0  # WaveRNN only: seconds sampled autoregressively per example


@dataclass(frozen=True)
class RunConfig:
    """Fields every run has. `name` is the preset's name; `paper_row` what it reproduces."""

    name: str = "run"
    paper_row: str = ""
    data: DataConfig = DataConfig()
    optim: OptimConfig = OptimConfig()
    trainer: TrainerConfig = TrainerConfig()
    logging: LoggingConfig = field(default=LoggingConfig(), metadata={"semantic": False})

    family: ClassVar[str] = "run"  # "ddsp" or "wavernn": which kind of model the run trains

    def loss_summary(self) -> str:
        """What the run's loss is, in a few words (for reports)."""
        raise NotImplementedError


@dataclass(frozen=True)
class DDSPRunConfig(RunConfig):
    """A DDSP autoencoder run (supervised, unsupervised, solo-instrument and tiny models)."""

    model: AutoencoderConfig = AutoencoderConfig()
    loss: LossConfig = LossConfig()

    family: ClassVar[str] = "ddsp"

    def loss_summary(self) -> str:
        return "spectral" + (" + CREPE perceptual" if self.loss.crepe_weight else "")


@dataclass(frozen=True)
class WaveRNNRunConfig(RunConfig):
    """The WaveRNN baseline given the same f0 and loudness conditioning."""

    model: WaveRNNConfig = WaveRNNConfig()

    family: ClassVar[str] = "wavernn"

    def loss_summary(self) -> str:
        return f"cross-entropy on {self.model.train_crop}-sample windows"


def config_to_dict(config: Any, semantic_only: bool = False) -> dict:
    out = {"kind": type(config).__name__} if isinstance(config, RunConfig) else {}
    for f in dataclasses.fields(config):
        if semantic_only and not f.metadata.get("semantic", True):
            continue
        value = getattr(config, f.name)
        if semantic_only and f.metadata.get("hashed_unless_default") and value == f.default:
            continue  # a field added later: at its default, runs keep the names they had
        if dataclasses.is_dataclass(value):
            value = config_to_dict(value, semantic_only)
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _build(cls: type, values: dict) -> Any:
    kwargs = {}
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(names) - {"kind"}
    if unknown:
        raise ValueError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
    for name, value in values.items():
        if name == "kind":
            continue
        default = names[name].default
        if dataclasses.is_dataclass(default):
            value = _build(type(default), value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[name] = value
    return cls(**kwargs)


def config_from_dict(values: dict) -> RunConfig:
    """Inverse of `config_to_dict` (a saved ``config.json`` back to a config)."""
    kinds = {cls.__name__: cls for cls in (DDSPRunConfig, WaveRNNRunConfig)}
    if values.get("kind") not in kinds:
        raise ValueError(f"unknown config kind {values.get('kind')!r}; expected one of {sorted(kinds)}")
    return _build(kinds[values["kind"]], values)


def semantic_hash(config: RunConfig) -> str:
    """8 hex digits over the fields that change results."""
    blob = json.dumps(config_to_dict(config, semantic_only=True), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:8]
