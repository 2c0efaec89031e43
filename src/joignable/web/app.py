"""The web application: `create_app(settings)` builds a FastAPI app for one center.

Why a factory: nothing (engine, database, task) may exist at import time —
tests start many apps, each on its own database. The app only serves: its
lifespan asks the composition root (`joignable.bootstrap`) for the center —
event log, runner, read side, use cases, live hub, channel adapters, demo
traffic — starts it, binds it to the app (`web/state.py`: routers reach it
through `get_services`, typed) and stops it at shutdown.

Routers are discovered: every module of `joignable.web.routers` that defines
`router` is included, so the control tower, agent pages and live feed plug in
by adding a module. Routers have no start-up hooks and store nothing on the
app: what they need is built by the bootstrap.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

import joignable
from joignable.bootstrap import Overrides, bootstrap
from joignable.web.auth import User, require_role
from joignable.web.errors import install_error_handlers
from joignable.web.headers import SecurityHeaders
from joignable.web.limits import BodyLimit
from joignable.web.routers import docs
from joignable.web.state import STATIC_DIR, Settings, bind, templates

log = logging.getLogger(__name__)


#: the routers that carry the traffic, matched first: every request walks the
#: routers in order until one matches, and arrivals and agent actions are most
#: of the requests (the others follow in name order; no two routers share a path)
HOT_ROUTERS = ("contacts", "agents")


def router_modules() -> list[ModuleType]:
    """Every module of `joignable.web.routers`, imported: `HOT_ROUTERS` first,
    then the others in name order."""
    package = importlib.import_module("joignable.web.routers")
    names = sorted(
        (m.name for m in pkgutil.iter_modules(package.__path__)),
        key=lambda name: (
            name not in HOT_ROUTERS,
            HOT_ROUTERS.index(name) if name in HOT_ROUTERS else 0,
            name,
        ),
    )
    return [importlib.import_module(f"joignable.web.routers.{name}") for name in names]


def flat_routes(app: FastAPI) -> list[Any]:
    """Every route of `app` with included routers flattened. Each item has
    `path`, `methods`, `original_route` and, for API routes, `dependant`
    (FastAPI >= 0.120 includes routers lazily; older ones list them flat)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI
        return [_Flat(r) for r in app.routes]
    return list(iter_route_contexts(app.routes))


class _Flat:
    def __init__(self, route: Any) -> None:
        self.original_route = route

    def __getattr__(self, name: str) -> Any:
        return getattr(self.original_route, name)


def create_app(settings: Settings, *, overrides: Overrides | None = None) -> FastAPI:
    """A FastAPI app serving the center described by `settings` (see `Settings`);
    `overrides` are the parts a test swaps (`bootstrap.Overrides`). Nothing is
    opened before the app starts: its lifespan builds the center with
    `bootstrap`, starts it, serves it, and stops it at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await bootstrap(settings, overrides=overrides)
        await services.start()  # stops what it started when it fails
        bind(app, services)
        try:
            yield
        finally:
            bind(app, None)
            await services.stop()

    app = FastAPI(
        title="joignable",
        version=joignable.__version__,
        description="Omnichannel contact-center engine: configuration, contacts, "
        "agent and supervisor actions. Authenticate with POST /api/auth/token, "
        "then send `Authorization: Bearer <token>`.",
        lifespan=lifespan,
        docs_url=None,  # served without a CDN by routers/docs.py
        redoc_url=None,  # ReDoc fetches its logo from a CDN: not offered
    )
    bind(app, None)
    app.mount(docs.ASSETS_URL, StaticFiles(directory=docs.assets_dir()), name="api-docs")
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in router_modules():
        router = getattr(module, "router", None)
        if router is not None:
            app.include_router(router)
    if not any(r.path == "/" for r in flat_routes(app)):
        app.add_api_route("/", _home, methods=["GET"], include_in_schema=False)
    docs.document_security(app, docs.public_operations(flat_routes(app)))
    install_error_handlers(app)
    app.add_middleware(BodyLimit, default=settings.max_body, config=settings.max_config_body)
    app.add_middleware(SecurityHeaders)
    return app


async def _home(
    request: Request, user: User = Depends(require_role("admin", "supervisor", "agent", page=True))
) -> HTMLResponse:
    """Landing page when no other module serves `/`."""
    csrf = request.cookies.get("joignable_csrf", "")
    context = {"user": user, "csrf_token": csrf}
    return templates().TemplateResponse(request, "signed_in.html", context)
