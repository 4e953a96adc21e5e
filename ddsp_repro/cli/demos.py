"""The demonstrations: ``ddsp-repro synthesis-demo|transfer|control|extrapolate|rooms|demo-inputs|demo-page``.

Each writes its audio, a figure and ``results.json`` (the measured figures) into ``--out`` and
prints the figures. All but `synthesis-demo` need a checkpoint of a model conditioned on f0
(supervised or solo-instrument presets).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Literal

from tyro.conf import UseAppendAction

Crepe = Literal["tiny", "full"]
INPUTS_DIR = Path("data/demo_inputs")


def _report(out: Path, section: dict, table=None) -> None:
    """Write the section's results.json; print its measured figures and where its figure is."""
    from ddsp_repro.demos.sections import write_results

    write_results(out, section)
    print(json.dumps(section["table"] if table is None else table, indent=2))
    print(f"figure: {out / section['images'][0]}")


def synthesis_demo(out: Path = Path("outputs/demo"), seed: int = 0, crepe_model: Crepe = "tiny") -> None:
    """Render the paper's synths from hand-made controls (no training): audio, figure, summary.

    Args:
        out: folder for the wavs, the figure and demo_summary.json.
        seed: noise and room seed.
        crepe_model: CREPE that re-measures the f0 (full is the paper's, ~30x slower on CPU).
    """
    from ddsp_repro.demos.synthesis import run_demo

    result = run_demo(out, seed=seed, crepe_model=crepe_model)
    for name, path in result.wav_paths.items():
        print(f"wrote {path}  ({name})")
    print(f"wrote {result.figure_path}")
    print(json.dumps(result.summary, indent=2))


def _model(checkpoint: Path | None, instrument: Path | None):
    """The model named by ``--checkpoint`` or ``--instrument`` (exactly one of them)."""
    from ddsp_repro.demos.common import load_model

    if (checkpoint is None) == (instrument is None):
        raise ValueError("give --checkpoint CKPT or --instrument FOLDER (one of them)")
    return load_model(checkpoint or instrument)


def transfer(
    input: Path,
    out: Path = Path("outputs/transfer"),
    checkpoint: Path | None = None,
    instrument: Path | None = None,
    octave_shift: int | None = None,
    confidence: float = 0.5,
    quiet_db: float = 20.0,
    room: bool = True,
    match_loudness: bool = True,
    crepe_model: Crepe = "tiny",
) -> None:
    """Timbre transfer: play any recording (speech, another instrument) with a trained model.

    Writes the input (mono, 16 kHz), the output, a figure (spectrograms, f0 and loudness of input,
    conditioning and output) and results.json. Any rate, channel count and length are accepted.

    Args:
        input: the audio to transfer.
        out: the folder written.
        checkpoint: a trained model conditioned on f0.
        instrument: or a folder written by `ddsp-repro instrument`, or pretrained:NAME (a shipped model).
        octave_shift: octaves to shift the input's f0 (default: automatic, to the training data's pitch).
        confidence: CREPE confidence from which a frame counts as pitched.
        quiet_db: how much unpitched frames are lowered.
        room: measure loudness through the learned room (the paper's recipe).
        match_loudness: match the input's loudness statistics to the training data's.
        crepe_model: CREPE for the input's and the output's f0.
    """
    from ddsp_repro.demos.sections import transfer_section

    section = transfer_section(
        _model(checkpoint, instrument),
        input,
        out,
        octave_shift=octave_shift,
        confidence=confidence,
        quiet_db=quiet_db,
        room=room,
        match_loudness=match_loudness,
        crepe_model=crepe_model,
    )
    _report(out, section, table=section["table"][0])
    print(f"output: {out / section['files']['output']['path']}")


