"""``ddsp-repro pretrained`` (the shipped models and their cards) and ``package-pretrained``."""

from __future__ import annotations

import json
from pathlib import Path

from tyro.conf import Positional


def pretrained(name: Positional[str | None] = None) -> None:
    """The models shipped with the package (use them as ``pretrained:NAME``), or one model's card.

    Args:
        name: print this model's card (default: list them all).
    """
    from ddsp_repro import pretrained as shipped

    if name is not None:
        print(json.dumps(shipped.card(name), indent=2))
        return
    for each in shipped.names():
        card = shipped.card(each)
        m = card["evaluation"]["metrics"]
        print(
            f"pretrained:{each}  {card['preset']}, {card['steps']} steps, {card['n_parameters']:,} "
            f"parameters, {card['size_bytes'] / 1e6:.1f} MB; loudness L1 {m['loudness_l1_db']:.2f} dB, "
            f"F0 L1 {m['f0_l1']:.3f} (CREPE {card['evaluation']['crepe_model']})"
        )


def package_pretrained(
    checkpoint: Positional[Path],
    name: str,
    half: bool = False,
    crepe_model: str = "full",
    root: Path | None = None,
) -> None:
    """Package a training checkpoint as a shipped model: slim weights, data statistics, evaluation,
    loss curve, model card and checksum (``ddsp_repro/pretrained/models/NAME/``).

    Args:
        checkpoint: a ``.ckpt`` written by ``ddsp-repro train`` (the paper evaluates ``last.ckpt``).
        name: the model's name (``pretrained:NAME``).
        half: store the weights in float16 (refused if the audio moves by more than 1e-3).
        crepe_model: CREPE of the evaluation (the paper: full).
        root: write under this folder instead of the package's.
    """
    from ddsp_repro.pretrained.package import package

    card = package(checkpoint, name, half=half, crepe_model=crepe_model, **({"root": root} if root else {}))
    print(json.dumps({k: card[k] for k in ("name", "steps", "dtype", "size_bytes", "sha256")}, indent=2))
