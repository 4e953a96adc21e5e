import json
import os

import numpy as np
import pytest
import soundfile as sf

from ddsp_repro.data.prepare import FeatureSettings, StaleCacheError, load_prepared, prepare, summarize
from tests.helpers.audio import nsynth_folder

TINY = FeatureSettings(crepe_model="tiny")


def test_prepares_features_in_shards(tmp_path):
    src = nsynth_folder(tmp_path / "src")
    summary = prepare(src, tmp_path / "out", TINY, shard_size=2, progress=False)
    assert summary["complete"] and summary["examples"] == 3
    data = load_prepared(tmp_path / "out")
    assert data["audio"].shape == (3, 64000)
    assert data["f0_hz"].shape == data["f0_confidence"].shape == data["loudness_db"].shape == (3, 1000)
    pitch = data["pitch"][0]
    confident = data["f0_confidence"][0] > 0.5  # tiny CREPE is less sure of pure sines than full
    cents = 1200 * np.abs(np.log2(data["f0_hz"][0][confident] / (440 * 2 ** ((pitch - 69) / 12))))
    assert confident.mean() > 0.9 and np.median(cents) < 20
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["settings"]["crepe_model"] == "tiny"


def test_resume_skips_finished_shards_and_ignores_partial_files(tmp_path):
    src = nsynth_folder(tmp_path / "src")
    out = tmp_path / "out"
    prepare(src, out, TINY, shard_size=1, progress=False)
    kept = out / "shard-00000.npz"
    os.utime(kept, (1, 1))  # mark: a recomputed shard would get a new mtime
    (out / "shard-00002.npz").unlink()  # as if killed before the last shard finished
    (out / ".shard-00002.npz.partial").write_bytes(b"half a file")
    with pytest.raises(RuntimeError, match="unfinished"):
        load_prepared(out)
    assert not summarize(out)["complete"]
    prepare(src, out, TINY, shard_size=1, progress=False)
    assert kept.stat().st_mtime == 1  # finished work was not redone
    assert load_prepared(out)["audio"].shape[0] == 3


def test_stale_cache_is_detected(tmp_path):
    src = nsynth_folder(tmp_path / "src")
    out = tmp_path / "out"
    prepare(src, out, TINY, shard_size=2, progress=False)
    with pytest.raises(StaleCacheError, match="settings"):
        prepare(src, out, FeatureSettings(crepe_model="tiny", viterbi=False), shard_size=2, progress=False)
    wav = next((src / "nsynth-train" / "audio").glob("*.wav"))
    sf.write(wav, np.zeros(64000, np.float32) + 0.1, 16000)
    with pytest.raises(StaleCacheError, match="source_hash"):
        prepare(src, out, TINY, shard_size=2, progress=False)
    assert prepare(src, out, TINY, shard_size=2, overwrite=True, progress=False)["complete"]


def test_unreadable_source_files_are_skipped_and_counted(tmp_path):
    src = nsynth_folder(tmp_path / "src")
    bad = sorted((src / "nsynth-train" / "audio").glob("*.wav"))[0]
    bad.write_bytes(b"RIFF broken")
    summary = prepare(src, tmp_path / "out", TINY, shard_size=8, progress=False)
    assert summary["examples"] == 2 and summary["skipped_unreadable"] == 1


def test_recordings_source(tmp_path):
    rec = tmp_path / "rec"
    rec.mkdir()
    t = np.arange(int(5.5 * 44100)) / 44100
    sf.write(rec / "take.wav", np.stack([0.3 * np.sin(2 * np.pi * 196 * t)] * 2, axis=1), 44100)
    sf.write(rec / "silence.wav", np.zeros(44100), 44100)
    summary = prepare(rec, tmp_path / "out", TINY, progress=False)
    assert summary["source_kind"] == "recordings" and summary["examples"] == 3  # windows at 0, 1, 2 s
    assert summary["skipped_at_scan"]["silent"][0].endswith("silence.wav")


def test_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        prepare(tmp_path / "nothing", tmp_path / "out", TINY, progress=False)
    with pytest.raises(FileNotFoundError, match="prepare"):
        load_prepared(tmp_path / "out")
