"""Per-example measures shared by the evaluation (`evals.metrics`) and the demonstrations.

Loudness L1 in dB and F0 L1 in semitones, computed as the official evaluation code does
(reference section 1.2); `evals.metrics` accumulates them across examples and processes.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ddsp_repro.dsp import hz_to_midi

__all__ = ["MIN_F0_CONFIDENCE", "OUTLIER_SEMITONES", "f0_l1_per_example", "loudness_l1_per_example"]

MIN_F0_CONFIDENCE = 0.85
OUTLIER_SEMITONES = 12.0


def loudness_l1_per_example(loudness_db: Tensor, target_loudness_db: Tensor) -> Tensor:
    """``[batch, n_frames]`` dB tracks -> ``[batch]`` mean absolute difference in dB."""
    return (loudness_db - target_loudness_db).abs().mean(-1)


def _midi(f0_hz: Tensor) -> Tensor:
    # librosa.hz_to_midi as the official code: 0 Hz -> -inf, which it maps to MIDI 0.
    midi = hz_to_midi(f0_hz.clamp(min=0.0))
    return torch.where(f0_hz > 0, midi, torch.zeros_like(midi))


def f0_l1_per_example(f0_hz: Tensor, target_f0_hz: Tensor, target_confidence: Tensor) -> Tensor:
    """``[batch]`` mean |MIDI difference| over frames with target confidence >= 0.85 (NaN if none)."""
    mask = target_confidence >= MIN_F0_CONFIDENCE
    diff = (_midi(f0_hz) - _midi(target_f0_hz)).abs() * mask
    return diff.sum(-1) / mask.sum(-1)  # 0 / 0 = NaN for GT-untrackable examples
