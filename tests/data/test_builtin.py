import hashlib

import numpy as np
import pytest
import soundfile as sf

from ddsp_repro.data import builtin
from ddsp_repro.data.nsynth import acoustic_subset, read_examples

pytest.importorskip("tinysoundfont")
try:
    builtin.find_soundfont()
except FileNotFoundError:
    pytest.skip(
        "no General-MIDI soundfont installed (apt-get install fluid-soundfont-gm)", allow_module_level=True
    )

SMALL = builtin.BuiltinSpec(velocities=(100,), pitch_step=12)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_builds_nsynth_layout_deterministically(tmp_path):
    counts = builtin.build(tmp_path / "a", SMALL)
    assert sum(counts.values()) > 20 and counts["train"] > counts["valid"]
    examples = read_examples(tmp_path / "a", "train")
    assert acoustic_subset(examples) == examples  # acoustic, pitches 24-84 only
    families = {e.instrument_family_str for e in examples}
    assert {"string", "brass", "reed", "flute", "keyboard"} <= families
    audio, sr = sf.read(examples[0].path, dtype="float32")
    assert sr == 16000 and audio.shape == (64000,)
    assert 1e-3 < np.abs(audio).max() < 1.0
    # Held for 3 s, then released: the last half second is much quieter than the held part.
    assert np.abs(audio[-8000:]).max() < np.abs(audio[:48000]).max()
    builtin.build(tmp_path / "b", SMALL)
    first = examples[0].path.relative_to(tmp_path / "a")
    assert _digest(tmp_path / "a" / first) == _digest(tmp_path / "b" / first)
    assert not (tmp_path / "a.partial").exists()


def test_refuses_to_overwrite_and_names_missing_soundfont(tmp_path, monkeypatch):
    builtin.build(tmp_path / "a", builtin.BuiltinSpec(velocities=(100,), pitch_step=30))
    with pytest.raises(FileExistsError, match="already holds"):
        builtin.build(tmp_path / "a", SMALL)
    with pytest.raises(FileNotFoundError, match="fluid-soundfont-gm"):
        builtin.find_soundfont(str(tmp_path / "nope.sf2"))


def test_ensure_builtin_builds_only_when_missing(tmp_path):
    spec = builtin.BuiltinSpec(velocities=(100,), pitch_step=30)
    out = builtin.ensure_builtin(tmp_path / "d", spec)
    marker = next((out / "nsynth-train" / "audio").glob("*.wav"))
    mtime = marker.stat().st_mtime_ns
    assert builtin.ensure_builtin(tmp_path / "d", spec) == out
    assert marker.stat().st_mtime_ns == mtime
