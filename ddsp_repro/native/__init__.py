"""Build and load the fused CPU kernels: harmonic synthesis (`harmonic_kernel.c`), the GRU
recurrences (`gru_kernel.c`), one scale of the spectral loss (`spectral_kernel.c`) and the streaming
renderer's block (`stream_kernel.c`); the headers (`*.h`) hold what two kernels share.

Each kernel is plain C with OpenMP, compiled once with the system C compiler into a per-user cache
(``$DDSP_REPRO_CACHE`` or ``~/.cache/ddsp_repro``; a few seconds, no torch headers) and loaded with
ctypes. When no compiler is available, or ``DDSP_REPRO_NATIVE=0``, `load_kernel` returns None and
callers use the equivalent pure-PyTorch path.

Every kernel computes each output element in one thread, in a fixed order, so results do not
depend on the thread count.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import warnings
from pathlib import Path

from ddsp_repro.audio import atomic_path

__all__ = ["KERNELS", "cache_dir", "disabled", "enabled", "kernel", "load_kernel"]

KERNELS = ("harmonic", "gru", "spectral", "stream")
_FLAG_SETS = (
    ["-O3", "-fno-math-errno", "-fno-trapping-math", "-march=native", "-fopenmp"],
    ["-O3", "-fno-math-errno", "-fno-trapping-math", "-fopenmp"],
    ["-O3", "-fno-math-errno", "-fno-trapping-math"],
)


_DISABLED = contextvars.ContextVar("ddsp_repro_native_disabled", default=False)


@contextlib.contextmanager
def disabled():
    """Within this block every fast path steps aside for its plain-PyTorch reference: the compiled
    kernels and the hand-written backward passes (benchmark references, agreement tests)."""
    token = _DISABLED.set(True)
    try:
        yield
    finally:
        _DISABLED.reset(token)


def enabled() -> bool:
    """False inside `disabled()`."""
    return not _DISABLED.get()


def kernel(name: str = "harmonic") -> ctypes.CDLL | None:
    """The library of kernel `name` for a caller to use now: None inside `disabled()` or if it
    cannot be built (`load_kernel`)."""
    return None if _DISABLED.get() else load_kernel(name)


def cache_dir() -> Path:
    return Path(os.environ.get("DDSP_REPRO_CACHE", Path.home() / ".cache" / "ddsp_repro"))


def _cpu_signature() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
        lines = [line for line in info.splitlines() if line.startswith(("model name", "flags"))][:2]
        return "\n".join(lines)
    except OSError:
        return platform.processor()


def _compile(compiler: str, flags: list[str], source: Path, target: Path) -> bool:
    try:  # a half-written library is never loaded; processes compiling at once do not collide
        with atomic_path(target, unique=True) as partial:
            cmd = [compiler, *flags, "-fPIC", "-shared", str(source), "-o", str(partial), "-lm"]
            if subprocess.run(cmd, capture_output=True, text=True).returncode != 0:
                raise _CompileFailed
    except _CompileFailed:
        return False
    return True


class _CompileFailed(Exception):
    pass


@functools.cache
def load_kernel(name: str = "harmonic") -> ctypes.CDLL | None:
    """The compiled library of kernel `name` (one of `KERNELS`), or None if it cannot be built here."""
    if name not in KERNELS:
        raise ValueError(f"no kernel {name!r}; kernels: {KERNELS}")
    if os.environ.get("DDSP_REPRO_NATIVE", "1") == "0":
        return None
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        return None
    path = Path(__file__).with_name(f"{name}_kernel.c")
    source = path.read_bytes() + b"".join(h.read_bytes() for h in sorted(path.parent.glob("*.h")))
    for flags in _FLAG_SETS:
        key = hashlib.sha256(source + " ".join(flags).encode() + _cpu_signature().encode()).hexdigest()[:16]
        target = cache_dir() / f"{name}_kernel_{key}.so"
        if not target.exists() and not _compile(compiler, flags, path, target):
            continue
        try:
            lib = ctypes.CDLL(str(target))
        except OSError as exc:  # pragma: no cover - broken cache entry
            warnings.warn(f"could not load {target}: {exc}", stacklevel=2)
            continue
        for function, argtypes in _SIGNATURES[name].items():
            getattr(lib, function).argtypes = argtypes
            getattr(lib, function).restype = _RESTYPES.get(function)
        return lib
    return None


_P, _I, _D = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
_SIGNATURES = {
    "harmonic": {
        "harmonic_forward": [_P, _P, _P, _P, _I, _I, _I, _I, _D, _I, _I],
        "harmonic_backward": [_P, _P, _P, _P, _P, _P, _P, _I, _I, _I, _I, _D, _I, _I],
    },
    "gru": {  # pointers, then batch, n_steps, hidden, n_threads
        "gru_v1_forward": [_P] * 5 + [_I] * 4,
        "gru_v1_backward": [_P] * 6 + [_I] * 4,
        "gru_v2_forward": [_P] * 6 + [_I] * 4,
        "gru_v2_backward": [_P] * 7 + [_I] * 4,
    },
    "spectral": {
        "spectral_l1": [_P] * 4 + [ctypes.c_long, _I, _D, _D, _D, ctypes.c_float, _I],
    },
    "stream": {  # a handle from stream_create, then pointers and sizes (stream_kernel.c)
        "stream_create": [_P, _P, _P, _P, _D],
        "stream_reset": [_P, _I],
        "stream_block": [_P, _P, _P, _P, _I, _P],
        "stream_flush": [_P, _I, _P],
        "stream_free": [_P],
    },
}
_RESTYPES = {"stream_create": ctypes.c_void_p, "stream_block": _I}
