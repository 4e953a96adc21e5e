"""Build and load the fused CPU kernel for harmonic synthesis (`harmonic_kernel.c`).

The kernel is plain C with OpenMP, compiled once with the system C compiler into a per-user cache
(``$DDSP_REPRO_CACHE`` or ``~/.cache/ddsp_repro``; a few seconds, no torch headers) and loaded with
ctypes. When no compiler is available, or ``DDSP_REPRO_NATIVE=0``, `load_kernel` returns None and
callers use the equivalent pure-PyTorch path.
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

__all__ = ["cache_dir", "disabled", "enabled", "kernel", "load_kernel"]

_SOURCE = Path(__file__).with_name("harmonic_kernel.c")
_FLAG_SETS = (
    ["-O3", "-march=native", "-fopenmp"],
    ["-O3", "-fopenmp"],
    ["-O3"],
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


def kernel() -> ctypes.CDLL | None:
    """The kernel library for a caller to use now: None inside `disabled()` or if it cannot be
    built (`load_kernel`)."""
    return None if _DISABLED.get() else load_kernel()


def cache_dir() -> Path:
    return Path(os.environ.get("DDSP_REPRO_CACHE", Path.home() / ".cache" / "ddsp_repro"))


def _cpu_signature() -> str:
    try:
        info = Path("/proc/cpuinfo").read_text()
        lines = [line for line in info.splitlines() if line.startswith(("model name", "flags"))][:2]
        return "\n".join(lines)
    except OSError:
        return platform.processor()


def _compile(compiler: str, flags: list[str], target: Path) -> bool:
    try:  # a half-written library is never loaded; processes compiling at once do not collide
        with atomic_path(target, unique=True) as partial:
            cmd = [compiler, *flags, "-fPIC", "-shared", str(_SOURCE), "-o", str(partial), "-lm"]
            if subprocess.run(cmd, capture_output=True, text=True).returncode != 0:
                raise _CompileFailed
    except _CompileFailed:
        return False
    return True


class _CompileFailed(Exception):
    pass


@functools.lru_cache(maxsize=1)
def load_kernel() -> ctypes.CDLL | None:
    """The compiled kernel library, or None if it cannot be built here."""
    if os.environ.get("DDSP_REPRO_NATIVE", "1") == "0":
        return None
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if compiler is None:
        return None
    source = _SOURCE.read_bytes()
    for flags in _FLAG_SETS:
        key = hashlib.sha256(source + " ".join(flags).encode() + _cpu_signature().encode()).hexdigest()[:16]
        target = cache_dir() / f"harmonic_kernel_{key}.so"
        if not target.exists() and not _compile(compiler, flags, target):
            continue
        try:
            lib = ctypes.CDLL(str(target))
        except OSError as exc:  # pragma: no cover - broken cache entry
            warnings.warn(f"could not load {target}: {exc}", stacklevel=2)
            continue
        _declare(lib)
        return lib
    return None


def _declare(lib: ctypes.CDLL) -> None:
    p, i, d = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
    lib.harmonic_forward.argtypes = [p, p, p, p, i, i, i, i, d, i, i]
    lib.harmonic_forward.restype = None
    lib.harmonic_backward.argtypes = [p, p, p, p, p, p, p, i, i, i, i, d, i, i]
    lib.harmonic_backward.restype = None
