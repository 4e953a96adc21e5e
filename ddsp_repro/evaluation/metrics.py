"""The paper's resynthesis metrics (Table 1) as torchmetrics `Metric`s that reduce across processes.

Definitions follow the official evaluation code (v0.0.6 `eval_util.MetricsWriter`, which calls
them "WaveRNN metrics", and its later `metrics.py`), reference sections 1.2 and 3.6:

- **Loudness L1**: per example, the mean over frames of |loudness(resynthesis) - loudness(target)|
  in dB (paper-era loudness, no mask); averaged over examples. Also reported divided by 120 (the
  network's loudness scaling), since the paper's 0.07-0.10 look like that scale.
- **F0 L1**: CREPE (full, Viterbi, 4 ms) on the resynthesis against the ground-truth f0, in
  semitones, on frames whose ground-truth confidence is >= 0.85; per example, then averaged over
  the examples counted as trackable. Examples whose ground truth never reaches 0.85 are excluded.
- **F0 outlier ratio**, per example, in both official countings:
  v0.0.6: (GT-untrackable + gen-untrackable + F0 L1 > 12) / all examples, where gen-untrackable
  means the resynthesis never reaches confidence 0.85 (those examples get no F0 L1);
  later versions: (F0 L1 > 12) / examples with trackable ground truth, with no check on the
  resynthesis' confidence (its F0 L1 counts unless it is an outlier).

`loudness_l1_per_example` and `f0_l1_per_example` give the per-example values (the demonstrations
use them directly); the `Metric` classes accumulate them. Each metric keeps sums and counts as
states with ``dist_reduce_fx="sum"``, so values computed in several DDP processes and reduced equal
those of one process over all examples.
"""

from __future__ import annotations

import torch
import torchmetrics
from torch import Tensor

from ddsp_repro.dsp import LD_RANGE, hz_to_midi

__all__ = [
    "MIN_F0_CONFIDENCE",
    "OUTLIER_SEMITONES",
    "F0Accuracy",
    "LoudnessL1",
    "MeanPerExample",
    "f0_l1_per_example",
    "loudness_l1_per_example",
]

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


class MeanPerExample(torchmetrics.Metric):
    """Mean over examples of a per-example value (sum and count reduce across processes)."""

    full_state_update = False

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.add_state("total", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, values: Tensor) -> None:
        self.total += values.detach().double().sum()
        self.count += values.numel()

    def compute(self) -> Tensor:
        return self.total / self.count


class LoudnessL1(MeanPerExample):
    """Loudness L1 in dB; `compute_scaled` gives it / 120."""

    def update(self, loudness_db: Tensor, target_loudness_db: Tensor) -> None:  # type: ignore[override]
        super().update(loudness_l1_per_example(loudness_db, target_loudness_db))

    def compute_scaled(self) -> Tensor:
        return self.compute() / LD_RANGE


class F0Accuracy(torchmetrics.Metric):
    """F0 L1 and the F0 outlier ratio, counted per example as both official versions do."""

    full_state_update = False
    COUNTERS = ("n_examples", "gt_untrackable", "gen_untrackable", "outliers_v006", "trackable_v006",
                "outliers_head", "trackable_head")  # fmt: skip

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        for name in self.COUNTERS:
            self.add_state(name, torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")
        for name in ("sum_l1_v006", "sum_l1_head"):
            self.add_state(name, torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    @staticmethod
    def classify(
        f0_hz: Tensor, confidence: Tensor, target_f0_hz: Tensor, target_confidence: Tensor
    ) -> dict[str, Tensor]:
        """Per-example F0 L1 (NaN when the ground truth is untrackable) and boolean categories."""
        l1 = f0_l1_per_example(f0_hz, target_f0_hz, target_confidence)
        gt_untrackable = target_confidence.amax(-1) < MIN_F0_CONFIDENCE
        gen_untrackable = ~gt_untrackable & (confidence.amax(-1) < MIN_F0_CONFIDENCE)
        outlier = ~gt_untrackable & (l1 > OUTLIER_SEMITONES)
        return {
            "f0_l1": l1,
            "gt_untrackable": gt_untrackable,
            "gen_untrackable": gen_untrackable,
            "outlier_v006": outlier & ~gen_untrackable,
            "trackable_v006": ~gt_untrackable & ~gen_untrackable & ~outlier,
            "outlier_head": outlier,
            "trackable_head": ~gt_untrackable & ~outlier,
        }

    def update(
        self, f0_hz: Tensor, confidence: Tensor, target_f0_hz: Tensor, target_confidence: Tensor
    ) -> None:
        c = self.classify(f0_hz, confidence, target_f0_hz, target_confidence)
        l1 = torch.nan_to_num(c["f0_l1"].double(), nan=0.0)
        self.n_examples += f0_hz.shape[0]
        self.gt_untrackable += c["gt_untrackable"].sum()
        self.gen_untrackable += c["gen_untrackable"].sum()
        self.outliers_v006 += c["outlier_v006"].sum()
        self.trackable_v006 += c["trackable_v006"].sum()
        self.outliers_head += c["outlier_head"].sum()
        self.trackable_head += c["trackable_head"].sum()
        self.sum_l1_v006 += (l1 * c["trackable_v006"]).sum()
        self.sum_l1_head += (l1 * c["trackable_head"]).sum()

    def compute(self) -> dict[str, Tensor]:
        n_gt_trackable = self.n_examples - self.gt_untrackable
        return {
            "f0_l1": self.sum_l1_v006 / self.trackable_v006,
            "f0_l1_head": self.sum_l1_head / self.trackable_head,
            "f0_outlier_ratio_v006": (
                self.gt_untrackable + self.gen_untrackable + self.outliers_v006
            ).double()
            / self.n_examples,
            "f0_outlier_ratio_head": self.outliers_head.double() / n_gt_trackable,
            **{name: getattr(self, name).clone() for name in self.COUNTERS},
        }
