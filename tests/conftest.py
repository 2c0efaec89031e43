"""Shared pytest fixtures.  Each section below belongs to one area; keep them
delimited so that several people can add fixtures without stepping on each other."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# ---------------------------------------------------------------------------
# PostgreSQL: a throw-away cluster per test session (store/).
#
# Recipe from /work/shared/TESTING.md: initdb + pg_ctl as the postgres user
# (postgres refuses to run as root), in a mkdtemp() folder, listening on
# 127.0.0.1 on a free port, fsync off for speed (tests only — the durability
# test uses SQLite with the real settings).  Missing binaries FAIL the tests
# (`make test` installs them through scripts/system-deps.sh) unless
# JOIGNABLE_SKIP_POSTGRES=1, which skips every postgres test.
# ---------------------------------------------------------------------------

POSTGRES_SKIP_ENV = "JOIGNABLE_SKIP_POSTGRES"


def _postgres_bindir() -> Path | None:
    """bin folder of the newest PostgreSQL installed from Debian packages."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")

    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.parent.name
        return tuple(int(p) for p in name.split(".") if p.isdigit())

    found.sort(key=version)
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(cmd: list[str]) -> list[str]:
    """Run *cmd* as the postgres user when we are root; as ourselves otherwise."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _run_pg(cmd: list[str], what: str, log: Path | None = None) -> None:
    result = subprocess.run(_as_postgres(cmd), capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        tail = ""
        if log is not None and log.exists():
            tail = "\n--- server log ---\n" + log.read_text(errors="replace")[-4000:]
        pytest.fail(
            f"PostgreSQL {what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}{tail}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a private PostgreSQL cluster started for this session
    (``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres``, trust auth).
    Tests that use it are marked ``@pytest.mark.postgres``; dispose engines
    before the session ends."""
    if os.environ.get(POSTGRES_SKIP_ENV) == "1":
        pytest.skip(f"{POSTGRES_SKIP_ENV}=1: PostgreSQL tests skipped")
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.fail(
            "PostgreSQL binaries not found (/usr/lib/postgresql/*/bin/initdb). "
            "Install them with `make system-deps` (or `apt-get install -y postgresql`), "
            f"or set {POSTGRES_SKIP_ENV}=1 to skip the PostgreSQL tests.",
            pytrace=False,
        )
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.fail(
            "running as root but `runuser` is missing: cannot start postgres", pytrace=False
        )

    folder = Path(tempfile.mkdtemp(prefix="joignable-pg-"))
    data, log = folder / "data", folder / "server.log"
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres", group="postgres")
    port = _free_port()
    started = False
    try:
        _run_pg(
            [
                str(bindir / "initdb"),
                "-D", str(data),
                "-U", "postgres",
                "-A", "trust",
                "-E", "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            "initdb",
        )  # fmt: skip
        settings = (
            "\n# joignable test cluster\n"
            "listen_addresses = '127.0.0.1'\n"
            f"port = {port}\n"
            f"unix_socket_directories = '{folder}'\n"
            "fsync = off\n"
            "synchronous_commit = off\n"
            "full_page_writes = off\n"
            "max_connections = 100\n"
        )
        conf = data / "postgresql.conf"
        # Written by root into a postgres-owned file: ownership is kept on append.
        with conf.open("a") as fh:
            fh.write(settings)
        _run_pg(
            [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "start"], "start", log
        )
        started = True
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                capture_output=True,
                timeout=120,
            )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_database_url(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the session cluster for one test (dropped after)."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ----------------------------- end of PostgreSQL ----------------------------
