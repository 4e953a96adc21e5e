"""The dataset check's verdicts on folders built here: each kind of unfit material, and a clean one."""

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from ddsp_repro.audio import AudioFileError, load_audio
from ddsp_repro.data.check import Thresholds, check_prepared, check_recordings, plot_check
from ddsp_repro.data.prepare import FeatureSettings, prepare
from ddsp_repro.data.recordings import scan_recordings
from tests.helpers import cli
from tests.helpers.audio import chord, melody, noise, plucks

# Minutes scaled down so that seconds of test audio stand for minutes of recordings.
SMALL = Thresholds(problem_minutes=0.05, warning_minutes=0.1)


def _folder(tmp_path, name, **files):
    folder = tmp_path / name
    folder.mkdir()
    for file, (audio, rate, subtype) in files.items():
        sf.write(folder / file, audio, rate, subtype=subtype)
    return folder


def _topics(report, level):
    return {f.topic for f in report.findings if f.level == level}


def test_a_clean_melody_is_ready(tmp_path):
    folder = _folder(tmp_path, "clean", **{"a.wav": (melody(8.0), 16000, "PCM_16")})
    report = check_recordings(folder, thresholds=SMALL)
    assert report.verdict == "ready", report.lines()
    assert report.pitched_share > 0.9 and report.harmonic_share > 0.8 and report.percussive_share < 0.1
    assert 61 <= report.pitch_midi["p50"] <= 79  # the melody's notes are MIDI 62-78
    assert sum(report.pitch_histogram.values()) > 0.9 * 8 * 50
    assert report.windows == 5 and report.sample_rates == {16000: 1} and report.channels == {1: 1}


def test_too_little_audio_is_unfit(tmp_path):
    folder = _folder(tmp_path, "short", **{"a.wav": (melody(20.0), 16000, "PCM_16")})
    report = check_recordings(folder)  # the real thresholds: 20 s is far below a minute
    assert report.verdict == "unfit"
    assert _topics(report, "problem") == {"amount"}


@pytest.mark.parametrize(
    "make, topic",
    [(noise, "pitch"), (chord, "monophony"), (plucks, "percussive")],
    ids=["unpitched noise", "chords", "percussive plucks"],
)
def test_unfit_material_is_named(tmp_path, make, topic):
    folder = _folder(tmp_path, topic, **{"a.wav": (make(8.0), 16000, "PCM_16")})
    report = check_recordings(folder, thresholds=SMALL)
    assert report.verdict == "unfit"
    assert topic in _topics(report, "problem"), report.lines()


def test_float_audio_beyond_full_scale_is_warned_and_scaled(tmp_path):
    loud = 3.2 * melody(8.0, 44100)  # peak 1.6, kept by a FLOAT file
    folder = _folder(tmp_path, "loud", **{"a.wav": (loud, 44100, "FLOAT")})
    report = check_recordings(folder, thresholds=SMALL)
    assert report.verdict == "usable with warnings"
    (finding,) = report.findings
    assert finding.topic == "level" and "beyond +-1" in finding.message
    assert report.files[0]["peak"] == pytest.approx(1.6, abs=0.01)
    windows = scan_recordings(folder)
    assert [p.name for p in windows.scaled_files] == ["a.wav"]
    assert np.abs(windows.audio).max() <= 1.0


def test_a_dc_only_file_is_skipped_with_its_reason(tmp_path):
    dc = np.full(32000, 0.3, np.float32)
    folder = _folder(
        tmp_path, "dc", **{"a.wav": (melody(8.0), 16000, "PCM_16"), "dc.wav": (dc, 16000, "PCM_16")}
    )
    with pytest.raises(AudioFileError, match="DC only"):
        load_audio(folder / "dc.wav")
    report = check_recordings(folder, thresholds=SMALL)
    assert report.skipped == {"DC only": ["dc.wav"]}
    assert [r["file"] for r in report.files] == ["a.wav"]
    assert report.verdict == "usable with warnings"  # the skipped file is named, the rest is fine
    assert {p.name for p in scan_recordings(folder).skipped["DC only"]} == {"dc.wav"}


def test_dc_offset_and_clipping_are_warned(tmp_path):
    x = melody(8.0) * 2.4 + 0.05  # peak beyond 1 in 16-bit PCM: clipped on writing, offset
    folder = _folder(tmp_path, "levels", **{"a.wav": (np.clip(x, -1, 1), 16000, "PCM_16")})
    report = check_recordings(folder, thresholds=SMALL)
    messages = " ".join(f.message for f in report.findings if f.topic == "level")
    assert "clipping" in messages and "DC offset" in messages


def test_figure_report_and_cli(tmp_path, capsys):
    folder = _folder(tmp_path, "mix", **{"a.wav": (melody(8.0), 16000, "PCM_16")})
    out = tmp_path / "report"
    cli("inspect", str(folder), "--out", str(out))
    printed = capsys.readouterr().out
    assert "verdict: unfit" in printed and "[amount]" in printed  # 8 s, real thresholds
    data = json.loads((out / "check.json").read_text())
    assert data["verdict"] == "unfit" and data["files"][0]["file"] == "a.wav"
    assert (out / "check.png").stat().st_size > 20_000
    report = check_recordings(folder, thresholds=SMALL)
    assert plot_check(report, tmp_path / "again.png").is_file()


def test_a_single_take_is_split_by_time_for_validation(tmp_path):
    folder = _folder(tmp_path, "take", **{"a.wav": (melody(20.0), 16000, "PCM_16")})
    windows = scan_recordings(folder, valid_fraction=0.2)
    assert windows.held_out == "tails"
    # 16 s of head -> 13 windows; 4 s of tail -> 1 window; nothing straddles the cut.
    assert windows.splits.count("train") == 13 and windows.splits.count("valid") == 1
    np.testing.assert_array_equal(windows.audio[-1], load_audio(folder / "a.wav")[16 * 16000 :])


def test_check_runs_for_prepared_recordings_and_is_cached(tmp_path):
    folder = _folder(tmp_path, "recs", **{"a.wav": (melody(6.0), 16000, "PCM_16")})
    out = tmp_path / "features"
    prepare(folder, out, FeatureSettings(crepe_model="tiny"), progress=False)
    result = check_prepared(out)
    assert result["verdict"] == "unfit" and any("[amount]" in line for line in result["lines"])
    (out / "check.json").write_text(json.dumps({**result, "verdict": "cached"}))
    assert check_prepared(out)["verdict"] == "cached"  # same sources: not measured again


def test_a_few_files_that_the_hash_puts_on_one_side_still_validate_on_whole_files(tmp_path):
    from ddsp_repro.data import recordings

    files = {f"t{i}.wav": (melody(6.0, seed=i), 16000, "PCM_16") for i in range(5)}
    folder = _folder(tmp_path, "few", **files)
    names = sorted(files)
    hashes = [recordings._name_hash(Path(n)) for n in names]
    fraction = (min(hashes) - 1) / 10_000 if min(hashes) > 1 else 1e-5  # the hash picks no file
    windows = scan_recordings(folder, valid_fraction=fraction)
    assert windows.held_out == "files"
    valid = {p.name for p, s in zip(windows.files, windows.splits, strict=True) if s == "valid"}
    assert valid == {names[hashes.index(min(hashes))]}  # the lowest hash, as a whole file
    assert all(
        s == "train" for p, s in zip(windows.files, windows.splits, strict=True) if p.name not in valid
    )
