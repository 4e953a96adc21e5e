"""The DDSP autoencoder: features -> (encoder) -> decoder -> harmonic + filtered noise (-> reverb).

Follows the official v0.0.6 `Autoencoder` with `DefaultPreprocessor`: the network sees
``f0_scaled = hz_to_midi(f0_hz) / 127`` and ``ld_scaled = loudness_db / 120 + 1`` (both in [0, 1]);
the harmonic synth receives f0 in Hz directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from ddsp_repro.dsp import F0_RANGE, LD_RANGE, hz_to_midi, resample
from ddsp_repro.effects import Reverb
from ddsp_repro.models.networks import MfccZEncoder, RnnFcDecoder
from ddsp_repro.synths import FilteredNoiseSynth, HarmonicSynth

__all__ = ["Autoencoder", "AutoencoderConfig"]


@dataclass(frozen=True)
class AutoencoderConfig:
    """Sizes of one autoencoder. The defaults are the supervised NSynth model (official ae.gin)."""

    n_samples: int = 64000
    sample_rate: int = 16000
    n_frames: int = 1000
    n_harmonics: int = 100
    n_noise_bands: int = 65
    z_dims: int | None = 16  # None: no z-encoder (solo-instrument models)
    z_frames: int = 125
    ch: int = 512
    layers_per_stack: int = 3
    rnn_channels: int = 512
    reverb: bool = False
    reverb_length: int = 48000
    synth_implementation: str = "auto"


class Autoencoder(nn.Module):
    """Conditioning features -> synthesiser controls -> audio, end to end differentiable."""

    def __init__(self, config: AutoencoderConfig = AutoencoderConfig()) -> None:
        super().__init__()
        self.config = config
        c = config
        self.encoder = MfccZEncoder(c.z_dims, c.rnn_channels, c.z_frames) if c.z_dims else None
        self.decoder = RnnFcDecoder(
            (("amps", 1), ("harmonic_distribution", c.n_harmonics), ("noise_magnitudes", c.n_noise_bands)),
            z_dims=c.z_dims,
            ch=c.ch,
            layers_per_stack=c.layers_per_stack,
            rnn_channels=c.rnn_channels,
        )
        self.harmonic = HarmonicSynth(c.n_samples, c.sample_rate, implementation=c.synth_implementation)
        self.noise = FilteredNoiseSynth(c.n_samples)
        self.reverb = Reverb(trainable=True, reverb_length=c.reverb_length) if c.reverb else None

    def forward(self, audio: Tensor, f0_hz: Tensor, loudness_db: Tensor) -> dict[str, Tensor]:
        """``audio [batch, n_samples]``, ``f0_hz`` and ``loudness_db`` ``[batch, n_frames]``.

        Returns the synthesised ``audio`` and its parts (``harmonic``, ``noise``, ``dry``; with
        reverb, ``audio`` is wet) plus the controls, all batch-first.
        """
        n_frames = self.config.n_frames
        f0 = resample(f0_hz[..., None], n_frames) if f0_hz.shape[1] != n_frames else f0_hz[..., None]
        ld = (
            resample(loudness_db[..., None], n_frames)
            if loudness_db.shape[1] != n_frames
            else loudness_db[..., None]
        )
        f0_scaled = hz_to_midi(f0) / F0_RANGE
        ld_scaled = ld / LD_RANGE + 1.0
        z = self.encoder(audio, n_frames) if self.encoder is not None else None
        raw = self.decoder(f0_scaled, ld_scaled, z)
        harmonic_controls = self.harmonic.get_controls(raw["amps"], raw["harmonic_distribution"], f0)
        noise_controls = self.noise.get_controls(raw["noise_magnitudes"])
        harmonic = self.harmonic.get_signal(**harmonic_controls)
        noise = self.noise.get_signal(**noise_controls)
        dry = harmonic + noise
        out = {"harmonic": harmonic, "noise": noise, "dry": dry, **harmonic_controls, **noise_controls}
        out["audio"] = self.reverb(dry) if self.reverb is not None else dry
        if z is not None:
            out["z"] = z
        return out

    def n_trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
