"""schemathesis over the OpenAPI schema of the running server: whatever the
input, never a 500; a 4xx always says what is wrong.

Runs against a real uvicorn server (real HTTP), as an admin (who reaches the
most code), with a bounded number of examples per operation so that the whole
file stays under a minute."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.integration.conftest import Server, add_users, start_server

MAX_EXAMPLES = 25


@pytest.fixture(scope="module")
def schema_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path_factory.mktemp('schema') / 'server.db'}"
    add_users(url)
    running = start_server(url)
    root = running.client("root")
    for queue, channel in (("voice", "voice"), ("chat", "chat"), ("email", "email")):
        root.post("/api/contacts", json={"channel": channel, "queue": queue})
    root.post("/api/agents/p01/login", json={"ready": True})
    try:
        yield running
    finally:
        running.stop()


def _operations(server: Server) -> list[Any]:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    return [result.ok() for result in schema.get_all_operations()]


def test_no_input_gets_a_500(schema_server: Server) -> None:
    """Every operation, MAX_EXAMPLES generated requests each (schemathesis's
    pytest plugin does not run under pytest 9, so the loop is explicit)."""
    token = schema_server.client("root").headers["Authorization"]
    failures: list[str] = []
    statuses: dict[int, int] = {}
    operations = _operations(schema_server)
    assert len(operations) > 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def probe(case: Any) -> None:
            response = case.call(headers={"Authorization": token}, timeout=30)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            where = f"{case.method} {case.formatted_path}"
            if response.status_code >= 500:
                failures.append(f"{where}: {response.status_code} {response.text[:200]}")
            elif 400 <= response.status_code < 500 and response.content and not _detail(response):
                failures.append(f"{where}: {response.status_code} without a message")

        probe()
    assert failures == [], "\n".join(failures[:20])
    assert sum(statuses.values()) > 10 * len(operations)
    assert statuses.get(200, 0) + statuses.get(201, 0) > 0, statuses  # not only refusals


def _detail(response: Any) -> Any:
    try:
        return response.json().get("detail")
    except ValueError:
        return None


def test_schema_lists_the_api(schema_server: Server) -> None:
    paths = schema_server.client().get("/openapi.json").json()["paths"]
    for path in ("/api/contacts", "/api/config", "/api/agents/{agent_id}/login"):
        assert path in paths
