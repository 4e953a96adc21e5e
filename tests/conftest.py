"""Shared test set-up: one torch thread (shared 2-core machines), fixture loading, slow marker."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(1)
torch.manual_seed(0)

DATA = Path(__file__).parent / "fixtures"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow")


def pytest_collection_modifyitems(config, items):
    if (
        config.getoption("--runslow")
        or os.environ.get("RUN_SLOW") == "1"
        or "slow" in (config.getoption("-m") or "")
    ):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow or -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def official():
    """Outputs of the official TensorFlow code v0.0.6 (tools/make_official_fixtures.py)."""
    with np.load(DATA / "official_v0_0_6.npz") as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="session")
def official_v2():
    """Outputs of the official TensorFlow code v3.7 (v2 loudness)."""
    with np.load(DATA / "official_v2.npz") as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="session")
def tones(tmp_path_factory):
    """Prepared folder of 4.5 s harmonic tones (6 files, half held out): train and valid splits."""
    from ddsp_repro.data.tones import build_tones

    return build_tones(tmp_path_factory.mktemp("tones"))


@pytest.fixture(scope="session")
def tones_at(tones, tmp_path_factory):
    """``tones_at(rate)``: the `tones` data made and prepared at `rate` (built once per rate)."""
    from ddsp_repro.data.tones import build_tones

    built = {16000: tones}

    def at(rate: int):
        if rate not in built:
            built[rate] = build_tones(tmp_path_factory.mktemp(f"tones{rate}"), rate)
        return built[rate]

    return at
