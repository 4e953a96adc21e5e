"""Small helpers shared by tests."""

from __future__ import annotations

import numpy as np
import torch


def t(x: np.ndarray) -> torch.Tensor:
    """numpy -> torch without copying."""
    return torch.from_numpy(np.ascontiguousarray(x))


def max_abs(a, b) -> float:
    a = a.detach().double().numpy() if isinstance(a, torch.Tensor) else np.asarray(a, dtype=np.float64)
    b = b.detach().double().numpy() if isinstance(b, torch.Tensor) else np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max())
