"""Helpers shared by tests (fixtures live in the conftest files): tensors, the CLI in-process.

`runs` shrinks presets to toy size, `audio` builds test audio and folders, `wandb_reader` reads
W&B's offline run files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]


def t(x: np.ndarray) -> torch.Tensor:
    """numpy -> torch without copying."""
    return torch.from_numpy(np.ascontiguousarray(x))


def max_abs(a, b) -> float:
    a = a.detach().double().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, dtype=np.float64)
    b = b.detach().double().numpy() if isinstance(b, torch.Tensor) else np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max())


def cli(*args) -> None:
    """``ddsp-repro ARGS...`` in this process, with the command's exceptions let through."""
    from ddsp_repro.cli import main

    main([str(a) for a in args], raise_errors=True)
