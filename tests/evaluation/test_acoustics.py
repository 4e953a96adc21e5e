"""Room measurements against rooms of known decay."""

import math

import numpy as np
import pytest

from ddsp_repro.evaluation.acoustics import decay_after, drr_db, rt60


def test_rt60_and_drr_of_known_rooms():
    sr = 16000
    rng = np.random.default_rng(0)
    for target in (0.3, 0.8):
        t = np.arange(int(2 * target * sr)) / sr
        ir = rng.standard_normal(t.size) * 10 ** (-3 * t / target)  # -60 dB at `target` s
        assert rt60(ir, sr) == pytest.approx(target, rel=0.05)
    ir = np.zeros(1600)
    ir[0], ir[100:] = 1.0, 0.01
    assert drr_db(ir, sr) == pytest.approx(10 * math.log10(1 / (1500 * 1e-4)), abs=0.1)
    dry = np.concatenate([np.ones(1000), np.zeros(1000)])
    assert decay_after(dry, 1000, sr)["tail_db"] < -200 and math.isnan(decay_after(dry, 1000, sr)["rt60_s"])
    with pytest.raises(ValueError, match="inside the audio"):
        decay_after(dry, 0, sr)
