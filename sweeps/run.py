"""Tune a preset: `python -m sweeps.run PRESET --n-trials N [--storage URL] [--study-name NAME] [...]`.

    python -m sweeps.run tiny_violin_cpu --n-trials 20              # one worker, SQLite under runs/sweeps/
    python -m sweeps.run tiny_violin_cpu --n-trials 20              # again: resumes the same study
    python -m sweeps.run tiny_violin_cpu --n-trials 20 --trainer.max-steps 300   # preset overrides
    python -m sweeps.run supervised_nsynth --n-trials 64 --storage postgresql://user:pw@host/db
                                                                     # one such command per worker

Sweep options come first-or-anywhere; every other ``--section.field VALUE`` overrides the preset as
in `experiments.run`. The search space is `sweeps.spaces` (``--show-space`` prints it).
"""

from __future__ import annotations

import argparse
import json
import sys

from ddsp_repro._cli import preset_from_args, run_cli


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sweeps.run",
        description=__doc__.split("\n")[0],
        epilog="Preset overrides (--section.field VALUE): see `python -m experiments.run PRESET --help`.",
    )
    p.add_argument("preset")
    p.add_argument("--n-trials", type=int, help="finished trials to reach, counted over all workers")
    p.add_argument("--storage", help="SQLAlchemy URL (default: sqlite file in RUNS/sweeps/STUDY/)")
    p.add_argument("--study-name", help="default: the preset's name")
    p.add_argument("--pruner", choices=("median", "hyperband", "none"), default="median")
    p.add_argument("--sampler", choices=("tpe", "random"), default="tpe")
    p.add_argument("--seed", type=int, help="sampler seed (leave unset when several workers share a study)")
    p.add_argument("--heartbeat-seconds", type=int, default=60, help="a dead worker's trial is retried")
    p.add_argument("--max-retry", type=int, default=2, help="retries of a trial whose worker died")
    p.add_argument("--show-space", action="store_true", help="print the search space and exit")
    return p


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return
    args, rest = parser.parse_known_args(argv)
    from sweeps.space import check
    from sweeps.spaces import space_for

    space = space_for(args.preset)
    config = preset_from_args(args.preset, rest, prog=f"python -m sweeps.run {args.preset} [sweep options]")
    check(space, config)
    if args.show_space:
        print(json.dumps({k: repr(v) for k, v in space.params.items()}, indent=2))
        return
    if args.n_trials is None or args.n_trials < 1:
        parser.error("--n-trials N (N >= 1) is required")
    from sweeps.study import StudyOptions, log_study_to_wandb, run_worker, study_dir_for, write_report

    options = StudyOptions(
        n_trials=args.n_trials,
        storage=args.storage,
        study_name=args.study_name,
        pruner=args.pruner,
        sampler=args.sampler,
        seed=args.seed,
        heartbeat_seconds=args.heartbeat_seconds,
        max_retry=args.max_retry,
    )
    study = run_worker(config, space, options)
    folder = study_dir_for(config, study.study_name)
    summary = write_report(study, folder, space)
    log_study_to_wandb(summary, folder, config)
    print(json.dumps(summary, indent=2, sort_keys=True))
    print(f"study folder: {folder}/")


if __name__ == "__main__":
    run_cli(lambda: main())
