import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ddsp_repro import dsp
from tests.helpers import max_abs, t


def test_exp_sigmoid_matches_official(official):
    out = dsp.exp_sigmoid(t(official["exp_sigmoid_in"]))
    assert max_abs(out, official["exp_sigmoid_out"]) < 1e-6


def test_exp_sigmoid_bounds_and_slope():
    x = torch.tensor([-1e3, 0.0, 1e3])
    y = dsp.exp_sigmoid(x)
    assert y[0] == pytest.approx(1e-7, rel=1e-3)
    assert y[2] == pytest.approx(2.0 + 1e-7)
    # Far below zero the output scales by `exponent` per unit of input.
    y6, y7 = (dsp.exp_sigmoid(torch.tensor(x, dtype=torch.float64)) - 1e-7 for x in (-6.0, -7.0))
    assert float(y6 / y7) == pytest.approx(10.0, rel=2e-2)


@settings(max_examples=50, deadline=None)
@given(st.floats(min_value=0.0, max_value=135.0))
def test_midi_hz_roundtrip(midi):
    x = torch.tensor(midi, dtype=torch.float64)
    assert float(dsp.hz_to_midi(dsp.midi_to_hz(x))) == pytest.approx(midi, abs=1e-9)


def test_hz_to_midi_known_values_and_zero():
    hz = torch.tensor([440.0, 261.6255653, 0.0, -5.0])
    np.testing.assert_allclose(dsp.hz_to_midi(hz).numpy(), [69.0, 60.0, 0.0, 0.0], atol=1e-4)


def test_db_helpers_roundtrip_and_floor():
    p = torch.tensor([1.0, 1e-3, 0.0])
    db = dsp.power_to_db(p, range_db=80.0)
    np.testing.assert_allclose(db.numpy(), [0.0, -30.0, -80.0], atol=1e-5)
    np.testing.assert_allclose(dsp.db_to_power(db[:2]).numpy(), p[:2].numpy(), rtol=1e-5)
    np.testing.assert_allclose(
        dsp.amplitude_to_db(torch.tensor([0.5])).numpy(), [20 * math.log10(0.5)], atol=1e-5
    )
    np.testing.assert_allclose(dsp.db_to_amplitude(torch.tensor([-6.0206])).numpy(), [0.5], atol=1e-4)


def test_resample_linear_matches_official_tf1_mapping(official):
    x = t(official["resample_in"])
    assert max_abs(dsp.resample(x, 160, "linear"), official["resample_linear_out"]) < 1e-5
    assert max_abs(dsp.resample(x, 37, "linear"), official["resample_linear_odd_out"]) < 1e-5


def test_resample_linear_is_not_half_pixel():
    x = torch.tensor([[0.0, 1.0]])[..., None]
    out = dsp.resample(x, 4, "linear")[0, :, 0]
    # TF1 mapping: positions 0, 0.5, 1, 1.5 (held) -> 0, 0.5, 1, 1.
    np.testing.assert_allclose(out.numpy(), [0.0, 0.5, 1.0, 1.0])


def test_resample_window_matches_official(official):
    x = t(official["resample_in"])
    assert max_abs(dsp.resample(x, 160, "window"), official["resample_window_out"]) < 1e-5


def test_window_upsampling_keeps_constants_constant():
    x = torch.full((1, 7, 2), 0.3)
    np.testing.assert_allclose(dsp.resample(x, 70, "window").numpy(), 0.3, atol=1e-7)


def test_resample_errors():
    with pytest.raises(ValueError, match="divisible"):
        dsp.resample(torch.zeros(1, 10, 1), 64001, "window")
    with pytest.raises(ValueError, match="method"):
        dsp.resample(torch.zeros(1, 10, 1), 100, "cubic-ish")
    with pytest.raises(ValueError, match="dims"):
        dsp.resample(torch.zeros(1, 2, 10, 1), 100)
