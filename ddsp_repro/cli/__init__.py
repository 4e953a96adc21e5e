"""The command line: ``ddsp-repro COMMAND ...``, one typed app over the library.

Every command is a typed function (tyro reads its signature and docstring for ``--help``); the
functions live beside their layer's concerns (`train`, `evaluate`, `data`, `instrument`, `demos`,
`sweep`, `benchmark`) and stay thin: parse, call the library, print what it returns. Expected failures
(missing or bad input, stale caches) print one line and exit with status 2.

The documented ``python -m`` commands (``experiments.run``, ``evals.run``, ...) are aliases that
call `main` with their command name.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Union

__all__ = ["commands", "main", "run_command"]


def commands() -> dict[str, Callable]:
    """Every command by its name on the command line."""
    from ddsp_repro.cli import (
        benchmark,
        data,
        demos,
        evaluate,
        instrument,
        pretrained,
        realtime,
        sweep,
        train,
    )

    return {
        "train": train.train,
        "presets": train.presets,
        "eval": evaluate.evaluate,
        "results": evaluate.results,
        "regression": evaluate.regression,
        "alignment": evaluate.alignment,
        "build-data": data.build_data,
        "inspect": data.inspect,
        "prepare": data.prepare,
        "instrument": instrument.instrument,
        "compare-fine-tuning": instrument.compare_fine_tuning,
        "pretrained": pretrained.pretrained,
        "package-pretrained": pretrained.package_pretrained,
        "import-magenta": data.import_magenta,
        "synthesis-demo": demos.synthesis_demo,
        "transfer": demos.transfer,
        "control": demos.control,
        "extrapolate": demos.extrapolate,
        "rooms": demos.rooms,
        "demo-inputs": demos.demo_inputs,
        "demo-page": demos.demo_page,
        "sweep": sweep.sweep,
        "sweep-spec": sweep.sweep_spec,
        "benchmark": benchmark.benchmark,
        "export": realtime.export,
        "stream": realtime.stream,
    }


def _run_guarded(call: Callable[[], object]) -> None:
    """Run `call`; expected failures print ``error: ...`` and exit 2 (no traceback).

    A preempted training run (`training.faults.Preempted`) exits with its own status instead
    (75, which the SLURM template requeues on).
    """
    try:
        call()
    except (FileNotFoundError, FileExistsError, ValueError, RuntimeError, KeyError, ImportError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"error: {message}", file=sys.stderr)
        sys.exit(getattr(exc, "exit_status", 2))  # a preempted run: its requeue status


def _summary(fn: Callable) -> str:
    return (fn.__doc__ or "").strip().split("\n")[0]


def main(argv: Sequence[str] | None = None, prog: str = "ddsp-repro", raise_errors: bool = False) -> None:
    """Parse `argv` (default: the process's arguments) and run the command it names.

    ``ddsp-repro COMMAND ...`` builds only that command's parser (its ``--help`` shows the whole
    docstring); anything else gets the app's help, which lists every command with its summary.
    `raise_errors` lets a command's exceptions through instead of the one-line error and exit 2.
    """
    import tyro

    from ddsp_repro.logs import configure_logging

    configure_logging()
    args = list(sys.argv[1:] if argv is None else argv)
    table = commands()
    config = (tyro.conf.OmitSubcommandPrefixes, tyro.conf.CascadeSubcommandArgs)
    if args and args[0] in table:
        command = table[args[0]]
        run = lambda: tyro.cli(command, args=args[1:], prog=f"{prog} {args[0]}", config=config)  # noqa: E731
        run() if raise_errors else _run_guarded(run)
        return
    app = Union[  # noqa: UP007 (a runtime union of annotated commands)
        tuple(
            Annotated[fn, tyro.conf.subcommand(name=name, description=_summary(fn))]
            for name, fn in table.items()
        )
    ]
    description = "DDSP (Engel et al., ICLR 2020) in PyTorch: train, evaluate, demonstrate, tune."
    _run_guarded(lambda: tyro.cli(app, args=args, prog=prog, description=description, config=config))


def run_command(command: str, argv: Sequence[str] | None = None) -> None:
    """``ddsp-repro COMMAND ARGV...``: what the ``python -m`` aliases call."""
    args = list(sys.argv[1:] if argv is None else argv)
    main([command, *args])
