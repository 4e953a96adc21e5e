"""Train a preset: `python -m experiments.run PRESET [--resume] [--overwrite] [--section.field VALUE ...]`.

    python -m experiments.run --list                         # presets, paper rows, parameter counts
    python -m experiments.run supervised_nsynth_cpu --help   # every field, typed, with its default
    python -m experiments.run supervised_nsynth_cpu --trainer.max-steps 50 --optim.lr 1e-3
    python -m experiments.run supervised_nsynth_cpu --resume # continue a killed run

Runs are written to ``runs/{preset}-{config hash}-s{seed}/`` (see `ddsp_repro.training.train`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ddsp_repro._cli import preset_from_args, run_cli


def _parameter_count(config) -> int:
    from ddsp_repro.models.autoencoder import Autoencoder
    from ddsp_repro.models.wavernn import WaveRNN, WaveRNNConfig

    model = WaveRNN(config.model) if isinstance(config.model, WaveRNNConfig) else Autoencoder(config.model)
    return model.n_trainable_parameters()


def list_presets() -> None:
    from ddsp_repro.training.presets import PRESETS

    print(f"{'preset':<26}{'trainable params':>18}  reproduces")
    for name, config in PRESETS.items():
        print(f"{name:<26}{_parameter_count(config):>18,}  {config.paper_row}")


def main(argv: list[str] | None = None) -> None:
    from ddsp_repro.training.presets import PRESETS

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("--list", "-l"):
        list_presets()
        return
    if argv[0] in ("-h", "--help"):
        print(__doc__)
        print("presets: " + ", ".join(PRESETS))
        return
    name, rest = argv[0], argv[1:]
    flags = {"--resume": False, "--overwrite": False}
    for flag in flags:
        if flag in rest:
            flags[flag] = True
            rest.remove(flag)
    config = preset_from_args(name, rest, prog=f"python -m experiments.run {name} [--resume] [--overwrite]")
    from ddsp_repro.training.train import run_dir_for, train

    print(f"run directory: {run_dir_for(config)}")
    metrics = train(config, resume=flags["--resume"], overwrite=flags["--overwrite"])
    print(json.dumps(metrics, indent=2, sort_keys=True))
    _report(Path(metrics["run_dir"]))


def _report(run_dir: Path) -> None:
    """Where to listen and look, and whether the resynthesised audio is fit to hear."""
    import soundfile as sf

    from ddsp_repro.training.media import audio_problem

    for path in sorted((run_dir / "samples").glob("*_resynthesis.wav")):
        problem = audio_problem(sf.read(path, dtype="float32")[0])
        if problem:
            print(f"warning: {path.name} {problem}", file=sys.stderr)
    print(
        f"samples: {run_dir / 'samples'}/  plots: {run_dir / 'plots'}/  metrics: {run_dir / 'metrics.json'}"
    )


if __name__ == "__main__":
    run_cli(lambda: main())
