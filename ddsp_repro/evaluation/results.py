"""Regenerate the tables of RESULTS.md from the committed eval JSONs: `ddsp-repro results`.

Only the text between ``<!-- results:tableN:start -->`` and ``<!-- results:tableN:end -->`` is
rewritten; the prose around it is hand-written. ``--check`` exits 1 when RESULTS.md differs from
what the JSONs give (the staleness test runs the same comparison). Paths are those of the checkout
that holds RESULTS.md (`project_root`: the working folder or the nearest folder above it).

Paper numbers are those of reference section 1.1/1.3 with their provenance; ours come only from
``evals/results/*.json`` (Table 1) and from instantiating each preset's model (Table 2).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ddsp_repro.audio import write_text_atomic
from ddsp_repro.rates import PAPER_SAMPLE_RATE, without_rate_tag

RESULTS_DIR = Path("evals") / "results"  # relative to the checkout
DEMOS_DIR = RESULTS_DIR / "demos"
SHIPPED_DIR = Path("ddsp_repro") / "pretrained" / "models"  # each shipped model's eval_SPLIT.json


def project_root(start: Path | None = None) -> Path:
    """The checkout holding RESULTS.md: `start` (default: the working folder) or its nearest parent."""
    start = (start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / "RESULTS.md").is_file() and (folder / RESULTS_DIR).is_dir():
            return folder
    return start


def results_markdown() -> Path:
    return project_root() / "RESULTS.md"


def results_dir() -> Path:
    """Where eval reports are written and read (``evals/results`` of the checkout)."""
    return project_root() / RESULTS_DIR


# Table 1 of the paper (loudness L1, F0 L1, F0 outliers); the loudness unit is unverified.
PAPER_TABLE1 = {
    "supervised_nsynth": ("DDSP Autoencoder (supervised, CREPE f0)", "0.07", "0.02", "0.003"),
    "unsupervised_nsynth": ("DDSP Autoencoder (unsupervised, learned f0)", "0.09", "0.80", "0.04"),
    "wavernn_nsynth": ("WaveRNN (Hantrakul et al., 2019)", "0.10", "1.00", "0.07"),
}
# Table 2 of the paper (parameters) and the count of the official gin config (reference 1.3).
PAPER_TABLE2 = {
    "supervised_nsynth": ("DDSP Autoencoder (supervised, NSynth)", "7M", "6.99M (ae.gin)"),
    "unsupervised_nsynth": ("DDSP Autoencoder (unsupervised)", "12M", "≈14.3M (ae_abs.gin)"),
    "solo_violin": ("DDSP Autoencoder (supervised, solo violin)", "6M", "4.85M (solo_instrument.gin)"),
    "tiny_violin": ("DDSP Autoencoder Tiny", "0.24M", "0.232M + 48k reverb taps (tiny_instrument.gin)"),
    "wavernn_nsynth": ("WaveRNN", "23M", "not released"),
}


# The interpolation table as a secondary source reproduces it (reference 1.1; which paper version,
# and the units, are unverified): loudness L1, F0 L1.
PAPER_INTERPOLATION = {
    "reconstruction": ("0.042", "0.060"),
    "loudness interpolation": ("0.061", "0.060"),
    "f0 interpolation": ("0.048", "0.070"),
    "z interpolation": ("0.063", "0.065"),
}


def load_demos(folder: Path) -> list[dict]:
    """Sections recorded by `ddsp-repro demo-page --record` (one list per file)."""
    return [section for p in sorted(folder.glob("*.json")) for section in json.loads(p.read_text())]


def load_reports(folder: Path, pattern: str = "*.json") -> list[dict]:
    """The eval reports in `folder`, each with ``_json``, its path in the checkout (for links)."""
    root = project_root(folder)
    return [
        {**json.loads(p.read_text()), "_json": p.resolve().relative_to(root).as_posix()}
        for p in sorted(folder.glob(pattern))
    ]


def all_reports(root: Path) -> list[dict]:
    """The committed reports and those of the shipped models (``pretrained:NAME``)."""
    return load_reports(root / RESULTS_DIR) + load_reports(root / SHIPPED_DIR, "*/eval_*.json")


def _paper_preset(name: str) -> str:
    return name.removesuffix("_cpu").removesuffix("_tpu")


def _fmt(value: float | None, digits: int = 3) -> str:
    return "–" if value is None or value != value else f"{value:.{digits}f}"


def _steps(scale: dict) -> str:
    run = scale.get("run_steps")
    if run and run != scale["steps"]:
        return f"best checkpoint (step {scale['steps']}) of {run} steps"
    return f"{scale['steps']} steps"


def _evaluated(scale: dict) -> str:
    seconds, window = scale.get("evaluated_seconds"), scale["window_seconds"]
    if not seconds or seconds == window:
        return ""
    return (
        f" (scored on the whole {seconds:g} s examples)"
        if seconds > window
        else f" (first {seconds:g} s scored)"
    )


def _checkpoint(r: dict) -> str:
    """Which checkpoint was scored; older reports scored best.ckpt, picked on the same valid data."""
    checkpoint = r.get("checkpoint", {})
    if checkpoint.get("pretrained"):
        kind = "last checkpoint" if "last" in checkpoint.get("selection", "") else "picked on valid"
        return f"{kind}, shipped as pretrained:{checkpoint['pretrained']} ({checkpoint.get('dtype')})"
    name = checkpoint.get("file", "best.ckpt")
    return "last checkpoint" if name == "last.ckpt" else f"{name} (picked on valid)"


def table1(reports: list[dict]) -> str:
    lines = [
        "| model | source | loudness L1 (dB) | loudness L1 (dB / 120) | F0 L1 (semitones) v0.0.6 / later "
        "| F0 outliers v0.0.6 / later | examples | scale |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for preset, (label, ld, f0, outliers) in PAPER_TABLE1.items():
        lines.append(
            f"| {label} | paper | | {ld} (unit unverified) | {f0} | {outliers} | | NSynth, full scale |"
        )
        for r in reports:
            if _paper_preset(r["preset"]) != preset:
                continue
            m = r["metrics"]
            delta = m["loudness_l1_scaled"] - float(ld)
            f0_delta = "" if m["f0_l1"] is None else f" (Δ {m['f0_l1'] - float(f0):+.3f})"
            scale = _scale(r)
            lines.append(
                f"| {label} | ours ([json]({r['_json']})) "
                f"| {_fmt(m['loudness_l1_db'], 2)} | {_fmt(m['loudness_l1_scaled'])} (Δ {delta:+.3f}) "
                f"| {_fmt(m['f0_l1'])}{f0_delta} / {_fmt(m['f0_l1_head'])} "
                f"| {_fmt(m['f0_outlier_ratio_v006'])} / {_fmt(m['f0_outlier_ratio_head'])} "
                f"| {r['n_examples']} | {scale} |"
            )
    return "\n".join(lines)


def _scale(r: dict) -> str:
    s = r["scale"]
    return (
        f"{r['preset']}: {_steps(s)}, {_checkpoint(r)}, batch {s['batch_size']}, "
        f"{s['window_seconds']:g} s windows{_evaluated(s)}, {s['data']} data, {r['split']} split, "
        f"CREPE {r['crepe_model']}, {r['hardware']}; loss: {s.get('loss', '?')}"
    )


def _rate(r: dict) -> int:
    """The report's sample rate (reports from before other rates existed are 16 kHz)."""
    return int(r.get("sample_rate", PAPER_SAMPLE_RATE))


