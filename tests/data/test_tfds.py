"""TFDS NSynth, offline: tfds.testing.mock_data stands in for the prepared dataset."""

import pytest

tfds = pytest.importorskip("tensorflow_datasets")
pytest.importorskip("lightning")

from ddsp_repro.data.datamodule import DDSPDataModule  # noqa: E402
from ddsp_repro.data.tfds_nsynth import TfdsNSynth  # noqa: E402


def test_mock_tfds_nsynth_gives_the_common_batch_format(tmp_path):
    with tfds.testing.mock_data(num_examples=4):
        dataset = TfdsNSynth("train", data_dir=tmp_path)
        example = next(iter(dataset))
        assert example["audio"].shape == (64000,)
        assert (
            example["f0_hz"].shape
            == example["f0_confidence"].shape
            == example["loudness_db"].shape
            == (1000,)
        )
        assert isinstance(example["family"], str) and isinstance(example["pitch"], int)
        assert dataset.metadata["name"] == "nsynth/gansynth_subset.f0_and_loudness"
        assert dataset.metadata["version"] and dataset.metadata["data_dir"] == str(tmp_path)
        dm = DDSPDataModule.from_tfds(data_dir=tmp_path, batch_size=2)
        batch = next(iter(dm.train_dataloader()))
        assert batch["audio"].shape == (2, 64000) and batch["loudness_db"].shape == (2, 1000)


def test_unprepared_tfds_names_the_command_and_size(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"(?s)tfds build .*73.08 GiB"):
        TfdsNSynth("train", data_dir=tmp_path / "empty")
