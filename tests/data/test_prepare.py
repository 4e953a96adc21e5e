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


def _features_digest(out) -> str:
    import hashlib

    data = load_prepared(out)
    digest = hashlib.sha256()
    for key in sorted(data):
        digest.update(key.encode() + np.ascontiguousarray(data[key]).tobytes())
    return digest.hexdigest()


def _recording(folder, seconds: float = 14.0):
    folder.mkdir()
    t = np.arange(int(seconds * 16000)) / 16000
    f0 = 220 * 2 ** (np.floor(t) / 12)  # a semitone up every second
    sf.write(folder / "take.wav", 0.4 * np.sin(2 * np.pi * np.cumsum(f0) / 16000), 16000)
    return folder


def test_a_prepare_killed_at_random_moments_ends_with_the_uninterrupted_features(tmp_path):
    import random
    import signal
    import subprocess
    import sys
    import time

    from tests.helpers import REPO

    src = _recording(tmp_path / "rec")  # 11 windows, one per shard
    prepare(src, tmp_path / "straight", TINY, shard_size=1, progress=False)
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "ddsp_repro.data.prepare", str(src), str(out), "--workers", "1"]
    command += ["--shard-size", "1", "--crepe-model", "tiny"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    moments = random.Random(0)
    kills = 0
    for _ in range(4):
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        before = len(list(out.glob("shard-*.npz")))
        deadline = time.time() + 60
        while time.time() < deadline and len(list(out.glob("shard-*.npz"))) == before and proc.poll() is None:
            time.sleep(0.01)  # wait until this run has finished a shard of its own
        time.sleep(moments.uniform(0.0, 0.4))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 3 and not summarize(out)["complete"], "prepare finished before it could be killed"
    subprocess.run(command, cwd=REPO, env=env, check=True, capture_output=True)
    assert summarize(out)["complete"]
    assert _features_digest(out) == _features_digest(tmp_path / "straight")
    straight = json.loads((tmp_path / "straight" / "manifest.json").read_text())["shard_sha256"]
    assert json.loads((out / "manifest.json").read_text())["shard_sha256"] == straight


def test_a_damaged_shard_is_detected_and_recomputed_not_loaded(tmp_path, caplog):
    src = nsynth_folder(tmp_path / "src")
    out = tmp_path / "out"
    prepare(src, out, TINY, shard_size=1, progress=False)
    digest = _features_digest(out)
    shard = out / "shard-00001.npz"
    damaged = bytearray(shard.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # one flipped byte: still a file of the right size
    shard.write_bytes(bytes(damaged))
    summary = summarize(out)
    assert summary["damaged"] == ["shard-00001.npz"] and not summary["complete"]
    with pytest.raises(
        RuntimeError, match=r"shard-00001.npz do not match the checksums .*rerun the same prepare"
    ):
        load_prepared(out)
    with caplog.at_level("WARNING", logger="ddsp_repro"):
        prepare(src, out, TINY, shard_size=1, progress=False)
    assert "shard-00001.npz is damaged" in caplog.text
    assert _features_digest(out) == digest


def test_a_shard_the_manifest_does_not_know_is_kept_if_it_reads(tmp_path):
    """Killed between a shard's rename and the manifest's update: the finished shard is not redone."""
    src = nsynth_folder(tmp_path / "src")
    out = tmp_path / "out"
    prepare(src, out, TINY, shard_size=1, progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["shard_sha256"]["shard-00002.npz"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    os.utime(out / "shard-00002.npz", (1, 1))
    assert prepare(src, out, TINY, shard_size=1, progress=False)["complete"]
    assert (out / "shard-00002.npz").stat().st_mtime == 1
