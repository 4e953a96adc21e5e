"""The demo page: a static HTML file over the sections' folders, like the paper's online supplement.

Every section gets its audio players, figures and measured figures. A few lines of script count the
audio and image files that loaded and write the count into the page (``#media-status``), for the
reader and for the test that opens the page in a headless browser.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from ddsp_repro.audio import write_json_atomic, write_text_atomic
from ddsp_repro.logs import get_logger

__all__ = ["build_demo_page", "write_page"]

log = get_logger(__name__)

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
section { border-top: 1px solid #ccc; margin-top: 2em; padding-top: 1em; }
.players { display: flex; flex-wrap: wrap; gap: 1em; }
.players figure { margin: 0; }
figcaption { font-size: 0.85em; color: #555; }
img { max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
#media-status { font-size: 0.9em; color: #555; }
.scroll { overflow-x: auto; }
"""

_SCRIPT = """
const media = Array.from(document.querySelectorAll("audio, img"));
let loaded = 0, failed = 0;
function report() {
  const s = document.getElementById("media-status");
  s.dataset.loaded = loaded; s.dataset.failed = failed; s.dataset.total = media.length;
  s.textContent = `${loaded} of ${media.length} audio and image files loaded`
    + (failed ? `, ${failed} failed` : "");
}
for (const el of media) {
  const ok = () => { loaded++; report(); }, bad = () => { failed++; report(); };
  if (el.tagName === "IMG") {
    if (el.complete) { el.naturalWidth > 0 ? loaded++ : failed++; }
    else { el.addEventListener("load", ok); el.addEventListener("error", bad); }
  } else if (el.readyState >= 1) { loaded++; }
  else { el.addEventListener("loadedmetadata", ok); el.addEventListener("error", bad); }
}
report();
"""


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return html.escape(json.dumps(value))
    return html.escape("—" if value is None else str(value))


def _table(rows: list[dict]) -> str:
    if not rows:
        return ""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>" for row in rows
    )
    return f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'


def _section(section: dict, folder: str) -> str:
    players = "".join(
        f'<figure><audio controls preload="metadata" src="{html.escape(folder)}/{html.escape(name)}"></audio>'
        f"<figcaption>{html.escape(label)}</figcaption></figure>"
        for label, name in section["audio"]
    )
    images = "".join(
        f'<img src="{html.escape(folder)}/{html.escape(name)}" alt="{html.escape(section["title"])}">'
        for name in section["images"]
    )
    source = f"model {section['model']}, checkpoint step {section['step']}"
    return (
        f"<section><h2>{html.escape(section['title'])}</h2><p>{html.escape(section['text'])}</p>"
        f"<p><small>{html.escape(source)}</small></p>"
        f'<div class="players">{players}</div>{_table(section["table"])}{images}</section>'
    )


def write_page(site: Path, sections: list[tuple[str, dict]], title: str, intro: str) -> Path:
    """``site/index.html`` over `sections`: (folder relative to `site`, section dict) pairs."""
    body = "".join(_section(section, folder) for folder, section in sections)
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1><p>{html.escape(intro)}</p>"
        f'<p id="media-status">loading…</p>{body}<script>{_SCRIPT}</script></body></html>\n'
    )
    path = write_text_atomic(site / "index.html", page)
    write_json_atomic(site / "demos.json", [{"folder": f, **s} for f, s in sections], indent=2, default=str)
    return path


def build_demo_page(
    checkpoints: list[Path],
    out: Path,
    inputs: list[Path],
    crepe_model: str = "tiny",
    pairs: int = 4,
) -> Path:
    """Run every demonstration that applies to each model into `out`; the page's path.

    Timbre transfer of each input, control and interpolation, pitch extrapolation, and (models
    with a learned reverb) decomposition, dereverberation and room transfer. Models that learn f0
    from audio are skipped: every demonstration sets f0 itself.
    """
    from functools import partial

    from ddsp_repro.demos.common import load_model
    from ddsp_repro.demos.sections import (
        control_section,
        extrapolation_section,
        room_section,
        transfer_section,
        write_results,
    )

    sections: list[tuple[str, dict]] = []

    def add(folder: str, make) -> None:
        log.info("%s ...", folder)
        section = make(out_dir=out / folder)
        write_results(out / folder, section)
        sections.append((folder, section))

    for checkpoint in checkpoints:
        loaded = load_model(checkpoint)
        name = loaded.name
        if loaded.config.model.f0_encoder:
            log.warning(
                "skipping %s: it learns f0 from audio, and the demonstrations set f0 themselves", name
            )
            continue
        for path in inputs:
            add(
                f"{name}/transfer_{path.stem.lower()}",
                partial(transfer_section, loaded, path, crepe_model=crepe_model),
            )
        add(f"{name}/control", partial(control_section, loaded, n_pairs=pairs, crepe_model=crepe_model))
        add(f"{name}/extrapolation", partial(extrapolation_section, loaded, crepe_model=crepe_model))
        if loaded.model.reverb is not None:
            add(f"{name}/rooms", partial(room_section, loaded, inputs[-1]))
    if not sections:
        raise ValueError("none of the models given is conditioned on f0: nothing to demonstrate")
    return write_page(
        out,
        sections,
        "ddsp-repro: the paper's demonstrations",
        "Each section is one ddsp-repro command run on the models below; every figure under the "
        "players was measured on the audio above it. Models trained at the scale their presets say.",
    )
