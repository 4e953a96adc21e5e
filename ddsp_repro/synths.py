"""Synthesizer modules: raw network outputs -> controls -> audio (paper §3, appendix B.5).

Each synth is a `Processor` (`ddsp_repro.processors`), splitting its work as magenta/ddsp does:
`get_controls` turns raw network outputs into synthesiser controls (scaling, Nyquist masking,
normalisation) and `get_signal` renders audio from controls. Calling the module runs both, so
controls can be inspected or edited by hand (pitch shift, loudness change) before rendering.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from ddsp_repro.dsp import core, filtering, oscillators
from ddsp_repro.processors import Processor

__all__ = ["FilteredNoiseSynth", "HarmonicSynth"]

ScaleFn = Callable[[Tensor], Tensor]


class HarmonicSynth(Processor):
    """Harmonic additive synthesiser (the official `Additive` / `Harmonic` processor).

    Controls: ``amplitudes [batch, n_frames, 1]`` and ``harmonic_distribution
    [batch, n_frames, n_harmonics]`` go through `scale_fn` (exp_sigmoid), harmonics at or above
    Nyquist are removed and the distribution is renormalised to sum to one; ``f0_hz
    [batch, n_frames, 1]`` passes through unchanged.

    Args:
        n_samples: audio samples rendered (64000 = 4 s at 16 kHz).
        sample_rate: Hz.
        scale_fn: applied to amplitudes and distribution; ``None`` to pass controls directly.
        normalize_below_nyquist: remove harmonics at or above Nyquist before normalising.
        amp_resample_method: ``"window"`` (official) or ``"linear"``.
        implementation: see `harmonic_synthesis` (``"auto"`` uses the fused kernel where it can).
    """

    def __init__(
        self,
        n_samples: int = 64000,
        sample_rate: int = 16000,
        scale_fn: ScaleFn | None = core.exp_sigmoid,
        normalize_below_nyquist: bool = True,
        amp_resample_method: str = "window",
        implementation: str = "auto",
    ) -> None:
        super().__init__()
        self.implementation = implementation
        self.n_samples = n_samples
        self.sample_rate = sample_rate
        self.scale_fn = scale_fn
        self.normalize_below_nyquist = normalize_below_nyquist
        self.amp_resample_method = amp_resample_method

    def get_controls(
        self, amplitudes: Tensor, harmonic_distribution: Tensor, f0_hz: Tensor
    ) -> dict[str, Tensor]:
        """Raw ``amplitudes [batch, n_frames, 1]`` and ``harmonic_distribution [batch, n_frames,
        n_harmonics]`` (network outputs) and ``f0_hz [batch, n_frames, 1]`` (Hz) -> controls
        ``{"amplitudes", "harmonic_distribution", "f0_hz"}``: linear overall amplitude, the
        distribution over harmonics (summing to one; zero at and above Nyquist), f0 in Hz unchanged."""
        if self.scale_fn is not None:
            amplitudes = self.scale_fn(amplitudes)
            harmonic_distribution = self.scale_fn(harmonic_distribution)
        if self.normalize_below_nyquist:
            harmonic_distribution = oscillators.normalize_harmonics(
                harmonic_distribution, f0_hz, self.sample_rate
            )
        else:
            total = harmonic_distribution.sum(dim=-1, keepdim=True)
            harmonic_distribution = harmonic_distribution / total.clamp(min=1e-7)
        return {"amplitudes": amplitudes, "harmonic_distribution": harmonic_distribution, "f0_hz": f0_hz}

    def get_signal(self, amplitudes: Tensor, harmonic_distribution: Tensor, f0_hz: Tensor) -> Tensor:
        """Audio ``[batch, n_samples]`` from controls."""
        return oscillators.harmonic_synthesis(
            f0_hz=f0_hz,
            amplitudes=amplitudes,
            harmonic_distribution=harmonic_distribution,
            n_samples=self.n_samples,
            sample_rate=self.sample_rate,
            amp_resample_method=self.amp_resample_method,
            implementation=self.implementation,
        )


class FilteredNoiseSynth(Processor):
    """Filtered noise: uniform noise through time-varying linear-phase FIR filters (paper §3.2).

    Controls: ``magnitudes [batch, n_frames, n_bands]`` (65 bands from 0 Hz to Nyquist in the
    paper's models) become ``scale_fn(magnitudes + initial_bias)``; the bias of -5 starts the
    noise quiet.

    Args:
        n_samples: audio samples rendered.
        window_size: Hann window of the FIR in taps. The official class default is 257 and the
            paper's configs set 0 (= the IR's length); with 65 bands the IR has 128 taps, so both
            give the same 128-tap filter.
        scale_fn: applied to the biased magnitudes; ``None`` to pass them directly.
        initial_bias: added before `scale_fn`.
    """

    def __init__(
        self,
        n_samples: int = 64000,
        window_size: int = 257,
        scale_fn: ScaleFn | None = core.exp_sigmoid,
        initial_bias: float = -5.0,
    ) -> None:
        super().__init__()
        self.n_samples = n_samples
        self.window_size = window_size
        self.scale_fn = scale_fn
        self.initial_bias = initial_bias

    def get_controls(self, magnitudes: Tensor) -> dict[str, Tensor]:
        """Raw ``magnitudes [batch, n_frames, n_bands]`` -> ``{"magnitudes"}``: linear filter gains,
        ``scale_fn(magnitudes + initial_bias)``, bands evenly spaced from 0 Hz to Nyquist."""
        if self.scale_fn is not None:
            magnitudes = self.scale_fn(magnitudes + self.initial_bias)
        return {"magnitudes": magnitudes}

    def get_signal(
        self, magnitudes: Tensor, noise: Tensor | None = None, generator: torch.Generator | None = None
    ) -> Tensor:
        """Audio ``[batch, n_samples]``; pass `noise` (uniform in [-1, 1]) or a `generator` to repeat it."""
        core.check_rank(magnitudes, 3, "magnitudes", "[batch, n_frames, n_bands]")
        batch = magnitudes.shape[0]
        if noise is None:
            noise = (
                torch.rand(
                    batch,
                    self.n_samples,
                    device=magnitudes.device,
                    dtype=magnitudes.dtype,
                    generator=generator,
                )
                * 2.0
                - 1.0
            )
        elif noise.shape != (batch, self.n_samples):
            raise ValueError(f"noise must have shape {(batch, self.n_samples)}, got {tuple(noise.shape)}")
        return filtering.frequency_filter(noise, magnitudes, window_size=self.window_size)
