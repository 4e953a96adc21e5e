"""The search space of each preset: what is worth tuning for that model, and over what range.

Every preset has one (a test checks it). The CPU-scale presets share their paper preset's space.
Loss weights are left out on purpose: the ranking metric is the weighted loss itself.
"""

from __future__ import annotations

from sweeps.space import Choice, Float, SearchSpace

__all__ = ["SPACES", "space_for"]

# The DDSP autoencoders: learning rate (paper 3e-4; the TPU runs 1e-5), decoder and encoder widths.
AUTOENCODER = SearchSpace(
    {
        "optim.lr": Float(1e-4, 3e-3, log=True),
        "optim.grad_clip_norm": Float(1.0, 10.0, log=True),
        "model.rnn_channels": Choice((256, 512)),
        "model.ch": Choice((256, 512)),
    }
)

# The tiny model is about size: its single GRU is the whole decoder.
TINY = SearchSpace(
    {
        "optim.lr": Float(1e-4, 3e-3, log=True),
        "model.rnn_channels": Choice((64, 128, 256)),
    }
)

WAVERNN = SearchSpace(
    {
        "optim.lr": Float(1e-4, 3e-3, log=True),
        "model.rnn_channels": Choice((256, 512, 896)),
    }
)

SPACES: dict[str, SearchSpace] = {
    "supervised_nsynth": AUTOENCODER,
    "supervised_nsynth_tpu": AUTOENCODER,
    "unsupervised_nsynth": AUTOENCODER,
    "solo_violin": AUTOENCODER,
    "tiny_violin": TINY,
    "wavernn_nsynth": WAVERNN,
}


def space_for(preset: str) -> SearchSpace:
    """The space of `preset` (a ``*_cpu`` preset uses its paper preset's)."""
    base = preset.removesuffix("_cpu")
    if base not in SPACES:
        raise ValueError(f"no search space for preset {preset!r}; add one to sweeps/spaces.py")
    return SPACES[base]
