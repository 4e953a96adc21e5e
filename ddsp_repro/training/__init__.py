"""Training: typed run configs, named presets, LightningModules and `train(config) -> metrics`.

`config` and `presets` need only torch; `train`, `module`, `media` and `tracking` need the
``train`` extra (Lightning, torchmetrics) and, for W&B, the ``tracking`` extra.
"""

from ddsp_repro.training.config import DDSPRunConfig, RunConfig, WaveRNNRunConfig, semantic_hash
from ddsp_repro.training.presets import PRESETS, get_preset

__all__ = [
    "PRESETS",
    "DDSPRunConfig",
    "RunConfig",
    "WaveRNNRunConfig",
    "get_preset",
    "semantic_hash",
    "train",
]


def __getattr__(name: str):
    if name == "train":
        from ddsp_repro.training.train import train

        return train
    raise AttributeError(name)
