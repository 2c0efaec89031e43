"""Every route × every role: allowed, 401 (or a redirect to /login for pages)
or 403, as each route declares with `require_role` / `allow_anonymous`.

The list of routes comes from `app.routes`, so a route added without an
access rule fails here. Scoped supervisors are probed twice: inside their
scope (a Paris supervisor on a Paris agent) they are supervisors like the
others; outside it (the outsourcer's supervisor on the same ids) every route
naming an agent, a queue or a contact answers 403.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import Mount, Route
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from joignable.web.app import flat_routes
from joignable.web.auth import Public, RoleGuard, current_user
from tests.integration.conftest import PASSWORD, Server

ALL_ROLES = ("admin", "supervisor", "agent")
#: user probed for each role; paris-sup is a supervisor scoped to site paris
PROBES = {
    "anonymous": None,
    "agent": "p01",
    "supervisor": "sup",
    "scoped supervisor": "paris-sup",
    "admin": "root",
}
ROLE_OF = {"agent": "agent", "supervisor": "supervisor", "scoped supervisor": "supervisor"}
#: FastAPI's own OpenAPI schema route, public by design (the docs pages are routers/docs.py)
BUILTIN_PUBLIC = {"/openapi.json"}
#: routes a scoped supervisor may not use even inside their scope
SCOPED_FORBIDDEN = {("POST", "/api/supervisor/channels/{channel}/standby")}
#: routes that end the credentials they are called with: probed with a fresh token
REVOKING = {("DELETE", "/api/auth/token")}
SCOPED_PARAMS = {"agent_id", "queue_id", "contact_id"}
#: valid bodies, so that scope checks (made after validation) are what answers
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/agents/{agent_id}/contacts/{contact_id}/transfer"): {"to_queue": "voice"},
    ("POST", "/api/supervisor/agents/{agent_id}/move"): {"team": "paris-voice"},
    ("POST", "/api/supervisor/contacts/{contact_id}/priority"): {"priority": 1},
    ("POST", "/api/supervisor/queues/{queue_id}/standby"): {"standby": False},
    ("POST", "/api/supervisor/channels/{channel}/standby"): {"standby": False},
}


def _guards(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        if isinstance(dep.call, RoleGuard | Public) or dep.call is current_user:
            yield dep.call
        yield from _guards(dep)


def access_rule(route: Any) -> tuple[str, ...] | None:
    """Roles a route admits (ALL_ROLES for `current_user`), () when public, None if undeclared."""
    guards = list(_guards(route.dependant))
    if not guards:
        return None
    roles: set[str] = set()
    for guard in guards:
        if isinstance(guard, Public):
            return ()
        roles |= set(guard.roles) if isinstance(guard, RoleGuard) else set(ALL_ROLES)
    return tuple(sorted(roles))


def is_page(route: Any) -> bool:
    return any(isinstance(g, RoleGuard) and g.page for g in _guards(route.dependant))


def test_every_route_declares_who_may_use_it(sqlite_server: Server) -> None:
    undeclared = []
    for route in flat_routes(sqlite_server.app):
        original = route.original_route
        if isinstance(original, APIRoute | APIWebSocketRoute):
            if access_rule(route) is None:
                undeclared.append(route.path)
        elif isinstance(original, Route) and route.path not in BUILTIN_PUBLIC:
            undeclared.append(route.path)
        elif not isinstance(original, Route | Mount):
            undeclared.append(repr(original))
    assert undeclared == [], f"routes without an access rule: {undeclared}"


def _fresh_token(server: Server, user: str) -> str:
    r = httpx.post(
        f"{server.url}/api/auth/token", json={"username": user, "password": PASSWORD}, timeout=30
    )
    return str(r.json()["access_token"])


def _path(route: Any, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(:\w+)?}", lambda m: values.get(m.group(1), "x"), route.path)


def _request(
    server: Server, user: str | None, method: str, route: Any, values: dict[str, str], fresh: bool
) -> httpx.Response:
    client = server.client(user)
    headers = {}
    if fresh and user is not None:
        headers["Authorization"] = f"Bearer {_fresh_token(server, user)}"
    bodies = {**BODIES, ("PUT", "/api/config"): server.client("root").get("/api/config").json()}
    body = None if method in ("GET", "DELETE") else bodies.get((method, route.path), {})
    path = _path(route, values)
    return client.request(method, path, json=body, headers=headers, follow_redirects=False)


def _setup_ids(server: Server) -> dict[str, str]:
    root = server.client("root")
    r = root.post("/api/contacts", json={"channel": "voice", "queue": "voice"})
    contact = r.json()["id"]
    assert root.post("/api/agents/p01/login", json={"ready": True}).status_code == 200
    return {"agent_id": "p01", "queue_id": "voice", "contact_id": contact, "channel": "voice"}


def _routes(server: Server) -> list[tuple[Any, str]]:
    out = []
    for route in flat_routes(server.app):
        if isinstance(route.original_route, APIRoute):
            for method in sorted(route.methods - {"HEAD"}):
                out.append((route, method))
    return sorted(out, key=lambda rm: ((rm[1], rm[0].path) in REVOKING, rm[0].path, rm[1]))


@pytest.mark.slow
def test_route_by_role_matrix(sqlite_server: Server) -> None:
    server = sqlite_server
    values = _setup_ids(server)
    failures: list[str] = []
    probed = 0
    for route, method in _routes(server):
        rule = access_rule(route)
        assert rule is not None
        fresh = (method, route.path) in REVOKING
        for probe, user in PROBES.items():
            r = _request(server, user, method, route, values, fresh)
            probed += 1
            if rule == ():
                expected = "allowed"
            elif user is None:
                expected = "login" if is_page(route) else "401"
            elif ROLE_OF.get(probe, probe) not in rule or (
                probe == "scoped supervisor" and (method, route.path) in SCOPED_FORBIDDEN
            ):
                expected = "403"
            else:
                expected = "allowed"
            got = _verdict(r)
            if r.status_code >= 500 or got != expected:
                failures.append(f"{method} {route.path} as {probe}: {r.status_code} {r.text[:120]}")
    assert probed > 100
    assert failures == [], "\n".join(failures)


def _ws_verdict(server: Server, user: str | None, path: str) -> str:
    """Open a WebSocket as `user`: "allowed" if the handshake succeeds, else "refused"."""
    headers = {}
    if user is not None:
        headers["Authorization"] = f"Bearer {_fresh_token(server, user)}"
    url = server.url.replace("http://", "ws://", 1) + path
    try:
        with ws_connect(url, additional_headers=headers, open_timeout=10):
            return "allowed"
    except InvalidStatus:
        return "refused"


#: a WebSocket's query parameter naming something scoped -> the id of the REST
#: route whose answer it must agree with
WS_SCOPED_QUERY = {"agent": "/api/agents/{}"}
#: the users who probe each scoped feed, and the ids they ask for (inside and
#: outside each one's scope: p01 Paris, l01 Lyon, x01 Acme's, and one unknown)
WS_SCOPE_USERS = ("root", "sup", "paris-sup", "acme-sup", "p01", "l01")
WS_SCOPE_IDS = ("p01", "l01", "x01", "nobody")


def _ws_path(route: Any, values: dict[str, str], query: dict[str, str] | None = None) -> str:
    names = [q.name for q in route.dependant.query_params if q.name in WS_SCOPED_QUERY]
    chosen = query if query is not None else {n: values["agent_id"] for n in names}
    tail = "&".join(f"{k}={v}" for k, v in chosen.items())
    return _path(route, values) + (f"?{tail}" if tail else "")


def _ws_routes(server: Server) -> list[Any]:
    return [r for r in flat_routes(server.app) if isinstance(r.original_route, APIWebSocketRoute)]


@pytest.mark.slow
def test_websocket_feeds_apply_the_rest_scope(sqlite_server: Server) -> None:
    """Every feed that names an agent (generated from the app's WebSocket
    routes) × user × agent asked: the handshake succeeds exactly when the REST
    route reading that agent answers 200 to the same user."""
    server = sqlite_server
    values = _setup_ids(server)
    failures, probed = [], 0
    for route in _ws_routes(server):
        for q in route.dependant.query_params:
            if q.name not in WS_SCOPED_QUERY:
                continue
            for user in WS_SCOPE_USERS:
                for wanted in WS_SCOPE_IDS:
                    rest = server.client(user).get(WS_SCOPED_QUERY[q.name].format(wanted))
                    expected = "allowed" if rest.status_code == 200 else "refused"
                    got = _ws_verdict(server, user, _ws_path(route, values, {q.name: wanted}))
                    probed += 1
                    if got != expected:
                        failures.append(f"WS {route.path}?{q.name}={wanted} as {user}: {got}")
    print(f"\nfeed x user x scope matrix: {probed} probes")
    assert probed >= len(WS_SCOPE_USERS) * len(WS_SCOPE_IDS)
    assert failures == [], "\n".join(failures)


@pytest.mark.slow
def test_websocket_routes_by_role(sqlite_server: Server) -> None:
    server = sqlite_server
    values = _setup_ids(server)
    failures = []
    for route in _ws_routes(server):
        rule = access_rule(route)
        assert rule is not None, f"{route.path} has no access rule"
        for probe, user in PROBES.items():
            allowed = rule == () or (user is not None and ROLE_OF.get(probe, probe) in rule)
            got = _ws_verdict(server, user, _ws_path(route, values))
            if got != ("allowed" if allowed else "refused"):
                failures.append(f"WS {route.path} as {probe}: {got}")
    assert failures == [], "\n".join(failures)


def _verdict(r: httpx.Response) -> str:
    if r.status_code == 401:
        return "401"
    if r.status_code == 403:
        return "403"
    if r.status_code in (302, 303, 307) and r.headers.get("location", "").startswith(
        "/login?next="
    ):
        return "login"
    return "allowed"


def test_outsourcer_supervisor_is_refused_outside_their_scope(sqlite_server: Server) -> None:
    server = sqlite_server
    values = _setup_ids(server)
    failures = []
    for route, method in _routes(server):
        params = set(re.findall(r"{(\w+)", route.path))
        rule = access_rule(route) or ()
        if not (params & SCOPED_PARAMS) or "supervisor" not in rule:
            continue
        r = _request(server, "acme-sup", method, route, values, False)
        if r.status_code != 403:
            failures.append(f"{method} {route.path}: {r.status_code} {r.text[:120]}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("user", ["p01", "sup"])
def test_wrong_credentials_get_401(sqlite_server: Server, user: str) -> None:
    url = sqlite_server.url
    bad = httpx.post(f"{url}/api/auth/token", json={"username": user, "password": "nope"})
    assert bad.status_code == 401
    forged = httpx.get(f"{url}/api/auth/me", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401 and "invalid" in forged.json()["detail"]
    malformed = httpx.get(f"{url}/api/auth/me", headers={"Authorization": "Basic abc"})
    assert malformed.status_code == 401
