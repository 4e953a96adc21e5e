"""The paper's metrics on constructed cases with known answers."""

import math

import numpy as np
import pytest
import torch

from ddsp_repro.dsp import compute_f0, compute_loudness
from ddsp_repro.evaluation.metrics import F0Accuracy, LoudnessL1, f0_l1_per_example

pytest.importorskip("torchmetrics")


def _tone(hz, seconds=1.0, gain=0.3):
    t = torch.arange(int(16000 * seconds)) / 16000
    return gain * sum(torch.sin(2 * math.pi * k * hz * t) / k for k in (1, 2, 3))


def test_one_semitone_shift_gives_f0_l1_of_one():
    target, shifted = _tone(220.0), _tone(220.0 * 2 ** (1 / 12))
    f0_t, conf_t = compute_f0(target[None], crepe_model="tiny")
    f0_s, conf_s = compute_f0(shifted[None], crepe_model="tiny")
    metric = F0Accuracy()
    metric.update(f0_s, conf_s, f0_t, conf_t)
    result = metric.compute()
    assert result["f0_l1"].item() == pytest.approx(1.0, abs=0.1)  # CREPE's bins are 20 cents
    assert result["f0_outlier_ratio_v006"] == 0 and result["trackable_v006"] == 1


def test_six_db_gain_change_gives_six_db_loudness_l1():
    # Paper-era loudness averages dB over bins, each floored at -120 dB: with white noise every
    # bin of every frame sits above the floor, so a 6 dB gain moves every value by 6 dB.
    noise = 0.3 * (2 * torch.rand(1, 16000, generator=torch.Generator().manual_seed(0)) - 1)
    louder = noise * 10 ** (6 / 20)
    ld, ld_louder = compute_loudness(noise), compute_loudness(louder)
    metric = LoudnessL1()
    metric.update(ld_louder, ld)
    assert metric.compute().item() == pytest.approx(6.0, abs=1e-3)
    # A tone leaves the bins far from its partials on the floor, so it moves by less.
    tone = _tone(330.0)[None]
    partial = LoudnessL1()
    partial.update(compute_loudness(tone * 10 ** (6 / 20)), compute_loudness(tone))
    assert 4.0 < partial.compute().item() < 6.0
    assert metric.compute_scaled().item() == pytest.approx(6.0 / 120, abs=1e-3)


def test_untrackable_ground_truth_is_excluded_and_counted_per_version():
    frames = 50
    f0 = torch.full((4, frames), 440.0)
    conf = torch.full((4, frames), 0.95)
    target_f0, target_conf = f0.clone(), conf.clone()
    target_conf[0] = 0.5  # example 0: ground truth never confident -> excluded from F0 L1
    f0[1] = 440.0 * 2**2  # example 1: two octaves off -> outlier (24 semitones)
    conf[2] = 0.3  # example 2: resynthesis untrackable (v0.0.6 counts it; later versions do not)
    f0[3] = 440.0 * 2 ** (0.5 / 12)  # example 3: half a semitone off
    metric = F0Accuracy()
    metric.update(f0, conf, target_f0, target_conf)
    r = metric.compute()
    assert math.isnan(f0_l1_per_example(f0, target_f0, target_conf)[0])
    assert r["f0_l1"].item() == pytest.approx(0.5, abs=1e-4)  # v0.0.6: only example 3 is trackable
    assert r["f0_l1_head"].item() == pytest.approx(0.25, abs=1e-4)  # later: examples 2 and 3
    assert r["f0_outlier_ratio_v006"].item() == pytest.approx(3 / 4)  # GT-untrackable + gen-untr. + outlier
    assert r["f0_outlier_ratio_head"].item() == pytest.approx(1 / 3)  # outlier / GT-trackable
    assert (r["gt_untrackable"], r["gen_untrackable"], r["n_examples"]) == (1, 1, 4)


def test_states_merge_like_one_process():
    """What DDP's sum reduction does: merging two halves equals one metric over everything."""
    rng = np.random.default_rng(0)
    f0 = torch.tensor(rng.uniform(100, 800, (6, 40)), dtype=torch.float32)
    target = f0 * torch.tensor(2 ** (rng.normal(0, 3, (6, 1)) / 12), dtype=torch.float32)
    conf = torch.tensor(rng.uniform(0.5, 1.0, (6, 40)), dtype=torch.float32)
    whole, a, b = F0Accuracy(), F0Accuracy(), F0Accuracy()
    whole.update(f0, conf, target, conf)
    a.update(f0[:3], conf[:3], target[:3], conf[:3])
    b.update(f0[3:], conf[3:], target[3:], conf[3:])
    a.merge_state(b)
    for key, value in whole.compute().items():
        torch.testing.assert_close(a.compute()[key], value, equal_nan=True)
