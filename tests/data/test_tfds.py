"""TFDS NSynth, offline: tfds.testing.mock_data stands in for the prepared dataset."""

import hashlib

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


def _digest(example) -> str:
    return hashlib.sha1(example["audio"].numpy().tobytes()).hexdigest()


def _read_share(rank: int, world: int, data_dir: str, init_file: str, queue) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        with tfds.testing.mock_data(num_examples=10):
            queue.put((rank, [_digest(ex) for ex in TfdsNSynth("train", data_dir=data_dir)]))
    finally:
        dist.destroy_process_group()


def test_ddp_processes_read_disjoint_shares_of_the_stream(tmp_path):
    import torch.multiprocessing as mp

    with tfds.testing.mock_data(num_examples=10):
        whole = [_digest(ex) for ex in TfdsNSynth("train", data_dir=tmp_path)]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=_read_share, args=(r, 2, str(tmp_path), str(tmp_path / "init"), queue))
        for r in range(2)
    ]
    for p in procs:
        p.start()
    shares = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert len(whole) == 10 and len(shares[0]) == len(shares[1]) == 5
    assert not set(shares[0]) & set(shares[1])
    assert sorted(shares[0] + shares[1]) == sorted(whole)
    assert shares[0] == whole[0::2] and shares[1] == whole[1::2]
