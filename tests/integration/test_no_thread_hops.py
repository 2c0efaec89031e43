"""Every endpoint and every dependency of the app is async (the request path
never hops to FastAPI's thread pool).

Why: FastAPI runs a plain `def` endpoint or dependency in a worker thread;
under load that hop (hand-off, GIL contention with the runner's writer
thread) cost 7 % of the server's time for one sync `get_services`
(bench/server.py, py-spy). A new `def` dependency would bring it back
silently; this test names it. Work that must block goes through
`asyncio.to_thread` explicitly, where it is visible.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute

from joignable.web.app import create_app
from joignable.web.state import Settings


def _is_async(call: Any) -> bool:
    target = call if inspect.isroutine(call) else type(call).__call__
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def routes_of(routes: list[Any]) -> list[Any]:
    """Every route, those of included routers too (FastAPI keeps an included
    router as one entry, its routes under `original_router`)."""
    found: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found.extend(routes_of(inner.routes) if inner is not None else [route])
    return found


def sync_parts(app: Any) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def walk(dependant: Dependant, path: str) -> None:
        for sub in dependant.dependencies:
            if sub.call is not None and not _is_async(sub.call):
                found.add((path, getattr(sub.call, "__qualname__", repr(sub.call))))
            walk(sub, path)

    for route in routes_of(app.routes):
        if isinstance(route, (APIRoute, APIWebSocketRoute)):
            if not _is_async(route.endpoint):
                found.add((route.path, route.endpoint.__qualname__))
            walk(route.dependant, route.path)
    return found


def test_no_endpoint_or_dependency_runs_in_the_thread_pool(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'a.db'}"))
    assert len([r for r in routes_of(app.routes) if isinstance(r, APIRoute)]) > 20
    assert sync_parts(app) == set()


def test_a_sync_dependency_is_caught(tmp_path: Path) -> None:
    from fastapi import Depends, FastAPI

    def blocking() -> int:
        return 1

    app = FastAPI()

    @app.get("/x")
    async def x(n: int = Depends(blocking)) -> int:
        return n

    assert sync_parts(app) == {("/x", "test_a_sync_dependency_is_caught.<locals>.blocking")}
