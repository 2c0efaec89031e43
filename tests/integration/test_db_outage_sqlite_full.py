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

import resource
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import add_users, free_port
from tests.integration.poster import Poster
from tests.integration.test_server_crash import _client, _start

pytestmark = pytest.mark.slow

FULL_AT = 4096  # bytes: below the first WAL frame (32 + 24 + a 4 KiB page)


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
    proc = _start(db, port, None, output)  # a log file would fall under the limit
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
    poster.check_log(db, "SQLite disk full")
