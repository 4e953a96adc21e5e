"""Shared behaviour of the command-line entry points."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def run_cli(main: Callable[[], None]) -> None:
    """Run `main`; expected failures (missing or bad input, stale caches) print one line and exit 2."""
    try:
        main()
    except (FileNotFoundError, FileExistsError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)


def preset_from_args(name: str, args: list[str], prog: str) -> Any:
    """The preset `name` with ``--section.field VALUE`` overrides from `args` (typed by tyro)."""
    import tyro

    from ddsp_repro.training.presets import PRESETS

    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; `python -m experiments.run --list` shows them")
    preset = PRESETS[name]
    return tyro.cli(
        type(preset), default=preset, args=args, prog=prog, description=f"{name}: {preset.paper_row}"
    )