def _solo_rows(reports: list[dict], at_16k: bool, with_rate: bool) -> list[str]:
    rows = []
    for r in reports:
        family = without_rate_tag(_paper_preset(r["preset"]))
        if family not in ("solo_violin", "tiny_violin") or (_rate(r) == PAPER_SAMPLE_RATE) != at_16k:
            continue
        m = r["metrics"]
        rate = f"| {_rate(r)} " if with_rate else ""
        rows.append(
            f"| {r['preset']} ([json]({r['_json']})) {rate}"
            f"| {_fmt(m['loudness_l1_db'], 2)} | {_fmt(m['loudness_l1_scaled'])} "
            f"| {_fmt(m['f0_l1'])} / {_fmt(m['f0_l1_head'])} "
            f"| {_fmt(m['f0_outlier_ratio_v006'])} / {_fmt(m['f0_outlier_ratio_head'])} "
            f"| {_fmt(m['spectral_distance'], 2)} | {r['n_examples']} | {_scale(r)} |"
        )
    return rows


_SOLO_HEAD = (
    "| loudness L1 (dB) | loudness L1 (dB / 120) | F0 L1 (semitones) v0.0.6 / later "
    "| F0 outliers v0.0.6 / later | spectral distance | examples | scale |"
)


def table3(reports: list[dict]) -> str:
    """Solo-instrument models at 16 kHz: the paper shows them qualitatively, so ours stand alone."""
    lines = [f"| model {_SOLO_HEAD}", "|---|---|---|---|---|---|---|---|"]
    lines += _solo_rows(reports, at_16k=True, with_rate=False) or [
        "| (no solo-instrument run evaluated yet) | | | | | | | |"
    ]
    return "\n".join(lines)


