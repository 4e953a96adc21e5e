"""Fundamental frequency with CREPE (paper §4: the supervised models are conditioned on CREPE f0)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from ddsp_repro.audio import resample_audio
from ddsp_repro.crepe.inference import predict
from ddsp_repro.dsp.core import as_batch
from ddsp_repro.rates import frame_rate_of

__all__ = ["compute_f0", "compute_features"]

CREPE_SAMPLE_RATE = 16000  # = ddsp_repro.crepe.model.SAMPLE_RATE


def compute_f0(
    audio: Tensor | np.ndarray,
    sample_rate: int = 16000,
    frame_rate: int = 250,
    crepe_model: str = "full",
    viterbi: bool = True,
    padding: str = "end",
    batch_size: int = 256,
    dtype: torch.dtype = torch.float32,
) -> tuple[Tensor, Tensor]:
    """CREPE f0 and confidence, frame-wise.

    Args:
        audio: ``[batch, n_samples]`` or ``[n_samples]`` (tensor or array), any sample rate; it is
            resampled to CREPE's 16 kHz first.
        sample_rate: Hz of `audio`.
        frame_rate: frames per second, e.g. a model's ``sample_rate / hop`` (250.57 at 44.1 kHz).
            CREPE's frames are placed on that grid at 16 kHz with a fractional step, each frame
            rounded to the nearest 16 kHz sample (at most 0.031 ms off, no drift).
        crepe_model: ``"full"`` (the paper's and the metrics') or ``"tiny"``.
        viterbi: Viterbi decoding (default, as the paper's features) or weighted argmax.
        padding: ``"end"`` gives ``ceil(seconds * frame_rate)`` frames, frame ``i`` covering
            samples ``[i * hop, i * hop + 1024)`` (paper-era code and TFDS NSynth: 1000 frames
            for 4 s); ``"center"`` gives ``1 + n_samples // hop`` frames centred on the hop grid;
            ``"centered"`` gives ``ceil(seconds * frame_rate)`` frames, frame ``i`` centred on the
            middle of the model's frame ``i`` (`ddsp_repro.rates`).
        batch_size: frames per network call.
        dtype: network dtype. ``torch.bfloat16`` is for accelerators with bf16 units (f0 within
            0.2 cents of float32 on test tones); CPUs without them run it far slower (30-90x on
            the 2-core AMD EPYC machines this project is tested on).

    Returns:
        ``(f0_hz, confidence)``, each ``[batch, n_frames]`` (or ``[n_frames]``), float32.
        Confidence is CREPE's peak activation; NaNs are set to 0 as in the official code.
    """
    x, squeeze = as_batch(torch.as_tensor(audio))
    if x.shape[-1] == 0:
        raise ValueError("audio is empty")
    if not torch.is_floating_point(x):
        raise TypeError(f"audio must be floating point in [-1, 1], got dtype {x.dtype}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("audio contains NaN or infinite samples")
    if frame_rate <= 0:
        raise ValueError(f"frame_rate must be positive, got {frame_rate}")
    step = CREPE_SAMPLE_RATE / frame_rate  # 16 kHz samples per frame; fractional at 44.1 kHz
    hop = int(step) if step.is_integer() else step
    n_seconds = x.shape[-1] / sample_rate
    x = resample_audio(x.float(), sample_rate, CREPE_SAMPLE_RATE)
    n_frames = math.ceil(n_seconds * frame_rate - 1e-9) if padding != "center" else None
    f0_hz, confidence = predict(
        x,
        hop,
        n_frames,
        crepe_model=crepe_model,
        viterbi=viterbi,
        padding=padding,
        batch_size=batch_size,
        dtype=dtype,
    )
    if squeeze:
        return f0_hz[0], confidence[0]
    return f0_hz, confidence


def compute_features(
    audio: Tensor | np.ndarray,
    sample_rate: int,
    hop: int,
    paddings: tuple[str, str | None] = ("end", None),
    crepe_model: str = "full",
    viterbi: bool = True,
    loudness_semantics: str = "paper",
) -> dict[str, Tensor]:
    """f0, confidence and loudness of `audio` on a model's frame grid (`hop` samples per frame).

    The one place conditioning features are computed (prepare, evaluation, demos), so that all of
    them follow one convention: `paddings` is ``(f0 padding, loudness padding)`` (None: the
    loudness semantics' own): a model's `FrameGrid.paddings` (`ddsp_repro.rates`). Audio whose
    length is not a multiple of `hop` gets ``ceil(n / hop)`` frames, the last one over zeros.
    Returns ``f0_hz``, ``f0_confidence`` and ``loudness_db``, each ``[batch, frames]`` (or ``[frames]``).
    """
    from ddsp_repro.dsp.spectral import compute_loudness

    f0_padding, loudness_padding = paddings
    frame_rate = frame_rate_of(sample_rate, hop)
    x = torch.as_tensor(audio)
    f0_hz, confidence = compute_f0(
        x, sample_rate, frame_rate, crepe_model=crepe_model, viterbi=viterbi, padding=f0_padding
    )
    loudness = compute_loudness(
        x.float(), sample_rate, frame_rate, semantics=loudness_semantics, padding=loudness_padding
    )
    return {"f0_hz": f0_hz, "f0_confidence": confidence, "loudness_db": loudness}
