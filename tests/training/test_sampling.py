import torch

from ddsp_repro.data.datamodule import StepBatchSampler
from ddsp_repro.training.module import crop_batch


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


def test_crop_batch_keeps_audio_and_frames_aligned():
    audio = torch.arange(2 * 640, dtype=torch.float32).reshape(2, 640)
    frames = torch.arange(2 * 10, dtype=torch.float32).reshape(2, 10)
    batch = {"audio": audio, "f0_hz": frames, "loudness_db": frames, "instrument": ["a", "b"]}
    out = crop_batch(batch, 256, 4, torch.tensor([1, 6]))
    assert out["audio"][0, 0] == 64 and out["audio"][1, 0] == 640 + 6 * 64
    assert out["f0_hz"][0].tolist() == [1, 2, 3, 4] and out["f0_hz"][1].tolist() == [16, 17, 18, 19]
    assert out["instrument"] == ["a", "b"]
    assert crop_batch(batch, 640, 10) is batch
