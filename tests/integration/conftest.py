"""Fixtures of the server tests (files test_server_*): a real uvicorn server
on 127.0.0.1 on a free port, on SQLite or on the throw-away PostgreSQL
cluster of tests/conftest.py, with one user per role."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from joignable.service.config import load
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from joignable.web.app import create_app
from joignable.web.auth import hash_password
from joignable.web.state import Settings

ROOT = Path(__file__).resolve().parents[2]
CENTER_YAML = ROOT / "examples" / "center.yaml"
PASSWORD = "correct horse battery"

#: name → (role, sites, outsourcer, agent id)
USERS: dict[str, tuple[str, tuple[str, ...], str, str]] = {
    "root": ("admin", (), "", ""),
    "sup": ("supervisor", (), "", ""),
    "paris-sup": ("supervisor", ("paris",), "", ""),
    "acme-sup": ("supervisor", (), "acme", ""),
    "p01": ("agent", (), "", "p01"),
    "l01": ("agent", (), "", "l01"),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@cache
def _password_hash() -> str:
    return hash_password(PASSWORD)


def add_users(url: str) -> None:
    """Create the test users in the database at `url` (migrating it first)."""
    with EventLog.open(url) as log:
        accounts = Accounts(log.engine)
        for name, (role, sites, outsourcer, agent) in USERS.items():
            accounts.add_user(
                name,
                _password_hash(),
                role,
                sites=sites,
                outsourcer=outsourcer,
                agent_id=agent,
                now=time.time(),
            )


@dataclass
class Server:
    """A running server: its base URL, app, and bearer-token clients by user."""

    url: str
    app: Any
    _server: uvicorn.Server
    _thread: threading.Thread
    _clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, user: str | None = None) -> httpx.Client:
        """An httpx client for `user` (a bearer token), or anonymous (None)."""
        key = user or ""
        if key not in self._clients:
            client = httpx.Client(base_url=self.url, timeout=30)
            if user is not None:
                r = client.post("/api/auth/token", json={"username": user, "password": PASSWORD})
                assert r.status_code == 200, r.text
                client.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
            self._clients[key] = client
        return self._clients[key]

    @property
    def services(self) -> Any:
        return self.app.state.services

    def stop(self) -> None:
        for client in self._clients.values():
            client.close()
        self._server.should_exit = True
        self._thread.join(timeout=30)


def start_server(url: str, config_path: Path | None = CENTER_YAML, **settings: Any) -> Server:
    """Start uvicorn in a thread serving `create_app` on a free port; wait until ready."""
    config = load(config_path) if config_path is not None else None
    app = create_app(Settings(database_url=url, config=config, secure_cookies=False, **settings))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return Server(f"http://127.0.0.1:{port}", app, server, thread)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database with the test users: SQLite file or PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
    else:
        url = request.getfixturevalue("postgres_database_url")
    add_users(url)
    return url


@pytest.fixture
def server(server_db_url: str) -> Iterator[Server]:
    """The demo center served over real HTTP, on SQLite and on PostgreSQL."""
    running = start_server(server_db_url)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    """The demo center on SQLite only (for the slower, backend-neutral tests)."""
    url = f"sqlite:///{tmp_path / 'server.db'}"
    add_users(url)
    running = start_server(url)
    try:
        yield running
    finally:
        running.stop()


ServerFactory = Callable[..., Server]


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `predicate` every 50 ms until it returns something truthy (returned);
    AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")
