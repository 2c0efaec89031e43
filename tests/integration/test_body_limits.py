"""Request body limits over a real uvicorn server: a body over the route's
limit is refused with 413 and a JSON detail, before it is read whole — on a
declared Content-Length at once, on a chunked body as soon as the count
passes the limit. `PUT /api/config` has a larger limit of its own."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from joignable.web.limits import DEFAULT_MAX_BODY
from tests.integration.conftest import Server, add_users, start_server

HUNDRED_MB = 100 * 1024 * 1024


@pytest.fixture
def small_limits(tmp_path: Path) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    add_users(url)
    running = start_server(url, max_body=2000, max_config_body=200_000)
    try:
        yield running
    finally:
        running.stop()


def _connect(server: Server) -> socket.socket:
    address = urlparse(server.url)
    sock = socket.create_connection((address.hostname, address.port), timeout=10)
    return sock


def _read_response(sock: socket.socket) -> tuple[int, dict[str, object]]:
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body[: _length(data)])


def _length(data: bytes) -> int:
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_a_declared_100_mb_body_is_refused_before_any_byte_is_sent(sqlite_server: Server) -> None:
    with _connect(sqlite_server) as sock:
        sock.sendall(
            b"POST /api/contacts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n" + f"Content-Length: {HUNDRED_MB}\r\n\r\n".encode()
        )
        status, body = _read_response(sock)  # nothing of the body was sent
    assert status == 413
    assert str(DEFAULT_MAX_BODY) in str(body["detail"])


def test_a_chunked_100_mb_body_is_refused_while_it_streams(sqlite_server: Server) -> None:
    chunk = b"x" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with _connect(sqlite_server) as sock:
        sock.sendall(
            b"POST /api/contacts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        while sent < HUNDRED_MB:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(framed)
            except OSError:  # the server closed the connection after answering
                break
            sent += len(chunk)
        status, body = _read_response(sock)
    assert status == 413, body
    assert sent < HUNDRED_MB // 4  # refused long before the client finished


def test_the_limits_are_settings_and_the_configuration_has_its_own(small_limits: Server) -> None:
    root = small_limits.client("root")
    big = {"channel": "voice", "queue": "voice", "attributes": {"note": "x" * 3000}}
    refused = root.post("/api/contacts", json=big)
    assert refused.status_code == 413
    assert "2000 bytes" in refused.json()["detail"]
    small = root.post("/api/contacts", json={"channel": "voice", "queue": "voice"})
    assert small.status_code != 413
    document = root.get("/api/config").json()
    assert len(json.dumps(document)) > 2000  # over the default limit, under the config one
    assert root.put("/api/config", json=document).status_code == 200
