"""LightningModules: the DDSP autoencoders and the WaveRNN baseline, trained as the official code.

Adam with staircase learning-rate decay (x0.98 every 10k steps), global-norm gradient clipping
(set on the Trainer), the multi-scale spectral loss (+ the CREPE perceptual loss for the
unsupervised model) or, for WaveRNN, its own cross-entropy.

Everything random in a step (crop offsets, the filtered-noise source) is drawn from generators
seeded by (seed, global step, rank), so a run resumed from a checkpoint repeats exactly what an
uninterrupted run would have done.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import lightning as L
import torch
import torchmetrics
from torch import Tensor

from ddsp_repro.logs import get_logger
from ddsp_repro.losses import MultiScaleSpectralLoss, PretrainedCREPEEmbeddingLoss
from ddsp_repro.timing import stage
from ddsp_repro.training.config import (
    DDSPRunConfig,
    RunConfig,
    WaveRNNRunConfig,
    config_from_dict,
    config_to_dict,
)
from ddsp_repro.training.faults import NonFiniteLoss, model_mismatch
from ddsp_repro.training.optim import TFAdam, clip_by_global_norm
from ddsp_repro.training.packaged import resolve

__all__ = [
    "DDSPModule",
    "RunModule",
    "WaveRNNModule",
    "crop_batch",
    "init_model_from",
    "load_checkpoint",
    "module_for",
]

log = get_logger(__name__)

DATA_FRAMES = 1000  # prepared examples: 4 s at 250 Hz
DATA_SAMPLES = 64000


def crop_batch(batch: dict, n_samples: int, n_frames: int, offsets: Tensor | None = None) -> dict:
    """Frame-aligned windows of ``n_samples`` / ``n_frames`` from each 4 s example.

    ``offsets [batch]`` are start frames (None: from the start). Labels pass through unchanged.
    """
    total_samples, total_frames = batch["audio"].shape[1], batch["f0_hz"].shape[1]
    if n_samples == total_samples and n_frames == total_frames:
        return batch
    hop = total_samples // total_frames
    if n_samples != n_frames * hop:
        raise ValueError(
            f"a window of {n_samples} samples and {n_frames} frames does not match the data's "
            f"{hop}-sample frames"
        )
    if n_frames > total_frames:
        raise ValueError(f"the model wants {n_frames} frames; examples have {total_frames}")
    if offsets is None:
        offsets = torch.zeros(batch["audio"].shape[0], dtype=torch.long)
    out = dict(batch)
    for key, value in batch.items():
        if not isinstance(value, Tensor) or value.dim() != 2:
            continue
        length, scale = (n_samples, hop) if value.shape[1] == total_samples else (n_frames, 1)
        out[key] = torch.stack(
            [row[o * scale : o * scale + length] for row, o in zip(value, offsets.tolist(), strict=True)]
        )
    return out


class RunModule(L.LightningModule):
    """What every model shares: optimiser, schedule, seeded per-step randomness, validation mean."""

    def __init__(self, config: RunConfig) -> None:
        super().__init__()
        self.config = config
        self.save_hyperparameters({"config": config_to_dict(config)})
        self.val_loss = torchmetrics.MeanMetric()

    # -- randomness ---------------------------------------------------------------------------
    def step_generator(self, device: torch.device | str = "cpu", salt: int = 0) -> torch.Generator:
        """A generator seeded by (seed, global step, rank, salt): the same on a resumed run."""
        seed = self.config.trainer.seed
        value = (seed * 1_000_003 + self.global_step * 7919 + self.global_rank * 104_729 + salt) % 2**63
        return torch.Generator(device=device).manual_seed(value)

    def crop(self, batch: dict, random: bool) -> dict:
        n_samples, n_frames = self.config.model.n_samples, self.config.model.n_frames
        total_frames = batch["f0_hz"].shape[1]
        offsets = None
        if random and n_frames < total_frames:
            offsets = torch.randint(
                0, total_frames - n_frames + 1, (batch["audio"].shape[0],), generator=self.step_generator()
            )
        return crop_batch(batch, n_samples, n_frames, offsets)

    # -- loop ---------------------------------------------------------------------------------
    def losses(self, batch: dict, noise_generator: torch.Generator) -> dict[str, Tensor]:
        """Named loss terms (``loss`` is the total) of a cropped batch."""
        raise NotImplementedError

    def render(self, batch: dict) -> dict[str, Tensor]:
        """Audio ``[batch, n]`` by part name (``target`` first) for listening and plots."""
        raise NotImplementedError

    def for_whole_examples(self, n_samples: int) -> RunModule:
        """This module (same weights) rendering whole ``n_samples`` examples, for evaluation.

        The paper scores every model on the same 4 s examples, whatever window it trained on.
        """
        raise NotImplementedError

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        batch = self.crop(batch, random=True)
        losses = self.losses(batch, self.step_generator(self.device, salt=1))
        if not torch.isfinite(losses["loss"]):
            return self._non_finite(losses["loss"], batch)
        for name, value in losses.items():
            self.log(f"train/{name}", value, prog_bar=name == "loss", batch_size=batch["audio"].shape[0])
        return losses["loss"]

    def _non_finite(self, loss: Tensor, batch: dict) -> None:
        """Stop (or, with ``trainer.on_nonfinite="skip"``, skip the step) before a NaN reaches the weights."""
        ids = batch.get("id", [])
        named = ", ".join(map(str, ids[:8])) + (" ..." if len(ids) > 8 else "") if ids else "ids unknown"
        where = f"training loss is {float(loss)} at step {self.global_step + 1} (batch: {named})"
        if self.config.trainer.on_nonfinite == "skip":
            log.warning("%s: step skipped (trainer.on_nonfinite=skip)", where)
            return None
        raise NonFiniteLoss(
            f"{where}; training stopped before that step changed the weights, so the last checkpoint "
            "is the last good state. Check those examples (`ddsp-repro inspect`), lower --optim.lr, "
            "or rerun with --resume --trainer.on-nonfinite skip to step over such batches"
        )

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        batch = self.crop(batch, random=False)
        generator = torch.Generator(device=self.device).manual_seed(self.config.trainer.seed + batch_idx)
        loss = self.losses(batch, generator)["loss"]
        self.val_loss.update(loss, weight=batch["audio"].shape[0])
        self.log("val/loss", self.val_loss, on_step=False, on_epoch=True, prog_bar=True)

    def configure_optimizers(self):
        c = self.config.optim
        params = [p for p in self.parameters() if p.requires_grad]
        if c.optimizer == "tf1":
            optimizer = TFAdam(params, lr=c.lr, eps=c.adam_eps)
        else:
            optimizer = torch.optim.Adam(params, lr=c.lr, eps=c.adam_eps)
        # Staircase exponential decay, stepped every optimiser step (official train_util).
        schedule = torch.optim.lr_scheduler.StepLR(optimizer, c.lr_decay_steps, c.lr_decay_rate)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}

    def configure_gradient_clipping(self, optimizer, gradient_clip_val=None, gradient_clip_algorithm=None):
        """Global-norm clipping at ``optim.grad_clip_norm`` (TF's formula with the TF1 optimiser).

        Note: the official TPU runs (``base_tpu.gin``) clip each replica's gradient before the
        cross-replica sum (`CrossShardOptimizer` after `clip_by_global_norm`); here, as in the
        official GPU runs, the clipped gradient is the one averaged over all processes.
        """
        c = self.config.optim
        if c.grad_clip_norm is None or c.grad_clip_norm <= 0:
            return
        if c.optimizer == "tf1":
            clip_by_global_norm(self.parameters(), c.grad_clip_norm)
        else:
            self.clip_gradients(optimizer, c.grad_clip_norm, "norm")

    def n_trainable_parameters(self) -> int:
        return self.model.n_trainable_parameters()


class DDSPModule(RunModule):
    """A DDSP autoencoder trained with the multi-scale spectral loss (+ CREPE perceptual loss)."""

    def __init__(self, config: DDSPRunConfig) -> None:
        super().__init__(config)
        self.model = config.model.build()
        c = config.loss
        self.spectral_loss = MultiScaleSpectralLoss(
            c.fft_sizes, mag_weight=c.mag_weight, logmag_weight=c.logmag_weight
        )
        self.crepe_loss = (
            PretrainedCREPEEmbeddingLoss(c.crepe_weight, trainable=c.crepe_trainable)
            if c.crepe_weight > 0
            else None
        )

    def forward(self, batch: dict, noise_generator: torch.Generator | None = None) -> dict[str, Tensor]:
        f0_hz = None if self.config.model.f0_encoder else batch["f0_hz"]
        return self.model(batch["audio"], f0_hz, batch["loudness_db"], noise_generator=noise_generator)

    def losses(self, batch: dict, noise_generator: torch.Generator) -> dict[str, Tensor]:
        out = self(batch, noise_generator)
        target = batch["audio"].float()
        with torch.autocast(self.device.type, enabled=False), stage("loss"):
            terms = {"spectral_loss": self.spectral_loss(out["audio"], target)}
            if self.crepe_loss is not None:
                terms["crepe_loss"] = self.crepe_loss(out["audio"], target)
        terms["loss"] = sum(terms.values())
        return terms

    @torch.no_grad()
    def render(self, batch: dict) -> dict[str, Tensor]:
        generator = torch.Generator(device=self.device).manual_seed(self.config.trainer.seed)
        out = self(batch, generator)
        parts = {"target": batch["audio"], "resynthesis": out["audio"]}
        parts.update(harmonic=out["harmonic"], noise=out["noise"])
        if self.model.reverb is not None:
            parts["dry"] = out["dry"]  # dereverberated: the reverb bypassed
            parts["reverb"] = out["audio"] - out["dry"]
        parts["f0_hz"] = out["f0_hz"][..., 0]  # the f0 the synth played (learned when unsupervised)
        return parts

    def for_whole_examples(self, n_samples: int) -> DDSPModule:
        if n_samples == self.config.model.n_samples:
            return self
        model = self.model.resized(n_samples)
        whole = DDSPModule(replace(self.config, model=model.config))
        whole.model = model
        return whole.to(self.device).train(self.training)


class WaveRNNModule(RunModule):
    """The WaveRNN baseline: teacher-forced cross-entropy on random windows; sampled for listening."""

    def __init__(self, config: WaveRNNRunConfig) -> None:
        super().__init__(config)
        self.model = config.model.build()

    def losses(self, batch: dict, noise_generator: torch.Generator) -> dict[str, Tensor]:
        c = self.config.model
        cond = self.model.conditioning(batch["f0_hz"], batch["loudness_db"], batch["audio"].shape[1])
        crop = min(c.train_crop, batch["audio"].shape[1])
        if self.training:
            start = int(
                torch.randint(
                    0, batch["audio"].shape[1] - crop + 1, (1,), generator=self.step_generator(salt=2)
                )
            )
        else:
            start = 0
        window = slice(start, start + crop)
        return {"loss": self.model.loss(batch["audio"][:, window], cond[:, window])}

    @torch.no_grad()
    def render(self, batch: dict) -> dict[str, Tensor]:
        n = min(
            batch["audio"].shape[1], int(self.config.logging.media_seconds * self.config.model.sample_rate)
        )
        cond = self.model.conditioning(batch["f0_hz"], batch["loudness_db"], batch["audio"].shape[1])
        generator = torch.Generator(device=self.device).manual_seed(self.config.trainer.seed)
        audio = self.model.generate(cond[:, :n], generator=generator)
        frames = n * batch["f0_hz"].shape[1] // batch["audio"].shape[1]
        return {"target": batch["audio"][:, :n], "resynthesis": audio, "f0_hz": batch["f0_hz"][:, :frames]}

    def for_whole_examples(self, n_samples: int) -> WaveRNNModule:
        """Sampling renders `media_seconds` (1 s for listening); evaluation renders all of it."""
        seconds = n_samples / self.config.model.sample_rate
        logging = replace(self.config.logging, media_seconds=seconds)
        whole = WaveRNNModule(replace(self.config, logging=logging))
        whole.model = self.model
        return whole.to(self.device).train(self.training)


MODULES: dict[type[RunConfig], type[RunModule]] = {DDSPRunConfig: DDSPModule, WaveRNNRunConfig: WaveRNNModule}


def module_for(config: RunConfig) -> RunModule:
    """The LightningModule that trains `config` (one per run-config kind, `MODULES`)."""
    if type(config) not in MODULES:
        raise TypeError(f"no module for {type(config).__name__}")
    return MODULES[type(config)](config)


def load_checkpoint(path: str | Path) -> tuple[RunModule, dict]:
    """The trained module of a Lightning checkpoint written by `train` (or ``pretrained:NAME``, a
    model shipped with the package), and the checkpoint."""
    path = resolve(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    try:
        config = config_from_dict(checkpoint["hyper_parameters"]["config"])
    except KeyError as exc:
        raise ValueError(f"{path} is not a ddsp-repro training checkpoint (no config inside)") from exc
    module = module_for(config)
    module.load_state_dict(checkpoint["state_dict"])
    return module.eval(), checkpoint


def init_model_from(module: RunModule, path: str | Path) -> None:
    """Copy the model weights of the checkpoint at `path` into `module` (fine-tuning's start).

    Only the model is copied (the losses' networks, such as CREPE's, keep their own weights).
    `path` may also be ``pretrained:NAME``, a model shipped with the package.

    Raises:
        FileNotFoundError: no checkpoint there.
        ValueError: not a training checkpoint, or a model of another architecture (names the
            first differing weights).
    """
    path = resolve(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint to start from at {path}")
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    if "state_dict" not in checkpoint:
        raise ValueError(f"{path} is not a ddsp-repro training checkpoint (no state_dict inside)")
    given = {k[len("model.") :]: v for k, v in checkpoint["state_dict"].items() if k.startswith("model.")}
    mismatch = model_mismatch(module.model.state_dict(), given)
    if mismatch:
        theirs = checkpoint.get("hyper_parameters", {}).get("config", {}).get("name", "another preset")
        raise ValueError(f"{path} holds a model of another architecture ({theirs!r}: {mismatch})")
    module.model.load_state_dict(given)
