"""The DDSP autoencoder: features -> (encoders) -> decoder -> harmonic + filtered noise (-> reverb).

Follows the official v0.0.6 `Autoencoder` with `DefaultPreprocessor`: the network sees
``f0_scaled = hz_to_midi(f0_hz) / 127`` and ``ld_scaled = loudness_db / 120 + 1`` (both in [0, 1]);
the harmonic synth receives f0 in Hz directly. With ``f0_encoder=True`` (the unsupervised model)
a ResNet predicts f0 from the audio and replaces both ``f0_scaled`` and the synth's ``f0_hz``.

The networks may run under autocast (mixed precision); the synths, reverb and their inputs are
always float32, since phases and exp-sigmoid floors do not survive half precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import Tensor, nn

from ddsp_repro.dsp import F0_RANGE, LD_RANGE, hz_to_midi, resample
from ddsp_repro.effects import Reverb
from ddsp_repro.models.layers import FrameGrid, keras_init_
from ddsp_repro.models.networks import MfccZEncoder, RnnFcDecoder
from ddsp_repro.models.resnet import ResnetF0Encoder
from ddsp_repro.rates import reverb_tap_scale
from ddsp_repro.synths import FilteredNoiseSynth, HarmonicSynth
from ddsp_repro.timing import stage

__all__ = ["Autoencoder", "AutoencoderConfig"]


@dataclass(frozen=True)
class AutoencoderConfig(FrameGrid):
    """Sizes of one autoencoder. The defaults are the supervised NSynth model (official ae.gin)."""

    n_samples: int = 64000
    sample_rate: int = 16000
    n_frames: int = 1000
    n_harmonics: int = 100
    n_noise_bands: int = 65
    noise_initial_bias: float = -5.0  # added to the noise magnitudes before exp_sigmoid (official)
    z_dims: int | None = 16  # None: no z-encoder (solo-instrument models)
    z_frames: int = 125
    ch: int = 512
    layers_per_stack: int = 3
    rnn_channels: int = 512
    f0_encoder: bool = False  # True: f0 learned by a ResNet (unsupervised model, ae_abs.gin)
    f0_bins: int = 256
    resnet_size: str = "small"
    resnet_channels: int | None = None  # None: the size's base width
    gru_cell: str = "v1"  # "v1": the TF1 Keras cell of the official code; "v2": torch.nn.GRU's
    reverb: bool = False
    reverb_length: int = 48000
    synth_implementation: str = "auto"
    # What frame i of f0 and loudness describes (`ddsp_repro.rates`): "paper" (16 kHz presets) or
    # "centered" (every other rate). Left out of a run's name at its default.
    alignment: str = field(default="paper", metadata={"hashed_unless_default": True})

    def build(self) -> Autoencoder:
        return Autoencoder(self)


class Autoencoder(nn.Module):
    """Conditioning features -> synthesiser controls -> audio, end to end differentiable."""

    def __init__(self, config: AutoencoderConfig = AutoencoderConfig()) -> None:
        super().__init__()
        self.config = config
        c = config
        self.encoder = (
            MfccZEncoder(c.z_dims, c.rnn_channels, c.z_frames, gru_cell=c.gru_cell) if c.z_dims else None
        )
        self.f0_encoder = (
            ResnetF0Encoder(c.f0_bins, c.resnet_size, channels=c.resnet_channels) if c.f0_encoder else None
        )
        self.decoder = RnnFcDecoder(
            (
                ("amplitudes", 1),
                ("harmonic_distribution", c.n_harmonics),
                ("noise_magnitudes", c.n_noise_bands),
            ),
            z_dims=c.z_dims,
            ch=c.ch,
            layers_per_stack=c.layers_per_stack,
            rnn_channels=c.rnn_channels,
            gru_cell=c.gru_cell,
        )
        keras_init_(self)  # the official Keras initialisers, before the reverb draws its IR
        self.harmonic = HarmonicSynth(c.n_samples, c.sample_rate, implementation=c.synth_implementation)
        self.noise = FilteredNoiseSynth(c.n_samples, initial_bias=c.noise_initial_bias)
        scale = reverb_tap_scale(c.sample_rate)
        self.reverb = Reverb(reverb_length=c.reverb_length, tap_scale=scale) if c.reverb else None

    def forward(
        self,
        audio: Tensor,
        f0_hz: Tensor | None,
        loudness_db: Tensor,
        noise_generator: torch.Generator | None = None,
        noise: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """``audio [batch, n_samples]``, ``f0_hz`` and ``loudness_db`` ``[batch, n_frames]``.

        `f0_hz` may be None when the model learns f0 (`f0_encoder`). `noise_generator` makes the
        filtered-noise source repeatable; `noise` ``[batch, n_samples]`` (uniform in [-1, 1])
        supplies it outright. Returns the synthesised ``audio`` and its parts
        (``harmonic``, ``noise``, ``dry``; with reverb, ``audio`` is wet) plus the controls
        (``f0_hz`` is the f0 the synth played), all batch-first.
        """
        f0_scaled = None
        if self.f0_encoder is None and f0_hz is None:
            raise ValueError("this model is conditioned on f0_hz; pass it")
        with stage("encoders"):
            if self.f0_encoder is not None:
                f0_scaled, f0_hz = self.f0_encoder(audio, self.config.n_frames)
                f0_hz = f0_hz[..., 0]
            z = self.encode(audio)
        return self.synthesize(f0_hz, loudness_db, z, noise_generator, f0_scaled, noise)

    def encode(self, audio: Tensor) -> Tensor | None:
        """``z [batch, n_frames, z_dims]`` of ``audio [batch, n_samples]`` (None without a z encoder)."""
        return self.encoder(audio, self.config.n_frames) if self.encoder is not None else None

    def synthesize(
        self,
        f0_hz: Tensor,
        loudness_db: Tensor,
        z: Tensor | None = None,
        noise_generator: torch.Generator | None = None,
        f0_scaled: Tensor | None = None,
        noise: Tensor | None = None,
    ) -> dict[str, Tensor]:
        """Decode and synthesise from given controls (`forward` after the encoders).

        ``f0_hz``, ``loudness_db`` ``[batch, frames]`` (resampled to ``n_frames`` if needed); ``z``
        ``[batch, n_frames, z_dims]`` for models with a z encoder, e.g. one interpolated between
        two notes. `f0_scaled` (the f0 encoder's own scaling) replaces ``midi(f0_hz) / 127``.
        """
        n_frames = self.config.n_frames
        if self.encoder is not None and z is None:
            raise ValueError("this model is conditioned on z; pass it (see `encode`)")
        ld = _frames(loudness_db, n_frames)
        f0 = _frames(f0_hz, n_frames)
        if f0_scaled is None:
            f0_scaled = hz_to_midi(f0) / F0_RANGE
        ld_scaled = ld / LD_RANGE + 1.0
        raw = self.decoder(f0_scaled, ld_scaled, z)
        with torch.autocast(f0.device.type, enabled=False):
            # Half-precision network outputs go to the synths in float32; float64 stays float64.
            dtype = torch.promote_types(raw["amplitudes"].dtype, torch.float32)
            raw = {k: v.to(dtype) for k, v in raw.items()}
            f0 = f0.to(dtype)
            with stage("synths"):
                harmonic_controls = self.harmonic.get_controls(
                    raw["amplitudes"], raw["harmonic_distribution"], f0
                )
                noise_controls = self.noise.get_controls(raw["noise_magnitudes"])
                harmonic = self.harmonic.get_signal(**harmonic_controls)
                noise = self.noise.get_signal(**noise_controls, noise=noise, generator=noise_generator)
                dry = harmonic + noise
            out = {"harmonic": harmonic, "noise": noise, "dry": dry, **harmonic_controls, **noise_controls}
            with stage("reverb"):
                out["audio"] = self.reverb(dry) if self.reverb is not None else dry
        if z is not None:
            out["z"] = z
        return out

    def resized(self, n_samples: int) -> Autoencoder:
        """A copy of this model (same weights) rendering `n_samples` at the same frame rate.

        Training fixes the window (4 s, or 1 s at CPU scale); demos render whole phrases.
        """
        c = self.config
        hop = c.hop
        if n_samples % hop:
            raise ValueError(f"n_samples must be a multiple of the hop ({hop} samples)")
        n_frames = n_samples // hop
        other = Autoencoder(replace(c, n_samples=n_samples, n_frames=n_frames))
        other.load_state_dict(self.state_dict())
        return other.to(next(self.parameters()).device).train(self.training)

    def n_trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


def _frames(x: Tensor, n_frames: int) -> Tensor:
    """``[batch, frames]`` features -> ``[batch, n_frames, 1]``, linearly resampled if needed."""
    x = x[..., None]
    return resample(x, n_frames) if x.shape[1] != n_frames else x
