import json

import numpy as np
import pytest
import soundfile as sf

from ddsp_repro.demo import check_audio, run_demo


def test_demo_writes_audible_audio_figure_and_summary(tmp_path):
    result = run_demo(tmp_path)
    for path in result.wav_paths.values():
        audio, sr = sf.read(path)
        assert sr == 16000 and audio.shape == (64000,)
        assert np.isfinite(audio).all() and 1e-4 < np.abs(audio).max() < 1.0
    assert result.figure_path.stat().st_size > 10_000
    summary = json.loads((tmp_path / "demo_summary.json").read_text())
    assert summary["f0_median_error_cents"] < 20  # CREPE tiny re-measures the f0 control


@pytest.mark.parametrize(
    "audio, match",
    [(np.full(10, np.nan), "NaN"), (np.zeros(10), "silent"), (np.ones(10) * 1.5, "clips")],
)
def test_check_audio_refuses_bad_audio(audio, match):
    with pytest.raises(ValueError, match=match):
        check_audio("x", audio)
