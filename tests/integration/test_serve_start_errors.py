"""`joignable serve` on a database it cannot open says so in one line — which
database (password masked) and why — and exits non-zero, instead of uvicorn's
start-up traceback. Run as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import CENTER_YAML, free_port

pytestmark = pytest.mark.slow

SERVE = "from joignable.cli import main; main()"


def _serve(db: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-c", SERVE, "serve", "--config", str(CENTER_YAML), "--db", db]
    cmd += ["--port", str(free_port())]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env={**os.environ})


def test_an_unreachable_postgresql_is_one_line_with_the_password_masked() -> None:
    port = free_port()  # nothing listens there
    result = _serve(f"postgresql+psycopg://joi:s3cret-pw@127.0.0.1:{port}/center")
    assert result.returncode != 0
    message = result.stderr.strip()
    assert "Traceback" not in message and len(message.splitlines()) == 1, message
    assert "s3cret-pw" not in message
    assert f"127.0.0.1:{port}/center" in message and "***" in message
    assert "refused" in message.lower() or "connect" in message.lower()


def test_a_sqlite_file_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "center.db"
    result = _serve(f"sqlite:///{missing}")
    assert result.returncode != 0
    message = result.stderr.strip()
    assert "Traceback" not in message and len(message.splitlines()) == 1, message
    assert str(missing) in message and "unable to open" in message