def table_rates(reports: list[dict]) -> str:
    """Solo-instrument models at other rates than 16 kHz, apart: their loudness and spectral
    distance are measured on their own rate's grid and FFT sizes, not on the 16 kHz ones."""
    lines = [f"| model | sample rate (Hz) {_SOLO_HEAD}", "|---|---|---|---|---|---|---|---|---|"]
    lines += _solo_rows(reports, at_16k=False, with_rate=True) or ["| (none evaluated yet) | | | | | | | | |"]
    return "\n".join(lines)


def table2() -> str:
    from ddsp_repro.training.presets import PRESETS

    lines = ["| model | paper | official config | ours (trainable) | ours / paper |", "|---|---|---|---|---|"]
    for preset, (label, paper, official) in PAPER_TABLE2.items():
        config = PRESETS[preset].model
        model = config.build()
        n = model.n_trainable_parameters()
        paper_value = float(paper.rstrip("M")) * 1e6
        note, ratio = "", f"{n / paper_value:.2f}"
        if getattr(model, "reverb", None) is not None:
            dry = n - model.reverb.ir.numel()
            note, ratio = f" ({dry:,} without the reverb)", ratio + f" ({dry / paper_value:.2f})"
        lines.append(f"| {label} | {paper} | {official} | {n:,}{note} | {ratio} |")
    return "\n".join(lines)


def _model(section: dict) -> str:
    return f"{section['model']} (step {section['step']})"


