"""SQLite's writes failing for real in the middle of a stream of arrivals: a
`joignable serve` process whose file-size limit the test lowers with
`prlimit` (RLIMIT_FSIZE, as a full disk: every write past 4 KiB of any file
fails and SQLite says "database or disk is full"), then lifts again. Being root
here, chmod cannot make the file unwritable; the kernel's limit can.

Proves: 503 + Retry-After while nothing can be written, nothing acknowledged
that is not durable, the writer does not crash, the server takes arrivals
again by itself once writes succeed, and every acknowledged contact is in the
log, in order, with no duplicate from the retries."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from joignable.store import EventLog
from tests.integration.conftest import CENTER_YAML, add_users, free_port
from tests.integration.poster import Poster
from tests.integration.test_server_crash import SERVE, _client

pytestmark = pytest.mark.slow

FULL_AT = 4096  # bytes: below the first WAL frame (32 + 24 + a 4 KiB page)


def _serve(db: str, port: int, output: list[bytes]) -> subprocess.Popen[bytes]:
    """`joignable serve` with its output read through a pipe (a log file
    would fall under the same size limit)."""
    cmd = [sys.executable, "-c", SERVE, "serve", "--config", str(CENTER_YAML), "--db", db]
    cmd += ["--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "JOIGNABLE_SECRET": "test-secret"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: output.extend(proc.stdout or ()), daemon=True)
    reader.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, b"".join(output).decode(errors="replace")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("serve did not start: " + b"".join(output).decode(errors="replace"))


def _wait_for(condition: object, what: str, poster: Poster, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert not poster.other, poster.other
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_sqlite_disk_full_mid_stream_loses_nothing_and_resumes(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'full.db'}"
    add_users(db)
    port, output = free_port(), []
    proc = _serve(db, port, output)
    poster = Poster(_client(port))
    thread = threading.Thread(target=poster.run, daemon=True)
    soft, hard = resource.prlimit(proc.pid, resource.RLIMIT_FSIZE)
    try:
        thread.start()
        _wait_for(lambda: len(poster.acknowledged) >= 30, "no arrivals acknowledged", poster)
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (FULL_AT, hard))  # the disk is full
        _wait_for(lambda: poster.refused > 0, "no 503 while nothing can be written", poster)
        during = len(poster.acknowledged)
        time.sleep(1.0)  # the outage lasts: the poster keeps retrying
        assert len(poster.acknowledged) == during  # nothing acknowledged meanwhile
        assert proc.poll() is None  # the server did not die
        resource.prlimit(proc.pid, resource.RLIMIT_FSIZE, (soft, hard))  # space again
        target = len(poster.acknowledged) + 30
        _wait_for(lambda: len(poster.acknowledged) >= target, "did not resume", poster)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
    finally:
        poster.stop.set()
        thread.join(timeout=60)
        proc.terminate()
        proc.wait(timeout=30)

    text = b"".join(output).decode(errors="replace")
    assert "Traceback" not in text, text[-3000:]  # the operator reads one line per failure
    assert poster.retry_after == {"2"}
    with EventLog.open(db) as log:
        queued = [e.data["contact"]["id"] for e in log.read() if e.kind == "ContactQueued"]
    found = [c for c in queued if c in set(poster.acknowledged)]
    duplicates = len(queued) - len(set(queued))
    print(
        f"\nSQLite disk full: acknowledged={len(poster.acknowledged)} found={len(set(found))} "
        f"duplicates={duplicates} 503s_seen={poster.refused} during={during}"
    )
    assert not poster.other, poster.other
    assert duplicates == 0
    assert found == poster.acknowledged  # all there, in the order acknowledged
