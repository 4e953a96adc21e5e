"""Each demonstration run end to end into a folder: audio, figure, measured figures (``results.json``).

A section function returns what the demo page shows: a title, a short text, the audio files and
figures it wrote (names relative to its folder) and a table of measured figures.
"""

from __future__ import annotations

from pathlib import Path

from ddsp_repro.audio import write_json_atomic, write_wav
from ddsp_repro.demos import plots
from ddsp_repro.demos.common import Loaded, examples, stats_for
from ddsp_repro.demos.features import read_input

__all__ = ["control_section", "extrapolation_section", "room_section", "transfer_section", "write_results"]


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text).strip("_").lower()


def write_results(out_dir: Path, section: dict) -> Path:
    """``results.json`` of a section (everything but the audio arrays)."""
    return write_json_atomic(out_dir / "results.json", section, indent=2, default=str)


def _provenance(loaded: Loaded) -> dict:
    return {"model": loaded.name, "checkpoint": str(loaded.checkpoint), "step": loaded.step}


def transfer_section(loaded: Loaded, input_path: Path, out_dir: Path, **options) -> dict:
    """Timbre transfer of one input file (see `demos.transfer`)."""
    from ddsp_repro.demos.transfer import timbre_transfer

    sr = loaded.sample_rate
    audio = read_input(input_path, sr, loaded.hop)
    stats = (
        stats_for(loaded)
        if options.get("octave_shift") is None or options.get("match_loudness", True)
        else None
    )
    result = timbre_transfer(loaded, audio, stats, **options)
    stem = _slug(Path(input_path).stem)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "input": write_wav(out_dir / f"{stem}_input.wav", audio, sr),
        "output": write_wav(out_dir / f"{stem}_{loaded.name}.wav", result["parts"]["audio"], sr),
    }
    figure = out_dir / f"{stem}_{loaded.name}.png"
    plots.plot_transfer(figure, result, audio, sr, f"{Path(input_path).name} -> {loaded.name}")
    s = result["summary"]
    return {
        "demo": "timbre_transfer",
        "title": f"Timbre transfer: {Path(input_path).name} on {loaded.name}",
        "text": (
            f"f0 shifted {s['octave_shift']:+d} octaves (input mean MIDI {s['input_mean_pitch_midi']}, "
            f"training data {s['data_mean_pitch_midi']}); loudness measured after the learned room: "
            f"{s['room_applied_before_loudness']}; matched to the training data: {s['loudness_matched']}; "
            f"{100 * s['pitched_fraction']:.0f}% of frames pitched "
            f"(CREPE confidence >= {s['confidence_threshold']})."
        ),
        "audio": [("input", files["input"]["path"]), ("output", files["output"]["path"])],
        "images": [figure.name],
        "table": [s],
        "files": files,
        **_provenance(loaded),
        "input_file": str(input_path),
    }


def control_section(loaded: Loaded, out_dir: Path, n_pairs: int = 4, crepe_model: str = "tiny") -> dict:
    """Independent control and interpolation on validation notes (see `demos.control`)."""
    from ddsp_repro.demos.control import control_table

    items = examples(loaded, "valid", n=4 * n_pairs)
    rows, renders, extra = control_table(loaded, items, n_pairs=n_pairs, crepe_model=crepe_model)
    out_dir.mkdir(parents=True, exist_ok=True)
    audio = [
        (name, write_wav(out_dir / f"control_{_slug(name)}.wav", a, loaded.sample_rate)["path"])
        for name, a in renders.items()
    ]
    figure = out_dir / "control.png"
    plots.plot_control(figure, rows, extra, f"{loaded.name}: following its controls")
    return {
        "demo": "independent_control",
        "title": f"Independent control and interpolation: {loaded.name}",
        "text": (
            "Each row changes one conditioning signal of validation notes and re-measures the output's "
            "loudness and f0 (CREPE) against what was asked. Interpolations are half-way to another note."
        ),
        "audio": audio,
        "images": [figure.name],
        "table": rows,
        **extra,
        "crepe_model": crepe_model,
        **_provenance(loaded),
    }


def extrapolation_section(
    loaded: Loaded, out_dir: Path, n_examples: int = 4, crepe_model: str = "tiny"
) -> dict:
    """The model driven an octave below and above its training range (see `demos.control`)."""
    from ddsp_repro.demos.control import extrapolation_table

    stats = stats_for(loaded)
    rows, renders = extrapolation_table(loaded, examples(loaded, "valid"), stats, n_examples, crepe_model)
    out_dir.mkdir(parents=True, exist_ok=True)
    audio = [
        (name, write_wav(out_dir / f"extrapolation_{_slug(name)}.wav", a, loaded.sample_rate)["path"])
        for name, a in renders.items()
    ]
    figure = out_dir / "extrapolation.png"
    plots.plot_extrapolation(figure, rows, f"{loaded.name}: pitch extrapolation")
    return {
        "demo": "pitch_extrapolation",
        "title": f"Pitch extrapolation: {loaded.name}",
        "text": (
            f"Validation phrases as recorded and transposed an octave beyond each end of the training range "
            f"(1st-99th percentile of pitched frames): MIDI {stats.pitch_low:.1f}-{stats.pitch_high:.1f}."
        ),
        "audio": audio,
        "images": [figure.name],
        "table": rows,
        "training_range_midi": [round(stats.pitch_low, 2), round(stats.pitch_high, 2)],
        "crepe_model": crepe_model,
        **_provenance(loaded),
    }


def room_section(loaded: Loaded, other_path: Path, out_dir: Path) -> dict:
    """Decomposition, dereverberation and room transfer (see `demos.rooms`)."""
    from ddsp_repro.demos.rooms import room_demo

    phrase = next(
        (
            it
            for it in examples(loaded, "valid")
            if float((it["f0_confidence"] >= 0.85).float().mean()) >= 0.3
        ),
        None,
    )
    if phrase is None:
        raise ValueError("no pitched validation phrase to decompose")
    window = {
        "audio": phrase["audio"][: loaded.model.config.n_samples].numpy(),
        "f0_hz": phrase["f0_hz"][: loaded.model.config.n_frames],
        "loudness_db": phrase["loudness_db"][: loaded.model.config.n_frames],
    }
    other = read_input(other_path, loaded.sample_rate, loaded.hop)
    measures, extra = room_demo(loaded, window, other)
    out_dir.mkdir(parents=True, exist_ok=True)
    audio = []
    for name in ("wet", "dry", "harmonic", "noise", "reverb", "other_input", "transferred"):
        audio.append(
            (name, write_wav(out_dir / f"room_{name}.wav", extra["audio"][name], loaded.sample_rate)["path"])
        )
    figure = out_dir / "room.png"
    plots.plot_room(figure, measures, extra, loaded.sample_rate, f"{loaded.name}: the learned room")
    table = [{"signal": k, **v} for k, v in measures.items()]
    return {
        "demo": "rooms",
        "title": f"Decomposition, dereverberation and room transfer: {loaded.name}",
        "text": (
            "A validation phrase as harmonic, noise and reverb parts; 'dry' bypasses the learned reverb "
            f"(dereverberation); '{Path(other_path).name}' is put through the learned room. RT60: T20 of the "
            "energy decay after the sound stops; tail: energy from 10 ms after the stop relative to before."
        ),
        "audio": audio,
        "images": [figure.name],
        "table": table,
        "other_file": str(other_path),
        **_provenance(loaded),
    }
