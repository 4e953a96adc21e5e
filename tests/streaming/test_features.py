"""Live features equal the offline ones (delayed by their stated latency)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ddsp_repro.crepe.f0 import compute_features
from ddsp_repro.rates import hop_for, paddings
from ddsp_repro.streaming.features import StreamingFeatures


def _phrase(sample_rate: int, seconds: float = 1.6) -> np.ndarray:
    t = np.arange(int(sample_rate * seconds)) / sample_rate
    f0 = 220.0 * 2 ** (np.floor(t * 4) / 12)
    x = 0.3 * np.sin(2 * np.pi * np.cumsum(f0) / sample_rate) * np.minimum(1.0, t * 5)
    x[: int(0.15 * sample_rate)] = 0.0
    return x.astype(np.float32)


def _stream(x, sample_rate, hop, alignment, block, f0_every=1):
    features = StreamingFeatures(sample_rate, hop, alignment, "tiny", f0_every)
    n = len(x) // block * block
    out = [features(x[i : i + block]) for i in range(0, n, block)]
    return features, {k: torch.cat([o[k] for o in out], dim=1)[0] for k in out[0]}, n


@pytest.mark.parametrize(("sample_rate", "alignment"), [(16000, "paper"), (48000, "centered")])
def test_streamed_features_equal_offline(sample_rate, alignment):
    hop = hop_for(sample_rate)
    x = _phrase(sample_rate)
    features, live, n = _stream(x, sample_rate, hop, alignment, 4 * hop)
    offline = compute_features(
        torch.from_numpy(x[:n])[None], sample_rate, hop, paddings(alignment), "tiny", viterbi=False
    )
    d = features.latency_frames
    assert features.latency == d * hop and d > 0
    assert torch.all(live["loudness_db"][:d] == -120.0) and torch.all(live["f0_hz"][:d] == 0.0)
    m = live["loudness_db"].shape[0] - d
    assert float((live["loudness_db"][d:] - offline["loudness_db"][0, :m]).abs().max()) < 1e-3
    assert float((live["f0_hz"][d:] - offline["f0_hz"][0, :m]).abs().max()) < 1e-2


def test_sparse_crepe_stays_close_on_voiced_frames():
    x = _phrase(16000)
    features, live, n = _stream(x, 16000, 64, "paper", 256, f0_every=4)
    offline = compute_features(torch.from_numpy(x[:n])[None], 16000, 64, paddings("paper"), "tiny")
    d = features.latency_frames
    m = live["f0_hz"].shape[0] - d
    voiced = (offline["f0_confidence"][0, :m] > 0.8).numpy()
    cents = 1200 * np.abs(
        np.log2(live["f0_hz"][d:].numpy()[voiced] / offline["f0_hz"][0, :m].numpy()[voiced])
    )
    assert voiced.sum() > 100
    assert np.median(cents) < 5.0 and np.mean(cents > 50) < 0.05  # semitone steps every 250 ms


def test_bad_blocks_are_refused():
    features = StreamingFeatures(16000, 64)
    with pytest.raises(ValueError, match="multiple of the hop"):
        features(np.zeros(100, dtype=np.float32))
    with pytest.raises(ValueError, match="NaN"):
        features(np.full(64, np.nan, dtype=np.float32))
    with pytest.raises(ValueError, match="f0_every"):
        StreamingFeatures(16000, 64, f0_every=0)
