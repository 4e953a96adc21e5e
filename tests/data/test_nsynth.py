import json

import numpy as np
import pytest
import soundfile as sf

from ddsp_repro.data.nsynth import acoustic_subset, gansynth_subset, read_examples


def _write_nsynth(root, split="train", notes=None):
    folder = root / f"nsynth-{split}"
    (folder / "audio").mkdir(parents=True)
    notes = notes or [
        ("string_acoustic_001-060-100", 60, "string", "acoustic"),
        ("string_acoustic_001-090-100", 90, "string", "acoustic"),
        ("keyboard_electronic_002-060-050", 60, "keyboard", "electronic"),
    ]
    meta = {}
    for note_str, pitch, family, source in notes:
        sf.write(folder / "audio" / f"{note_str}.wav", np.zeros(64000, np.float32), 16000, subtype="PCM_16")
        meta[note_str] = {
            "pitch": pitch,
            "velocity": 100,
            "instrument_str": note_str[:-8],
            "instrument_family_str": family,
            "instrument_source_str": source,
            "sample_rate": 16000,
        }
    (folder / "examples.json").write_text(json.dumps(meta))
    return folder


def test_reads_examples_and_filters_acoustic_notes(tmp_path):
    _write_nsynth(tmp_path)
    examples = read_examples(tmp_path, "train")
    assert [e.note_str for e in examples] == sorted(e.note_str for e in examples)
    assert all(e.path.is_file() for e in examples)
    subset = acoustic_subset(examples)
    assert [e.note_str for e in subset] == ["string_acoustic_001-060-100"]  # acoustic, pitch 24-84


def test_missing_split_names_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="ddsp_repro.data.builtin"):
        read_examples(tmp_path, "valid")
    with pytest.raises(ValueError, match="split"):
        read_examples(tmp_path, "training")


def test_malformed_metadata_is_reported(tmp_path):
    folder = _write_nsynth(tmp_path)
    (folder / "examples.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_examples(tmp_path, "train")
    (folder / "examples.json").write_text(json.dumps({"x-060-100": {"pitch": 60}}))
    with pytest.raises(ValueError, match="lacks a field"):
        read_examples(tmp_path, "train")


def _three_splits(root):
    _write_nsynth(
        root,
        "train",
        [
            ("string_acoustic_001-060-100", 60, "string", "acoustic"),
            ("reed_acoustic_002-050-100", 50, "reed", "acoustic"),
        ],
    )
    _write_nsynth(root, "valid", [("string_acoustic_001-061-100", 61, "string", "acoustic")])
    _write_nsynth(root, "test", [("reed_acoustic_002-051-100", 51, "reed", "acoustic")])


def test_gansynth_subset_resplits_all_original_splits_by_the_list(tmp_path):
    from ddsp_repro.data.prepare import FeatureSettings, _source_items

    root = tmp_path / "nsynth"
    _three_splits(root)
    listing = tmp_path / "nsynth-gansynth_splits.csv"  # beside the download, as released
    listing.write_text(
        "id,split\n"
        "string_acoustic_001-060-100,train\n"
        "string_acoustic_001-061-100,train\n"  # from the original valid split
        "reed_acoustic_002-051-100,valid\n"  # from the original test split
        "reed_acoustic_002-050-100,test\n"
    )
    train = gansynth_subset(root, "train")
    assert [e.note_str for e in train] == ["string_acoustic_001-060-100", "string_acoustic_001-061-100"]
    assert [e.note_str for e in gansynth_subset(root, "valid")] == ["reed_acoustic_002-051-100"]
    _, items, _, files = _source_items(root, FeatureSettings(split="train", subset="gansynth"))
    assert [i["id"] for i in items] == [e.note_str for e in train] and listing in files
    listing.write_text("id,split\nstring_acoustic_009-060-100,train\n")
    with pytest.raises(FileNotFoundError, match="1 of the 1 notes"):
        gansynth_subset(root, "train")


def test_gansynth_subset_is_refused_without_its_splits_list(tmp_path):
    from ddsp_repro.data.prepare import FeatureSettings, _source_items

    root = tmp_path / "nsynth"
    _three_splits(root)
    with pytest.raises(FileNotFoundError, match="nsynth-gansynth_splits.csv"):
        gansynth_subset(root, "train")
    with pytest.raises(FileNotFoundError, match="acoustic_subset"):
        _source_items(root, FeatureSettings(subset="gansynth"))
