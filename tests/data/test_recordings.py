import numpy as np
import pytest
import soundfile as sf

from ddsp_repro.audio import AudioFileError, load_audio
from ddsp_repro.data.recordings import scan_recordings, split_windows


def _tone(seconds, sr, channels=1, amp=0.5, hz=330.0):
    t = np.arange(int(seconds * sr)) / sr
    x = (amp * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.stack([x] * channels, axis=1) if channels > 1 else x


@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "recs"
    (d / "sub").mkdir(parents=True)
    sf.write(d / "a_48k_stereo.wav", _tone(6.0, 48000, channels=2), 48000)
    sf.write(d / "b_8bit.wav", _tone(5.0, 16000), 16000, subtype="PCM_U8")
    sf.write(d / "sub" / "c_short.flac", _tone(1.5, 22050), 22050)
    sf.write(d / "d_silent.wav", np.zeros(32000, np.float32), 16000)
    nan = _tone(5.0, 16000)
    nan[100] = np.nan
    sf.write(d / "e_nan.wav", nan, 16000, subtype="FLOAT")
    (d / "f_corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    good = (d / "a_48k_stereo.wav").read_bytes()
    (d / "g_truncated.wav").write_bytes(good[:40])  # header only, cut mid-way
    (d / "notes.txt").write_text("not audio")
    return d


def test_scan_keeps_good_files_and_counts_every_skip(folder):
    result = scan_recordings(folder)
    names = sorted({p.name for p in result.files})
    assert names == ["a_48k_stereo.wav", "b_8bit.wav", "c_short.flac"]
    # 6 s -> windows at 0, 1, 2 s (last padded); 5 s -> 0, 1 s; 1.5 s -> one padded window.
    assert result.audio.shape == (3 + 2 + 1, 64000)
    assert [p.name for p in result.padded_short_files] == ["c_short.flac"]
    assert {p.name for p in result.skipped["silent"]} == {"d_silent.wav"}
    assert {p.name for p in result.skipped["holds NaN or infinite samples"]} == {"e_nan.wav"}
    unreadable = {p.name for p in result.skipped["unreadable"]}
    assert unreadable == {"f_corrupt.wav", "g_truncated.wav"}
    summary = result.summary()
    assert "skipped 1 silent" in summary and "skipped 2 unreadable" in summary


def test_resampled_stereo_is_mono_16k_with_pitch_kept(folder):
    audio = load_audio(folder / "a_48k_stereo.wav")
    assert audio.ndim == 1 and len(audio) == 6 * 16000
    spectrum = np.abs(np.fft.rfft(audio[:16000]))
    assert np.argmax(spectrum) == 330


def test_windows_follow_the_official_hop_and_padding():
    audio = np.arange(10, dtype=np.float32)
    w = split_windows(audio, window=4, hop=3)
    np.testing.assert_array_equal(w, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
    assert split_windows(np.ones(2, np.float32), 4, 3).tolist() == [[1, 1, 0, 0]]


def test_heldout_split_is_by_file(folder):
    result = scan_recordings(folder, valid_fraction=0.5)
    by_file = {}
    for path, split in zip(result.files, result.splits, strict=True):
        by_file.setdefault(path, set()).add(split)
    assert all(len(s) == 1 for s in by_file.values())


def test_empty_and_unusable_folders_give_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        scan_recordings(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no audio files"):
        scan_recordings(tmp_path / "empty")
    (tmp_path / "bad").mkdir()
    sf.write(tmp_path / "bad" / "quiet.wav", np.zeros(16000, np.float32), 16000)
    with pytest.raises(ValueError, match="no usable recordings.*silent"):
        scan_recordings(tmp_path / "bad")
    with pytest.raises(AudioFileError, match="silent"):
        load_audio(tmp_path / "bad" / "quiet.wav")
