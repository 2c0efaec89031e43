"""A real joignable server on loopback for page tests: uvicorn in a thread,
SQLite in a temporary folder, examples/center.yaml, demo users, no demo traffic."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import ConsoleMessage, Page

from joignable.cli.demo import DEMO_USERS, create_users
from joignable.web.app import create_app
from joignable.web.state import Settings

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/lib/chromium/chromium")
PASSWORDS = {name: password for name, password, _, _ in DEMO_USERS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    def __init__(self, base: str, artefacts: Path) -> None:
        self.base = base
        self.artefacts = artefacts
        self._tokens: dict[str, str] = {}

    def token(self, user: str) -> str:
        if user not in self._tokens:
            r = httpx.post(
                f"{self.base}/api/auth/token",
                json={"username": user, "password": PASSWORDS[user]},
            )
            r.raise_for_status()
            self._tokens[user] = r.json()["access_token"]
        return self._tokens[user]

    def api(self, method: str, path: str, user: str = "supervisor", **kw: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        return httpx.request(method, f"{self.base}{path}", headers=headers, timeout=10, **kw)  # type: ignore[arg-type]

    def contact(self, queue: str = "voice", channel: str = "voice") -> str:
        r = self.api("POST", "/api/contacts", json={"channel": channel, "queue": queue})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


@contextmanager
def live_server() -> Iterator[LiveServer]:
    folder = Path(tempfile.mkdtemp(prefix="joignable-e2e-"))
    url = f"sqlite:///{folder / 'center.db'}"
    create_users(url)
    settings = Settings(
        database_url=url,
        config_path=ROOT / "examples" / "center.yaml",
        secure_cookies=False,
        secret="e2e-secret",
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", folder)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sign_in(page, base: str, user: str, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}{path}")
    page.fill("#username", user)
    page.fill("#password", PASSWORDS[user])
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


@contextmanager
def artefact_on_failure(page, folder: Path, name: str) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Save a screenshot (and print its path) if the block fails."""
    try:
        yield
    except BaseException:
        shot = folder / f"{name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
        raise


def csp_violations(page: Page) -> list[str]:
    """A list that fills with the page's Content-Security-Policy violations
    (Chromium reports each on the console) from now on."""
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            seen.append(message.text)

    page.on("console", on_console)
    return seen
