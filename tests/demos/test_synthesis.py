import json

import numpy as np
import soundfile as sf

from ddsp_repro.demos.synthesis import run_demo


def test_demo_writes_audible_audio_figure_and_summary(tmp_path):
    result = run_demo(tmp_path)
    for path in result.wav_paths.values():
        audio, sr = sf.read(path)
        assert sr == 16000 and audio.shape == (64000,)
        assert np.isfinite(audio).all() and 1e-4 < np.abs(audio).max() < 1.0
    assert result.figure_path.stat().st_size > 10_000
    summary = json.loads((tmp_path / "demo_summary.json").read_text())
    assert summary["f0_median_error_cents"] < 20  # CREPE tiny re-measures the f0 control
