"""The web layer's one way to the center it serves: `get_services` (a FastAPI
dependency) or `services_of(request)`.

Why a module of its own: the composition root (`joignable.bootstrap`) builds
the whole center as one typed `Container`; `create_app`'s lifespan binds it
to the app (`bind`) and every router reaches it through `get_services` (a
FastAPI dependency) or `services_or_none` — typed attributes, never string
keys on `app.state`, never a global. `Services` is the container's name in
the web layer; `Settings` is re-exported for the callers of `create_app`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import HTTPException
from fastapi.templating import Jinja2Templates
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp

from joignable.bootstrap import Container
from joignable.settings import Settings

__all__ = ["Services", "Settings", "bind", "get_services", "services_or_none", "templates"]

Services = Container

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

_SLOT = "services"  # the one attribute of app.state, read and written only here


def bind(app: ASGIApp, services: Services | None) -> None:
    """Make `services` the center `app` serves (None: none, while it starts or
    after it stopped)."""
    setattr(app.state, _SLOT, services)  # type: ignore[attr-defined]


def services_or_none(conn: HTTPConnection) -> Services | None:
    """The center the app serves, or None while it starts."""
    services: Services | None = getattr(conn.app.state, _SLOT, None)
    return services


def services_of(conn: HTTPConnection) -> Services:
    """The app's services; 503 while the app starts."""
    services = services_or_none(conn)
    if services is None:
        raise HTTPException(503, "the server is starting")
    return services


async def get_services(conn: HTTPConnection) -> Services:
    """`services_of` as a FastAPI dependency (HTTP or WebSocket). Async on
    purpose: FastAPI runs a plain `def` dependency in its thread pool, a thread
    hop on every request (7 % of the server's time under load)."""
    return services_of(conn)


@cache
def templates() -> Jinja2Templates:
    """The page templates (loaded at first use, shared by every app)."""
    return Jinja2Templates(directory=str(TEMPLATES_DIR))
