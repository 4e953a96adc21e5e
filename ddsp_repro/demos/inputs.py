"""Real inputs nobody here recorded, available offline: speech from Debian and from PyPI.

- ``alsa-utils`` (Debian, GPL-2) installs spoken channel names, 48 kHz mono, under
  ``/usr/share/sounds/alsa/`` ("Front Center", ...).
- The source archive of ``pysptk`` (PyPI, MIT) contains ``arctic_a0007.wav``: 4 s of 16 kHz speech
  from the CMU ARCTIC corpus (free for any use, notice kept in its COPYING file).

`speech_inputs` gathers them into a folder (copying, or downloading the sdist from the package
index, the one network source this project's machines reach) and returns what it found.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
import urllib.request
from pathlib import Path

from ddsp_repro.logs import get_logger

__all__ = ["ALSA_SOUNDS", "speech_inputs"]

log = get_logger(__name__)

ALSA_SOUNDS = Path("/usr/share/sounds/alsa")
PYSPTK = {
    "version": "1.0.1",
    "sha256": "78b1c9338bf795a41cdc3ff03fcd4699c401c323f54630bb71a19710078d0b3f",
    "member": "pysptk-1.0.1/pysptk/example_audio_data/",
}


def _pysptk_sdist() -> bytes:
    meta = json.load(urllib.request.urlopen("https://pypi.org/pypi/pysptk/json", timeout=60))
    files = meta["releases"][PYSPTK["version"]]
    (url,) = [u["url"] for u in files if u["packagetype"] == "sdist"]
    data = urllib.request.urlopen(url, timeout=120).read()
    if hashlib.sha256(data).hexdigest() != PYSPTK["sha256"]:
        raise RuntimeError(f"the pysptk {PYSPTK['version']} sdist does not match its known checksum")
    return data


def speech_inputs(folder: str | Path, download: bool = True) -> list[Path]:
    """Speech files in `folder` (gathered on first use); an error naming what to install if none."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arctic = folder / "arctic_a0007.wav"
    if not arctic.is_file() and download:
        try:
            with tarfile.open(fileobj=io.BytesIO(_pysptk_sdist())) as tar:
                for name in ("arctic_a0007.wav", "COPYING"):
                    data = tar.extractfile(PYSPTK["member"] + name).read()
                    (folder / ("arctic_COPYING.txt" if name == "COPYING" else name)).write_bytes(data)
        except (OSError, KeyError, ValueError) as exc:  # offline: carry on with what is there
            log.warning("could not fetch the pysptk sdist (%s); using local inputs only", exc)
    for name in ("Front_Center.wav", "Rear_Left.wav"):
        source = ALSA_SOUNDS / name
        if source.is_file() and not (folder / name).is_file():
            shutil.copyfile(source, folder / name)
    found = sorted(p for p in folder.glob("*.wav"))
    if not found:
        raise FileNotFoundError(
            f"no speech inputs in {folder}: install Debian's alsa-utils (apt-get install alsa-utils) "
            "or allow access to pypi.org for the pysptk sdist, or pass your own --input"
        )
    return found
