"""PostgreSQL stopped for real in the middle of a stream of arrivals: a private
cluster (with fsync on, the production durability settings) that the test
stops with ``pg_ctl stop -m immediate`` and starts again, a real uvicorn
server on 127.0.0.1 and a client thread posting arrivals with idempotency keys
and retrying on 503.  Proves: 503 + Retry-After during the outage, the server
resumes without a restart, every acknowledged contact is in the log, in order,
and the retries created no duplicate."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import _as_postgres, _free_port, _postgres_bindir, _run_pg
from tests.integration.conftest import add_users, start_server
from tests.integration.poster import Poster

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@dataclass
class Cluster:
    """A PostgreSQL cluster of this test alone, that it may stop and start."""

    bindir: Path
    data: Path
    log: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        ctl = [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log)]
        _run_pg([*ctl, "-w", "start"], "start", self.log)

    def stop(self, mode: str = "immediate") -> None:
        _run_pg(
            [str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"], "stop"
        )


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL binaries not found (/usr/lib/postgresql/*/bin)", pytrace=False)
    folder = Path(tempfile.mkdtemp(prefix="joignable-pg-outage-"))
    if shutil.which("runuser") is not None:
        shutil.chown(folder, user="postgres", group="postgres")
    data, log = folder / "data", folder / "server.log"
    _run_pg(
        [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
         "-E", "UTF8", "--locale=C"],
        "initdb",
    )  # fmt: skip
    with (data / "postgresql.conf").open("a") as fh:
        port = _free_port()
        fh.write(
            f"\nlisten_addresses = '127.0.0.1'\nport = {port}\n"
            f"unix_socket_directories = '{folder}'\nfsync = on\nsynchronous_commit = on\n"
        )
    running = Cluster(bindir, data, log, port)
    running.start()
    try:
        yield running
    finally:
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(folder, ignore_errors=True)


def test_postgres_stopped_mid_stream_loses_nothing_and_resumes(cluster: Cluster) -> None:
    add_users(cluster.url)
    server = start_server(cluster.url)
    poster = Poster(server.client("root"))
    thread = threading.Thread(target=poster.run, daemon=True)
    anon = server.client()
    try:
        thread.start()
        deadline = time.monotonic() + 30
        while len(poster.acknowledged) < 30:
            assert time.monotonic() < deadline and not poster.other, poster.other
            time.sleep(0.02)
        cluster.stop("immediate")
        deadline = time.monotonic() + 30
        while poster.refused == 0:
            assert time.monotonic() < deadline, "no 503 while PostgreSQL was down"
            time.sleep(0.02)
        acknowledged_during = len(poster.acknowledged)
        time.sleep(1.0)  # the outage lasts: the poster keeps retrying
        assert len(poster.acknowledged) == acknowledged_during  # nothing acknowledged
        health = anon.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "degraded"
        assert health.headers.get("Retry-After")
        cluster.start()
        deadline = time.monotonic() + 60
        while anon.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline, "the server did not resume by itself"
            time.sleep(0.1)
        target = len(poster.acknowledged) + 30
        deadline = time.monotonic() + 60
        while len(poster.acknowledged) < target:
            assert time.monotonic() < deadline and not poster.other, poster.other
            time.sleep(0.02)
    finally:
        poster.stop.set()
        thread.join(timeout=60)
        server.stop()

    poster.check_log(cluster.url, "PostgreSQL outage")