def control(
    out: Path,
    pairs: int = 4,
    crepe_model: Crepe = "tiny",
    checkpoint: Path | None = None,
    instrument: Path | None = None,
) -> None:
    """Independent control and interpolation of f0, loudness and z on validation notes.

    Re-renders validation notes with f0 shifted, loudness offset, and f0 / loudness / z
    interpolated to another note, re-measures the outputs and writes the table (the paper's
    appendix interpolation table), the renders, a figure and results.json.

    Args:
        checkpoint: a trained model conditioned on f0.
        instrument: or a folder written by `ddsp-repro instrument`, or pretrained:NAME (a shipped model).
        out: the folder written.
        pairs: note pairs averaged over.
        crepe_model: CREPE that re-measures the outputs.
    """
    from ddsp_repro.demos.sections import control_section

    _report(out, control_section(_model(checkpoint, instrument), out, pairs, crepe_model))


def extrapolate(
    out: Path,
    examples: int = 4,
    crepe_model: Crepe = "tiny",
    checkpoint: Path | None = None,
    instrument: Path | None = None,
) -> None:
    """Pitch extrapolation: validation phrases an octave below and above the training range.

    Args:
        checkpoint: a trained model conditioned on f0.
        instrument: or a folder written by `ddsp-repro instrument`, or pretrained:NAME (a shipped model).
        out: the folder written.
        examples: validation phrases rendered.
        crepe_model: CREPE that measures what the model plays.
    """
    from ddsp_repro.demos.sections import extrapolation_section

    _report(out, extrapolation_section(_model(checkpoint, instrument), out, examples, crepe_model))


def rooms(
    out: Path,
    input: Path | None = None,
    inputs_dir: Path = INPUTS_DIR,
    checkpoint: Path | None = None,
    instrument: Path | None = None,
) -> None:
    """Decomposition, dereverberation and room transfer (models with a learned reverb).

    Writes the harmonic, noise, reverb, wet and dry parts of a validation phrase, `input` put
    through the learned room, a figure and the room measures (decay times, DRR).

    Args:
        checkpoint: a trained solo_violin* or tiny_violin* model.
        instrument: or a folder written by `ddsp-repro instrument`, or pretrained:NAME (a shipped model).
        out: the folder written.
        input: audio to put in the learned room (default: a speech clip).
        inputs_dir: where the offline speech clips are gathered.
    """
    from ddsp_repro.demos.inputs import speech_inputs
    from ddsp_repro.demos.sections import room_section

    other = input or speech_inputs(inputs_dir)[-1]
    _report(out, room_section(_model(checkpoint, instrument), other, out))


def demo_inputs(out: Path = INPUTS_DIR) -> None:
    """Gather the offline speech inputs (alsa-utils clips, CMU ARCTIC arctic_a0007 from pysptk's sdist).

    Args:
        out: the folder written.
    """
    from ddsp_repro.demos.inputs import speech_inputs

    for path in speech_inputs(out):
        print(path)


def demo_page(
    checkpoint: Annotated[list[Path], UseAppendAction],
    out: Path,
    input: Annotated[list[Path], UseAppendAction] = [],  # noqa: B006 (tyro copies defaults)
    inputs_dir: Path = INPUTS_DIR,
    crepe_model: Crepe = "tiny",
    pairs: int = 4,
    record: Path | None = None,
) -> None:
    """Every demonstration of each model on one page: SITE/index.html, one folder per demonstration.

    Args:
        checkpoint: a model (repeat for more).
        out: the site folder (open index.html in a browser).
        input: an input for timbre transfer (repeat for more; default: the offline speech clips).
        inputs_dir: where the offline speech clips are gathered.
        crepe_model: CREPE that measures the outputs.
        pairs: note pairs of the control table.
        record: also copy every measured figure here (``ddsp-repro results`` puts it in RESULTS.md).
    """
    from ddsp_repro.demos.inputs import speech_inputs
    from ddsp_repro.demos.page import build_demo_page

    page = build_demo_page(
        list(checkpoint), out, list(input or speech_inputs(inputs_dir)), crepe_model, pairs
    )
    if record:
        record.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(out / "demos.json", record)
        print(f"recorded: {record} (`ddsp-repro results` puts it in RESULTS.md)")
    print(f"demo page: {page}")
