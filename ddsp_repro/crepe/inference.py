"""Batched CREPE inference: framing, per-frame normalisation, the network and decoding."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ddsp_repro.crepe.decode import decode
from ddsp_repro.crepe.model import FRAME_SIZE, load_crepe

__all__ = ["activations", "frame_audio", "normalize_frames", "predict"]


def frame_audio(audio: Tensor, hop: int, n_frames: int | None, padding: str) -> Tensor:
    """Cut 16 kHz audio ``[batch, n_samples]`` into 1024-sample frames ``[batch, n_frames, 1024]``.

    - ``"end"``: frame ``i`` starts at sample ``i * hop``; the audio is zero-padded (or trimmed)
      at the end to exactly `n_frames` frames (the paper-era code and TFDS NSynth).
    - ``"center"``: 512 zeros on both sides, ``1 + n_samples // hop`` frames centred on the hop
      grid (``crepe``'s own default and the official code's later versions).
    """
    if padding == "end":
        if n_frames is None or n_frames < 1:
            raise ValueError(f"audio of {audio.shape[-1]} samples is too short for one frame")
        length = (n_frames - 1) * hop + FRAME_SIZE
        n = audio.shape[-1]
        audio = F.pad(audio, (0, length - n)) if n < length else audio[:, :length]
    elif padding == "center":
        audio = F.pad(audio, (FRAME_SIZE // 2, FRAME_SIZE // 2))
    else:
        raise ValueError(f"padding must be 'end' or 'center', got {padding!r}")
    return audio.unfold(-1, FRAME_SIZE, hop)


def normalize_frames(frames: Tensor) -> Tensor:
    """Zero mean and unit (population) standard deviation per frame, std floored at 1e-8 (``crepe``)."""
    frames = frames - frames.mean(dim=-1, keepdim=True)
    std = frames.std(dim=-1, keepdim=True, correction=0)
    return frames / std.clamp(min=1e-8)


def activations(
    frames: Tensor,
    crepe_model: str = "full",
    batch_size: int = 256,
    dtype: torch.dtype = torch.float32,
) -> Tensor:
    """360-bin CREPE activations for normalised frames ``[..., 1024]`` -> ``[..., 360]``.

    Runs under ``torch.inference_mode`` in chunks of `batch_size` frames. 256 full-model frames
    need about 0.3 GB for the first layer's output; 1024 measured 4% faster for 0.5 GB more.
    """
    net = load_crepe(crepe_model, frames.device, dtype)
    flat = frames.reshape(-1, FRAME_SIZE).to(dtype)
    with torch.inference_mode():
        out = (
            torch.cat([net(chunk) for chunk in flat.split(batch_size)])
            if flat.shape[0]
            else flat.new_zeros(0, 360)
        )
    return out.float().reshape(*frames.shape[:-1], 360)


def predict(
    audio: Tensor,
    hop: int,
    n_frames: int | None,
    crepe_model: str = "full",
    viterbi: bool = True,
    padding: str = "end",
    batch_size: int = 256,
    dtype: torch.dtype = torch.float32,
) -> tuple[Tensor, Tensor]:
    """f0 (Hz) and confidence ``[batch, n_frames]`` for 16 kHz audio ``[batch, n_samples]``."""
    frames = normalize_frames(frame_audio(audio.float(), hop, n_frames, padding))
    act = activations(frames, crepe_model=crepe_model, batch_size=batch_size, dtype=dtype)
    return decode(act, viterbi=viterbi)
