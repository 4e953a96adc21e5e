"""The LightningModules' own pieces: cropping a batch to the training window."""

import torch

from ddsp_repro.training.module import crop_batch


def test_crop_batch_keeps_audio_and_frames_aligned():
    audio = torch.arange(2 * 640, dtype=torch.float32).reshape(2, 640)
    frames = torch.arange(2 * 10, dtype=torch.float32).reshape(2, 10)
    batch = {"audio": audio, "f0_hz": frames, "loudness_db": frames, "instrument": ["a", "b"]}
    out = crop_batch(batch, 256, 4, torch.tensor([1, 6]))
    assert out["audio"][0, 0] == 64 and out["audio"][1, 0] == 640 + 6 * 64
    assert out["f0_hz"][0].tolist() == [1, 2, 3, 4] and out["f0_hz"][1].tolist() == [16, 17, 18, 19]
    assert out["instrument"] == ["a", "b"]
    assert crop_batch(batch, 640, 10) is batch
