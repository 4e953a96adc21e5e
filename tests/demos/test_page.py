"""The demo page, opened in a real headless browser: every audio and image element loads."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import soundfile as sf

from tests.helpers import cli
from tests.helpers.audio import voice

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _open_in_chromium(page) -> str:
    """The page's DOM after its scripts ran (headless chromium, local files)."""
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--autoplay-policy=no-user-gesture-required",
            "--virtual-time-budget=15000",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_demo_page_loads_every_audio_and_image(violin_ckpt, nsynth_ckpt, tmp_path):
    speech = tmp_path / "voice.wav"
    sf.write(speech, voice(1.0), 16000)
    site = tmp_path / "site"
    args = ["--checkpoint", violin_ckpt, "--checkpoint", nsynth_ckpt, "--out", str(site)]
    cli("demo-page", *args, "--input", str(speech), "--pairs", "2")
    page = site / "index.html"
    source = page.read_text()
    n_media = len(re.findall(r"<audio |<img ", source))
    assert n_media >= 30  # both models' sections, each with players and a figure

    dom = _open_in_chromium(page)
    status = re.search(r'id="media-status"[^>]*>', dom).group(0)
    counts = {k: int(v) for k, v in re.findall(r'data-(loaded|failed|total)="(\d+)"', status)}
    assert counts == {"loaded": n_media, "failed": 0, "total": n_media}, status


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (apt-get install chromium)")
def test_the_page_check_sees_a_missing_file(violin_ckpt, tmp_path):
    speech = tmp_path / "voice.wav"
    sf.write(speech, voice(1.0), 16000)
    site = tmp_path / "site"
    cli("demo-page", "--checkpoint", violin_ckpt, "--out", str(site), "--input", str(speech), "--pairs", "2")
    next(site.glob("*/rooms/room_wet.wav")).unlink()  # a broken page must not pass
    next(site.glob("*/rooms/room.png")).unlink()
    dom = _open_in_chromium(site / "index.html")
    status = re.search(r'id="media-status"[^>]*>', dom).group(0)
    assert 'data-failed="2"' in status, status
