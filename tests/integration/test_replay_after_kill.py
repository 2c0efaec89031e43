"""Crash recovery: a writer killed with SIGKILL mid-stream loses nothing it acknowledged.

The writer appends each command's events durably, then prints what it has
acknowledged and the waiting lines as it sees them. After SIGKILL, the log is
replayed: every acknowledged event is there, and the lines rebuilt from the
log up to the last acknowledgement are exactly the ones the writer had.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from joignable.cli import app
from joignable.core.routing.engine import Engine
from joignable.journal import from_stored, rebuild
from joignable.store import EventLog

WRITER = Path(__file__).with_name("engine_writer.py")


def run_and_kill(db: Path, seed: int, acks_wanted: int) -> list[dict]:
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(db), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    acks = []
    deadline = time.monotonic() + 60
    try:
        assert proc.stdout is not None
        while len(acks) < acks_wanted and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acks.append(json.loads(line))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    return acks


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_sigkill_loses_no_acknowledged_event(tmp_path: Path, seed: int) -> None:
    db = tmp_path / "center.db"
    acks = run_and_kill(db, seed, acks_wanted=300 + 50 * seed)
    assert len(acks) >= 300, "the writer did not get going"
    last = acks[-1]
    with EventLog.open(str(db), create=False) as log:
        assert log.last_seq() >= last["seq"]
        seqs = [row.seq for row in log.read()]
        assert seqs == list(range(1, len(seqs) + 1))  # gap-free
        # the state as of the last acknowledgement, rebuilt from disk
        partial = Engine()
        partial.replay(from_stored(log.read(limit=last["seq"])))
        full = rebuild(log)
    waiting = {q: [e[3] for e in s.waiting] for q, s in partial.queues.items()}
    assert waiting == last["waiting"]
    assert sum(len(v) for v in waiting.values()) > 0, "test is vacuous without waiting contacts"
    # and the whole log replays cleanly: anything acknowledged and still waiting is waiting
    for queue, ids in last["waiting"].items():
        still = [e[3] for e in full.queues[queue].waiting]
        assert [c for c in still if c in ids] == [c for c in ids if c in still]


def test_replay_command_prints_lines_and_agents(tmp_path: Path) -> None:
    db = tmp_path / "center.db"
    acks = run_and_kill(db, 3, acks_wanted=120)
    result = CliRunner().invoke(app, ["replay", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Waiting per queue" in result.output and "billing" in result.output
    assert "Agents per state" in result.output
    assert f"replayed {acks[-1]['seq']}" in result.output or "replayed" in result.output


def test_replay_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["replay", "--db", str(tmp_path / "nope.db")])
    assert result.exit_code == 2
    assert "no database file" in result.output


def test_replay_of_another_tenant_says_which_the_file_holds(tmp_path: Path) -> None:
    """The demo writes tenant "demo": replaying the default tenant of its file
    must not print an empty center as if nothing had happened."""
    db = tmp_path / "center.db"
    run_and_kill(db, 3, acks_wanted=40)
    result = CliRunner().invoke(app, ["replay", "--db", str(db), "--tenant", "elsewhere"])
    assert result.exit_code == 2
    said = " ".join(result.output.split())  # Rich wraps long lines
    assert "no events for tenant 'elsewhere'" in said
    assert "it holds: default (" in said and "--tenant default" in said
