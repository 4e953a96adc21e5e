"""Where the models shipped with the package live, and ``pretrained:NAME`` as a checkpoint name.

Each shipped model is a folder ``ddsp_repro/pretrained/models/NAME/`` holding ``model.ckpt`` (a
checkpoint in the format `train` writes, model weights only), ``data_stats.json``, ``card.md``,
``card.json`` (with the checkpoint's SHA-256) and ``loss.png``. Everything that takes a checkpoint
(the demonstrations, evaluation, ``--trainer.init-from``) also takes ``pretrained:NAME``;
`resolve` turns it into the file after checking its checksum. `ddsp_repro.pretrained` is the
user-facing side (`load`, `names`, `card`) and writes new folders.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from ddsp_repro.audio import file_sha256

__all__ = ["CHECKPOINT", "PREFIX", "ChecksumError", "model_folder", "pretrained_names", "resolve"]

PREFIX = "pretrained:"
CHECKPOINT = "model.ckpt"
CARD = "card.json"
ROOT = Path(__file__).resolve().parents[1] / "pretrained" / "models"


class ChecksumError(ValueError):
    """A shipped checkpoint whose bytes are not the ones its card names."""


def pretrained_names() -> list[str]:
    """The names of the shipped models (folders with a card)."""
    return sorted(p.parent.name for p in ROOT.glob(f"*/{CARD}"))


def model_folder(name: str) -> Path:
    """The folder of shipped model `name` (an error listing the names there are)."""
    folder = ROOT / name
    if not (folder / CARD).is_file():
        raise FileNotFoundError(
            f"no pretrained model {name!r}; there are: {', '.join(pretrained_names()) or 'none'}"
        )
    return folder


@cache
def _verified(folder: Path, size: int, mtime_ns: int) -> Path:
    """The checkpoint of `folder` once its SHA-256 matches the card (checked once per file state)."""
    expected = json.loads((folder / CARD).read_text())["sha256"]
    found = file_sha256(folder / CHECKPOINT)
    if found != expected:
        raise ChecksumError(
            f"{folder / CHECKPOINT} is damaged (SHA-256 {found[:12]}..., its card says "
            f"{expected[:12]}...): reinstall ddsp-repro"
        )
    return folder / CHECKPOINT


def resolve(spec: str | Path) -> Path:
    """The checkpoint file that `spec` names: ``pretrained:NAME`` (checksum checked) or a path."""
    text = str(spec)
    if not text.startswith(PREFIX):
        return Path(spec)
    folder = model_folder(text[len(PREFIX) :])
    if not (folder / CHECKPOINT).is_file():
        raise FileNotFoundError(f"{folder} has a card but no {CHECKPOINT}: reinstall ddsp-repro")
    stat = (folder / CHECKPOINT).stat()
    return _verified(folder, stat.st_size, stat.st_mtime_ns)
