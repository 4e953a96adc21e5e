"""Decoding CREPE's activations: Viterbi against a dense reference, the weighted local average."""

import numpy as np
import pytest
import torch

from ddsp_repro.crepe.decode import N_BINS, local_average_cents, viterbi_path


def _numpy_viterbi(obs):
    """Dense reference of crepe's HMM (hmmlearn semantics): log-domain Viterbi with full matrices."""
    idx = np.arange(N_BINS)
    trans = np.maximum(12 - np.abs(idx[:, None] - idx[None, :]), 0).astype(np.float64)
    trans /= trans.sum(axis=1, keepdims=True)
    emission = np.eye(N_BINS) * 0.1 + (1 - 0.1) / N_BINS
    with np.errstate(divide="ignore"):
        log_t, log_e = np.log(trans), np.log(emission)
    delta = np.log(np.full(N_BINS, 1 / N_BINS)) + log_e[:, obs[0]]
    back = []
    for o in obs[1:]:
        scores = delta[:, None] + log_t
        back.append(scores.argmax(axis=0))
        delta = scores.max(axis=0) + log_e[:, o]
    path = [int(delta.argmax())]
    for b in reversed(back):
        path.append(int(b[path[-1]]))
    return np.array(path[::-1])


def test_viterbi_matches_dense_reference():
    rng = np.random.default_rng(0)
    # A noisy pitch track with octave jumps, as a real argmax sequence has.
    base = 150 + np.cumsum(rng.integers(-2, 3, size=120))
    obs = np.where(rng.random(120) < 0.1, base + 60, base).clip(0, 359)
    ours = viterbi_path(torch.from_numpy(obs)[None])[0].numpy()
    ref = _numpy_viterbi(obs)
    assert (ours == ref).mean() > 0.98  # ties may break differently; paths otherwise identical
    assert np.abs(ours - ref).max() <= 1


def test_local_average_is_weighted_mean_and_clips_at_edges():
    act = torch.zeros(1, N_BINS)
    act[0, 100], act[0, 101] = 1.0, 1.0
    cents = local_average_cents(act, torch.tensor([100]))
    assert float(cents) == pytest.approx(20 * 100.5 + 1997.3794084376191)
    act = torch.zeros(1, N_BINS)
    act[0, 0] = 1.0
    assert float(local_average_cents(act, torch.tensor([0]))) == pytest.approx(1997.3794084376191)
