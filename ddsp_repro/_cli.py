"""Shared behaviour of the command-line entry points."""

from __future__ import annotations

import sys
from collections.abc import Callable


def run_cli(main: Callable[[], None]) -> None:
    """Run `main`; expected failures (missing or bad input, stale caches) print one line and exit 2."""
    try:
        main()
    except (FileNotFoundError, FileExistsError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
