"""Named stages of a computation, timed only when someone asks (the benchmark's per-part breakdown).

    with collect() as parts:        # {stage name: seconds}
        step()                      # code inside runs `with stage("GRU"): ...` blocks

Outside `collect` a `stage` costs one context-variable lookup. Inside, each stage's time is
exclusive: a stage nested in another (the z-encoder's GRU inside "encoders") is counted once,
under the inner name. On a GPU every boundary synchronises, so the times are the kernels' own.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections import defaultdict
from collections.abc import Iterator

import torch

__all__ = ["collect", "stage"]

_ACTIVE: contextvars.ContextVar[_Collector | None] = contextvars.ContextVar("ddsp_repro_stages", default=None)


class _Collector:
    def __init__(self, sync: bool) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.children: list[float] = []  # time of the nested stages of each open stage
        self.sync = sync

    def now(self) -> float:
        if self.sync:
            torch.cuda.synchronize()
        return time.perf_counter()


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Time this block as `name` when a `collect` is active; otherwise do nothing."""
    collector = _ACTIVE.get()
    if collector is None:
        yield
        return
    collector.children.append(0.0)
    start = collector.now()
    try:
        yield
    finally:
        total = collector.now() - start
        nested = collector.children.pop()
        collector.seconds[name] += total - nested
        if collector.children:
            collector.children[-1] += total


@contextlib.contextmanager
def collect(sync_cuda: bool = False) -> Iterator[dict[str, float]]:
    """Gather the exclusive seconds of every `stage` run in this block, by name."""
    collector = _Collector(sync_cuda and torch.cuda.is_available())
    token = _ACTIVE.set(collector)
    try:
        yield collector.seconds
    finally:
        _ACTIVE.reset(token)
