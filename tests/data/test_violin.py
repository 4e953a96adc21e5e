import json

import numpy as np
import pytest
import soundfile as sf

pytest.importorskip("tinysoundfont")
pytest.importorskip("music21")
from ddsp_repro.data import builtin  # noqa: E402
from ddsp_repro.data.recordings import scan_recordings  # noqa: E402
from ddsp_repro.data.violin import ViolinSpec, build_violin  # noqa: E402

try:
    builtin.find_soundfont()
except FileNotFoundError:
    pytest.skip("no General-MIDI soundfont installed", allow_module_level=True)


def test_violin_stand_in_renders_expressive_tunes_usable_as_recordings(tmp_path):
    out = tmp_path / "violin"
    result = build_violin(out, ViolinSpec(minutes=0.15, max_tune_seconds=6.0))
    assert result["tunes"] >= 1 and result["seconds"] >= 9
    meta = json.loads((out / "tunes.json").read_text())
    assert "Aird" in meta["source"] and meta["tunes"][0]["title"]
    audio, sr = sf.read(out / meta["tunes"][0]["file"], dtype="float32")
    assert sr == 16000 and np.isfinite(audio).all() and 1e-3 < np.abs(audio).max() <= 0.9 + 1e-4
    windows = scan_recordings(out)  # a "recordings" source for prepare / the data module
    assert windows.audio.shape[1] == 64000 and not windows.skipped
    with pytest.raises(FileExistsError):
        build_violin(out, ViolinSpec(minutes=0.1))


def test_vibrato_modulates_the_rendered_pitch(tmp_path):
    import torch

    from ddsp_repro.dsp import compute_f0

    out = tmp_path / "v"
    build_violin(out, ViolinSpec(minutes=0.05, max_tune_seconds=5.0, seed=1))
    name = json.loads((out / "tunes.json").read_text())["tunes"][0]["file"]
    audio, _ = sf.read(out / name, dtype="float32")
    f0, conf = compute_f0(torch.from_numpy(audio[: 4 * 16000]), crepe_model="tiny", padding="center")
    cents = 1200 * np.log2(f0[conf > 0.5].numpy() / np.median(f0[conf > 0.5].numpy()))
    # Within held notes the pitch wobbles by tens of cents (depth 0.15-0.3 semitone), not 0.
    wobble = np.abs(np.diff(cents))
    assert np.percentile(wobble[wobble < 50], 90) > 1.0
