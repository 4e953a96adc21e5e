"""A throwaway PostgreSQL server (Debian's `postgresql` binaries) on a loopback port, for one test session."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(versions[-1]).parent if versions else None


def _as_server_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the `postgres` account."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def postgres_server(database: str = "ddsp") -> Iterator[str]:
    """Start a server with its data in a new temporary folder; yields its SQLAlchemy URL; stops it.

    The folder is made directly under the system's temporary folder (as root, owned by `postgres`,
    which could not enter pytest's root-only folders).

    Skips the test where no server binaries are installed, unless ``DDSP_REQUIRE_POSTGRES=1``
    (CI installs them, so there a missing server is a failure).
    """
    bin_dir = _binaries()
    if bin_dir is None or (os.geteuid() == 0 and not _user_exists("postgres")):
        if os.environ.get("DDSP_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries are required here (apt-get install postgresql)")
        pytest.skip("no PostgreSQL server installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="ddsp-postgres-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = lambda *cmd: subprocess.run(_as_server_user([str(bin_dir / cmd[0]), *cmd[1:]]),  # noqa: E731
                                      check=True, capture_output=True, text=True)  # fmt: skip
    run("initdb", "-D", str(data), "-U", "ddsp", "-A", "trust", "--no-sync")
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off"
    run("pg_ctl", "-D", str(data), "-l", str(folder / "server.log"), "-o", options, "-w", "start")
    try:
        for _ in range(50):
            done = subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                                  capture_output=True)  # fmt: skip
            if done.returncode == 0:
                break
            time.sleep(0.1)
        run("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "ddsp", database)
        yield f"postgresql://ddsp@127.0.0.1:{port}/{database}"
    finally:
        subprocess.run(_as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
