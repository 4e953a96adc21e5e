import numpy as np
import pytest
import soundfile as sf
import torch

from ddsp_repro.data.prepare import FeatureSettings, prepare

pytest.importorskip("lightning")
from ddsp_repro.data.datamodule import DDSPDataModule, PreparedDataset, StepBatchSampler  # noqa: E402
from tests.helpers.audio import nsynth_folder  # noqa: E402


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("dm")
    src = nsynth_folder(root / "src", pitches=(60, 62, 64, 65, 67))
    prepare(src, root / "out", FeatureSettings(crepe_model="tiny"), shard_size=2, progress=False)
    rec = root / "rec"
    rec.mkdir()
    t = np.arange(int(4.5 * 16000)) / 16000
    for i in range(4):
        sf.write(
            rec / f"take{i}.wav", (0.3 * np.sin(2 * np.pi * (200 + 20 * i) * t)).astype(np.float32), 16000
        )
    prepare(rec, root / "rec_out", FeatureSettings(crepe_model="tiny", valid_fraction=0.5), progress=False)
    return root


def test_one_batch_format_with_labels(prepared):
    dm = DDSPDataModule(prepared / "out", batch_size=2, seed=1)
    batch = next(iter(dm.train_dataloader()))
    assert batch["audio"].shape == (2, 64000) and batch["audio"].dtype == torch.float32
    for key in ("f0_hz", "f0_confidence", "loudness_db"):
        assert batch[key].shape == (2, 1000)
    assert batch["pitch"].dtype == torch.int64 and isinstance(batch["instrument"], list)
    assert dm.val_dataloader() == []  # NSynth train folder: no valid split inside


def test_recordings_split_and_same_format(prepared):
    dm = DDSPDataModule(prepared / "rec_out", batch_size=2)
    dm.setup()
    assert len(dm.train_set) + len(dm.val_set) == 8  # 4 files x 2 windows
    batch = next(iter(dm.val_dataloader()))
    assert set(batch) >= {"audio", "f0_hz", "f0_confidence", "loudness_db"}


def test_seeded_order_is_reproducible(prepared):
    def order(seed):
        dm = DDSPDataModule(prepared / "out", batch_size=1, seed=seed)
        return [b["pitch"].item() for b in dm.train_dataloader()]

    assert order(3) == order(3)
    assert sorted(order(3)) == [60, 62, 64, 65, 67]


def test_workers_load_the_same_data(prepared):
    dm = DDSPDataModule(prepared / "out", batch_size=5, num_workers=2)
    batch = next(iter(dm.train_dataloader()))
    assert sorted(batch["pitch"].tolist()) == [60, 62, 64, 65, 67]


def test_unprepared_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="prepare"):
        PreparedDataset(tmp_path)


def _epoch(sampler, epoch):
    sampler.set_epoch(epoch)
    return list(sampler)


def test_batches_depend_only_on_seed_and_epoch():
    a, b = StepBatchSampler(10, 3, 4, seed=1), StepBatchSampler(10, 3, 4, seed=1)
    first = [_epoch(a, e) for e in range(3)]
    assert _epoch(b, 2) == first[2]  # no need to replay epochs 0 and 1 (what resuming needs)
    flat = [i for epoch in first for batch in epoch for i in batch]
    assert sorted(flat[:10]) == list(range(10)) and sorted(flat[10:20]) == list(range(10))  # full passes
    assert _epoch(StepBatchSampler(10, 3, 4, seed=2), 0) != first[0]


def test_ranks_split_one_stream():
    single = _epoch(StepBatchSampler(20, 2, 3, seed=0, world_size=1), 0)
    wide = _epoch(StepBatchSampler(20, 4, 3, seed=0), 0)  # what 2 ranks x 2 examples consume
    ranks = [_epoch(StepBatchSampler(20, 2, 3, seed=0, rank=r, world_size=2), 0) for r in (0, 1)]
    for step in range(3):
        assert ranks[0][step] + ranks[1][step] == wide[step]
        assert not set(ranks[0][step]) & set(ranks[1][step])
    assert single[0] == wide[0][:2]
