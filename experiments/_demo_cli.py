"""What the one-demonstration commands share: their common arguments and how they report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def demo_parser(prog: str, doc: str, crepe: bool = True) -> argparse.ArgumentParser:
    """A parser with ``--checkpoint`` and ``--out`` (and ``--crepe-model``) for `prog`."""
    p = argparse.ArgumentParser(prog=f"python -m {prog}", description=doc.split("\n")[0])
    p.add_argument("--checkpoint", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    if crepe:
        p.add_argument("--crepe-model", choices=("tiny", "full"), default="tiny")
    return p


def report(out: Path, section: dict, table=None) -> None:
    """Write the section's results.json; print its measured figures and where its figure is."""
    from ddsp_repro.demos.sections import write_results

    write_results(out, section)
    print(json.dumps(section["table"] if table is None else table, indent=2))
    print(f"figure: {out / section['images'][0]}")
