"""The one audio layer: load, check, write a WAV, write atomically."""

import json

import numpy as np
import pytest
import soundfile as sf

from ddsp_repro.audio import (
    AudioFileError,
    atomic_path,
    audio_problem,
    check_audio,
    load_audio,
    write_json_atomic,
    write_wav,
)


@pytest.mark.parametrize(
    "audio, match",
    [(np.full(10, np.nan), "NaN"), (np.zeros(10), "silent"), (np.ones(10) * 1.5, "clips")],
)
def test_check_audio_refuses_bad_audio(audio, match):
    assert match in audio_problem(audio) or match == "NaN"
    with pytest.raises(ValueError, match=match):
        check_audio(audio, "x")


def test_check_audio_passes_full_scale_and_allows_loud_when_asked():
    check_audio(np.array([0.5, -1.0]), "x")  # exactly full scale is not clipping
    check_audio(np.array([0.5, -1.5]), "x", allow_loud=True)


def test_write_wav_policies(tmp_path):
    loud = np.array([0.1, 2.0, -0.5] * 100, np.float32)
    info = write_wav(tmp_path / "scaled.wav", loud, 16000)
    assert info["peak"] == 2.0 and info["scaled_by"] == pytest.approx(0.49)
    assert np.abs(sf.read(tmp_path / "scaled.wav")[0]).max() == pytest.approx(0.98, abs=1e-4)
    write_wav(tmp_path / "clipped.wav", loud, 16000, peak="clip", subtype="FLOAT")
    np.testing.assert_array_equal(sf.read(tmp_path / "clipped.wav", dtype="float32")[0], np.clip(loud, -1, 1))
    with pytest.raises(ValueError, match="clips"):
        write_wav(tmp_path / "raised.wav", loud, 16000, peak="raise")
    with pytest.raises(ValueError, match="silent"):
        write_wav(tmp_path / "silent.wav", np.zeros(100), 16000)
    with pytest.warns(UserWarning, match="NaN"):
        write_wav(tmp_path / "nan.wav", np.full(100, np.nan), 16000, bad="warn")
    assert not np.isnan(sf.read(tmp_path / "nan.wav")[0]).any()
    assert not (tmp_path / "raised.wav").exists() and not (tmp_path / "silent.wav").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clipped.wav", "nan.wav", "scaled.wav"]


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "report.json"
    write_json_atomic(target, {"v": 1})
    with pytest.raises(RuntimeError), atomic_path(target) as partial:
        partial.write_text("half")
        raise RuntimeError("disk full")
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left behind


def test_atomic_path_replaces_a_folder(tmp_path):
    folder = tmp_path / "built"
    for version in ("old", "new"):
        with atomic_path(folder) as partial:
            partial.mkdir()
            (partial / "v.txt").write_text(version)
    assert (folder / "v.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["built"]


def test_load_audio_names_unusable_files(tmp_path):
    (tmp_path / "junk.wav").write_bytes(b"not a wav file")
    with pytest.raises(AudioFileError, match="junk.wav: unreadable"):
        load_audio(tmp_path / "junk.wav")
    sf.write(tmp_path / "quiet.wav", np.zeros(1600, np.float32), 16000)
    with pytest.raises(AudioFileError, match="silent"):
        load_audio(tmp_path / "quiet.wav")


def test_v006_pcm_scale_halves_integer_files_only(tmp_path):
    tone = 0.8 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)
    sf.write(tmp_path / "int.wav", tone, 16000, subtype="PCM_16")
    sf.write(tmp_path / "float.wav", tone.astype(np.float32), 16000, subtype="FLOAT")
    full = load_audio(tmp_path / "int.wav")
    assert np.abs(full).max() == pytest.approx(0.8, abs=1e-3)
    # The official v0.0.6 loader: int16 / 2**16, i.e. half scale.
    np.testing.assert_allclose(load_audio(tmp_path / "int.wav", pcm_scale="v0.0.6"), full / 2, atol=1e-7)
    np.testing.assert_allclose(load_audio(tmp_path / "float.wav", pcm_scale="v0.0.6"), tone, atol=1e-6)
    with pytest.raises(ValueError, match="pcm_scale"):
        load_audio(tmp_path / "int.wav", pcm_scale="half")
