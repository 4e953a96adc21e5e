"""Models shipped with the package: `load` one by name, read its card, or package a new one.

    from ddsp_repro import pretrained
    pretrained.names()                      # ['supervised_nsynth', 'tiny_violin']
    model = pretrained.load("tiny_violin")  # a ready model (`demos.common.Loaded`), checksum checked
    pretrained.card("tiny_violin")          # data, preset, steps, wall time, metrics, licence

Everywhere a checkpoint is taken, ``pretrained:NAME`` names one of them:
``ddsp-repro transfer --instrument pretrained:tiny_violin --input voice.wav``,
``ddsp-repro train tiny_violin_cpu --trainer.init-from pretrained:tiny_violin``,
``ddsp-repro eval pretrained:supervised_nsynth``. Each lives in ``models/NAME/`` (see
`training.packaged`); `package` (``ddsp-repro pretrained package RUN --name NAME``) writes one
from a training run, with its evaluation and model card.
"""

from __future__ import annotations

import json

from ddsp_repro.training.packaged import CARD, PREFIX, model_folder, pretrained_names

__all__ = ["card", "load", "names"]


def names() -> list[str]:
    """The shipped models."""
    return pretrained_names()


def card(name: str) -> dict:
    """The model card of `name` as data (``card.md`` in its folder is the same for people)."""
    return json.loads((model_folder(name) / CARD).read_text())


def load(name: str):
    """The shipped model `name`, ready to render (a `demos.common.Loaded`; its checksum is checked)."""
    from ddsp_repro.demos.common import load_model

    return load_model(PREFIX + name)
