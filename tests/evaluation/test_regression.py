"""The CI metric guard: its comparison, and that it catches a deliberately broken synthesiser."""

import json
from pathlib import Path

import pytest

from ddsp_repro.data.tones import build_tones
from ddsp_repro.evaluation import regression

STORED = Path(__file__).resolve().parents[2] / "evals" / "regression"
BASELINE, TOLERANCES = STORED / "baseline.json", STORED / "tolerances.json"


def test_compare_flags_moves_past_tolerance_and_nan():
    baseline = {k: 1.0 for k in regression.CHECKED}
    tolerance = {k: 0.5 for k in regression.CHECKED}
    assert regression.compare(dict(baseline), baseline, tolerance) == []
    moved = {**baseline, "f0_l1": 1.6, "spectral_distance": float("nan")}
    failures = regression.compare(moved, baseline, tolerance)
    assert len(failures) == 2 and failures[0].startswith("f0_l1")


def test_committed_tolerances_come_from_measured_spread():
    stored = json.loads(TOLERANCES.read_text())
    for key in regression.CHECKED:
        values = [run[key] for run in stored["per_seed"].values()]
        assert stored["spread"][key] == pytest.approx(max(values) - min(values))
        assert stored["tolerance"][key] == pytest.approx(max(stored["spread"][key], stored["floor"][key]))
    assert json.loads(BASELINE.read_text()) == stored["per_seed"]["0"]


@pytest.mark.slow
def test_broken_synth_fails_the_check(tmp_path, monkeypatch):
    """Harmonics played a fifth too high: what `ddsp-repro regression check` must reject."""
    from ddsp_repro.synths import HarmonicSynth

    original = HarmonicSynth.get_signal
    monkeypatch.setattr(
        HarmonicSynth, "get_signal", lambda self, amplitudes, harmonic_distribution, f0_hz: original(
            self, amplitudes, harmonic_distribution, f0_hz * 1.5)
    )  # fmt: skip
    data = build_tones(tmp_path / "data")
    values = regression.run_once(tmp_path, data, seed=0)
    baseline = json.loads(BASELINE.read_text())
    tolerance = json.loads(TOLERANCES.read_text())["tolerance"]
    failures = regression.compare(values, baseline, tolerance)
    assert any(f.startswith("f0_l1") for f in failures), failures