def demos(sections: list[dict]) -> str:
    """The demonstrations' measured figures, one table per kind, beside what the paper shows."""
    if not sections:
        return "(no demonstrations recorded yet: `python -m experiments.demo_page ... --record ...`)"
    by_kind: dict[str, list[dict]] = {}
    for section in sections:
        by_kind.setdefault(section["demo"], []).append(section)
    out = []
    for section in by_kind.get("independent_control", []):
        out += [
            f"**Independent control and interpolation**, {_model(section)}, CREPE {section['crepe_model']}:",
            "",
            "| condition | loudness L1 (dB) | loudness L1 (dB/120) | F0 L1 (semitones) | notes "
            "| paper: loudness L1 | paper: F0 L1 |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in section["table"]:
            paper = PAPER_INTERPOLATION.get(r["condition"], ("", ""))
            out.append(
                f"| {r['condition']} | {_fmt(r['loudness_l1_db'], 2)} | {_fmt(r['loudness_l1_scaled'])} "
                f"| {_fmt(r['f0_l1_semitones'])} | {r['n_notes']} | {paper[0]} | {paper[1]} |"
            )
        centroids = section.get("z_centroid_hz_alpha_0_to_1")
        if centroids:
            notes = section.get("centroid_hz_of_notes_a_b") or ["?", "?"]
            out += [
                "",
                f"Spectral centroid along the z interpolation (alpha 0, 0.25, ..., 1): "
                f"{', '.join(f'{c:.0f}' for c in centroids)} Hz (the notes themselves: "
                f"{notes[0]:.0f} and {notes[1]:.0f} Hz).",
            ]
        out.append("")
    for section in by_kind.get("pitch_extrapolation", []):
        low, high = section["training_range_midi"]
        out += [
            f"**Pitch extrapolation**, {_model(section)}, training range MIDI {low:.1f}-{high:.1f}, "
            f"CREPE {section['crepe_model']}:",
            "",
            "| phrases | mean pitch (MIDI) | frames outside the training range | F0 L1 (semitones) |",
            "|---|---|---|---|",
        ]
        for r in section["table"]:
            out.append(
                f"| {r['condition']} | {_fmt(r['mean_pitch_midi'], 1)} "
                f"| {_fmt(r['frames_outside_training_range'], 2)} | {_fmt(r['f0_l1_semitones'])} |"
            )
        out.append("")
    for section in by_kind.get("rooms", []):
        ir = section["table"][0]
        out += [
            f"**Dereverberation and room transfer**, {_model(section)}: learned IR EDT "
            f"{_fmt(ir['edt_s'], 2)} s, T20 RT60 {_fmt(ir['rt60_s'], 2)} s, DRR {_fmt(ir['drr_db'], 1)} dB "
            f"(input for transfer: `{Path(section['other_file']).name}`).",
            "",
            "| signal | EDT after the sound stops (s) | RT60, T20 (s) | tail energy (dB) |",
            "|---|---|---|---|",
        ]
        for r in section["table"][1:]:
            times = f"{_fmt(r['edt_s'], 2)} | {_fmt(r['rt60_s'], 2)}"
            out.append(f"| {r['signal']} | {times} | {_fmt(r['tail_db'], 1)} |")
        out.append("")
    transfers = by_kind.get("timbre_transfer", [])
    if transfers:
        out += [
            "**Timbre transfer** (speech inputs; F0 and loudness L1 of the output against its conditioning):",
            "",
            "| input | model | octave shift | pitched frames | F0 L1 (semitones) "
            "| loudness L1, pitched frames / all (dB) |",
            "|---|---|---|---|---|---|",
        ]
        for section in transfers:
            r = section["table"][0]
            out.append(
                f"| `{Path(section['input_file']).name}` | {_model(section)} | {r['octave_shift']:+d} "
                f"| {_fmt(r['pitched_fraction'], 2)} | {_fmt(r['f0_l1_semitones'])} "
                f"| {_fmt(r.get('loudness_l1_pitched_db'), 1)} / {_fmt(r['loudness_l1_db'], 1)} |"
            )
    return "\n".join(out).rstrip()


def render(text: str, reports: list[dict], demo_sections: list[dict]) -> str:
    tables = (
        ("table1", table1(reports)),
        ("table2", table2()),
        ("table3", table3(reports)),
        ("rates", table_rates(reports)),
        ("demos", demos(demo_sections)),
    )
    for name, body in tables:
        pattern = re.compile(rf"(<!-- results:{name}:start -->\n).*?(<!-- results:{name}:end -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"RESULTS.md has no <!-- results:{name}:start/end --> markers")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


def update_results(path: Path, write: bool = True) -> bool:
    """Regenerate the tables of the RESULTS.md at `path`; True when they changed (written if `write`)."""
    current = path.read_text()
    fresh = render(current, all_reports(path.parent), load_demos(path.parent / DEMOS_DIR))
    if write and fresh != current:
        write_text_atomic(path, fresh)
    return fresh != current
