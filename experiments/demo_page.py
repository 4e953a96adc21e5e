"""The demo page: `python -m experiments.demo_page --checkpoint CKPT [--checkpoint CKPT2] --out SITE`.

Runs every demonstration that applies to each model and writes SITE/index.html (open it in a
browser), one folder per demonstration and SITE/demos.json with every measured figure:

- timbre transfer of each speech input (`--input`, default `ddsp_repro.demos.inputs`);
- independent control and interpolation on validation notes;
- pitch extrapolation an octave below and above the training range;
- decomposition, dereverberation and room transfer (models with a learned reverb).
"""

from __future__ import annotations

import argparse
import shutil
from functools import partial
from pathlib import Path

from ddsp_repro._cli import run_cli


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m experiments.demo_page", description=__doc__.split("\n")[0])
    p.add_argument("--checkpoint", required=True, type=Path, action="append", help="repeat for more models")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--input", type=Path, action="append", help="inputs for timbre transfer (repeatable)")
    p.add_argument("--inputs-dir", type=Path, default=Path("data/demo_inputs"))
    p.add_argument("--crepe-model", choices=("tiny", "full"), default="tiny")
    p.add_argument("--pairs", type=int, default=4, help="note pairs of the control table")
    p.add_argument("--record", type=Path, help="also copy every measured figure here (RESULTS.md reads it)")
    args = p.parse_args(argv)
    from ddsp_repro.demos.common import load_model
    from ddsp_repro.demos.inputs import speech_inputs
    from ddsp_repro.demos.page import write_page
    from ddsp_repro.demos.sections import (
        control_section,
        extrapolation_section,
        room_section,
        transfer_section,
        write_results,
    )

    inputs = args.input or speech_inputs(args.inputs_dir)
    crepe = args.crepe_model
    sections: list[tuple[str, dict]] = []

    def add(folder: str, make) -> None:
        print(f"{folder} ...", flush=True)
        section = make(out_dir=args.out / folder)
        write_results(args.out / folder, section)
        sections.append((folder, section))

    for checkpoint in args.checkpoint:
        loaded = load_model(checkpoint)
        name = loaded.name
        if loaded.config.model.f0_encoder:  # every demonstration sets f0 itself
            print(f"skipping {name}: it learns f0 from audio, and the demonstrations set f0 themselves")
            continue
        for path in inputs:
            add(
                f"{name}/transfer_{path.stem.lower()}",
                partial(transfer_section, loaded, path, crepe_model=crepe),
            )
        add(f"{name}/control", partial(control_section, loaded, n_pairs=args.pairs, crepe_model=crepe))
        add(f"{name}/extrapolation", partial(extrapolation_section, loaded, crepe_model=crepe))
        if loaded.model.reverb is not None:
            add(f"{name}/rooms", partial(room_section, loaded, inputs[-1]))
    if not sections:
        raise ValueError("none of the models given is conditioned on f0: nothing to demonstrate")
    page = write_page(
        args.out,
        sections,
        "ddsp-repro: the paper's demonstrations",
        "Each section is one command of experiments/ run on the models below; every figure under the "
        "players was measured on the audio above it. Models trained at the scale their presets say.",
    )
    if args.record:
        args.record.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(args.out / "demos.json", args.record)
        print(f"recorded: {args.record} (python -m evals.make_results puts it in RESULTS.md)")
    print(f"demo page: {page}")


if __name__ == "__main__":
    run_cli(lambda: main())
