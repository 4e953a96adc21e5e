"""The shared figures: written atomically as PNGs, tolerant of a broken resynthesis."""

import numpy as np

from ddsp_repro.plots import plot_example, plot_losses, spectrogram_db


def test_plots_write_pngs_even_for_nan_audio(tmp_path):
    t = np.arange(16000) / 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    parts = {"target": tone, "resynthesis": np.full_like(tone, np.nan), "f0_hz": np.full(250, 440.0)}
    plot_example(tmp_path / "example.png", parts, 16000, "nan resynthesis")
    plot_losses(tmp_path / "loss.png", {"train/loss": [(1, 3.0), (2, 2.0)], "val/loss": [(2, 2.5)]})
    for name in ("example.png", "loss.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example.png", "loss.png"]
    spec = spectrogram_db(tone)
    assert spec.shape[0] == 513 and spec[440 * 1024 // 16000].mean() > spec[300].mean() + 40
