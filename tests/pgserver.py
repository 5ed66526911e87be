"""A throwaway PostgreSQL cluster on a loopback port, for the storage tests."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unavailable() -> str | None:
    """Why no server can be started here, or None."""
    if _binaries() is None:
        return "PostgreSQL is not installed (make test installs it with apt-get as root)"
    if os.geteuid() == 0:
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server"
    return None


def _run(command: list[str], *, as_postgres: bool) -> None:
    if as_postgres:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, text=True)


@contextmanager
def server() -> Iterator[str]:
    """Start a cluster in a temporary folder; yield its SQLAlchemy URL; stop and remove it."""
    binaries = _binaries()
    assert binaries is not None, unavailable()
    as_postgres = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="carepulse-pg-"))
    if as_postgres:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    _run(
        [str(binaries / "initdb"), "-D", str(data), "-U", "carepulse", "-A", "trust"],
        as_postgres=as_postgres,
    )
    options = f"-h 127.0.0.1 -p {port} -k {folder} -F"
    _run(
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-w",
            "-l",
            str(folder / "log"),
            "start",
        ],
        as_postgres=as_postgres,
    )
    try:
        yield f"postgresql+psycopg://carepulse@127.0.0.1:{port}/postgres"
    finally:
        _run(
            [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            as_postgres=as_postgres,
        )
        shutil.rmtree(folder, ignore_errors=True)
