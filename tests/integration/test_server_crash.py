"""`joignable serve` killed with SIGKILL under load, then restarted on the same
database (a SQLite file, and a PostgreSQL database): every acknowledged contact is there, waiting contacts are back in
their original order, agents' states are restored, and retrying the requests
that were in flight with their idempotency keys creates no duplicate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import CENTER_YAML, PASSWORD, add_users, free_port

pytestmark = pytest.mark.slow

THREADS = 6
QUEUES = ("voice", "voice@lyon", "chat")  # voice@lyon: Lyon's share of voice (throttle)
SERVE = "from joignable.cli import main; main()"


def _start(
    db: str, port: int, log: Path | None, output: list[bytes] | None = None
) -> subprocess.Popen[bytes]:
    """`joignable serve` on `db`, once `/healthz` says ok. Its output goes to
    the file `log`, or (`log` None) through a pipe into `output`."""
    cmd = [sys.executable, "-c", SERVE, "serve", "--config", str(CENTER_YAML), "--db", db]
    cmd += ["--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "JOIGNABLE_SECRET": "test-secret"}
    if log is not None:
        with log.open("ab") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    else:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        sink = output if output is not None else []
        threading.Thread(target=lambda: sink.extend(proc.stdout or ()), daemon=True).start()

    def said() -> str:
        if log is not None:
            return log.read_text()
        return b"".join(output or []).decode(errors="replace")

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited {proc.returncode}:\n{said()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"serve did not start:\n{said()}")


def _client(port: int) -> httpx.Client:
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    r = client.post("/api/auth/token", json={"username": "root", "password": PASSWORD})
    client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
    return client


def _agents(client: httpx.Client) -> dict[str, Any]:
    keep = ("presence", "reason", "activity", "offered", "connected", "wrapping", "site")
    return {a["id"]: {k: a[k] for k in keep} for a in client.get("/api/agents").json()}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def crash_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'crash.db'}"
    return str(request.getfixturevalue("postgres_database_url"))


def test_sigkill_under_load_then_restart(tmp_path: Path, crash_db: str) -> None:
    db = crash_db
    add_users(db)
    log = tmp_path / "serve.log"
    port = free_port()
    proc = _start(db, port, log)
    try:
        client = _client(port)
        assert "Secure" in client.get("/login").headers["set-cookie"]  # secure by default
        # agents in various states; p01 ends up busy on the first voice contact
        first = client.post("/api/contacts", json={"channel": "voice", "queue": "voice"}).json()
        assert client.post("/api/agents/p01/login", json={"ready": True}).status_code == 200
        assert client.post(f"/api/agents/p01/offers/{first['id']}/accept").status_code == 200
        client.post("/api/agents/p02/login")
        client.post("/api/agents/p02/not-ready", json={"reason": "training"})
        client.post("/api/supervisor/agents/p03/move", json={"site": "lyon"})
        agents_before = _agents(client)

        acked: list[list[tuple[str, str]]] = [[] for _ in range(THREADS)]  # (queue, id)
        in_flight: dict[str, dict[str, str]] = {}
        stop = threading.Event()

        def load(n: int) -> None:
            with httpx.Client(base_url=client.base_url, headers=client.headers, timeout=5) as c:
                i = 0
                while not stop.is_set():
                    queue = "voice" if (n + i) % 2 else "chat"
                    body = {"channel": queue, "queue": queue, "customer": f"t{n}-{i}"}
                    key = f"load-{n}-{i}"
                    in_flight[key] = body
                    try:
                        r = c.post("/api/contacts", json=body, headers={"Idempotency-Key": key})
                    except httpx.HTTPError:
                        return  # the server died: this one was never acknowledged
                    if r.status_code != 201:
                        return
                    del in_flight[key]
                    # the throttle sends a share of "voice" to "voice@lyon"
                    acked[n].append((r.json()["queue"], r.json()["id"]))
                    i += 1

        threads = [threading.Thread(target=load, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        # kill under load once enough are acknowledged (a count, not a time
        # window: a loaded machine acknowledges fewer per second)
        deadline = time.monotonic() + 60
        while sum(len(a) for a in acked) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        client.close()
        total = sum(len(a) for a in acked)
        assert total > 50, f"only {total} contacts acknowledged before the kill"

        proc = _start(db, port, log)
        client = _client(port)
        waiting = {
            q: [c["id"] for c in client.get(f"/api/queues/{q}/waiting").json()] for q in QUEUES
        }
        # every acknowledged contact is back, waiting, in the order it was acknowledged
        for per_thread in acked:
            for queue in QUEUES:
                ids = [cid for q, cid in per_thread if q == queue]
                positions = [waiting[queue].index(cid) for cid in ids]
                assert positions == sorted(positions)
        acked_ids = {cid for per_thread in acked for _, cid in per_thread}
        assert acked_ids <= {cid for ids in waiting.values() for cid in ids}
        assert _agents(client) == agents_before
        assert client.get(f"/api/contacts/{first['id']}").json()["state"] == "connected"

        # retrying what was in flight, with the same keys, creates each contact once
        for key, body in list(in_flight.items()):
            r = client.post("/api/contacts", json=body, headers={"Idempotency-Key": key})
            assert r.status_code in (200, 201), r.text
            again = client.post("/api/contacts", json=body, headers={"Idempotency-Key": key})
            assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
        count = sum(len(client.get(f"/api/queues/{q}/waiting").json()) for q in QUEUES)
        assert count == total + len(in_flight)
        client.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
