"""Start a throwaway PostgreSQL server on 127.0.0.1 for the tests and benchmarks.

The server binaries (`initdb`, `pg_ctl`) come from the PATH or Debian's
/usr/lib/postgresql/<version>/bin. PostgreSQL refuses to run as root, so as
root the server runs as the unprivileged user `nobody`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are not on this machine."""


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    raise PostgresUnavailable(f"{name} not found on PATH or in /usr/lib/postgresql/*/bin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    root: Path
    port: int
    user: str | None

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, user=self.user, cwd=self.root)

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create database `name` (a copy of database `template`) and return its URL."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(
                f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
            )
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            [_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            user=self.user,
            cwd=self.root,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start() -> PostgresServer:
    """Initialise and start a fast, non-durable server; stop it with `.stop()`."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    # In memory where the machine has it (/dev/shm): every test's database is a few MB of
    # files, and on a busy disk their writing and removal cost more than the tests.
    shm = Path("/dev/shm")
    where = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    root = Path(tempfile.mkdtemp(prefix="sportello-pg-", dir=where))
    user = None
    if os.geteuid() == 0:
        user = "nobody"
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(root, _free_port(), user)
    options = (
        f"-p {server.port} -h 127.0.0.1 -k {root} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=50"
    )
    try:
        server._run(
            initdb,
            "-D",
            str(server.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        server._run(
            pg_ctl,
            "-D",
            str(server.data),
            "-o",
            options,
            "-l",
            str(root / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
    except subprocess.CalledProcessError as exc:
        log = root / "server.log"
        detail = log.read_text() if log.exists() else exc.stderr.decode(errors="replace")
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {detail}") from exc
    return server
