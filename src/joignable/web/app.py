"""The web application: `create_app(settings)` builds a FastAPI app for one center.

Why a factory: nothing (engine, database, task) may exist at import time —
tests start many apps, each on its own database. The lifespan opens the event
log, builds the services (runner, accounts, auth), starts the runner (which
replays the log: crash recovery), applies the configuration — the file, or
without one the configuration stored in the database by the last apply — and
undoes all of it at shutdown.

Routers are discovered: every module of `joignable.web.routers` that defines
`router` is included, so the control tower, agent pages and live feed plug in
by adding a module. A module may also define `async def startup(app)` —
called after the services exist and before the runner starts, the place to
`runner.add_read_model(...)` or `runner.subscribe(...)`; it finds the
configuration the server starts with in `app.state.center_config` (None: none
at all) — `def reconfigure(app, config, by)`, called with every configuration
applied (at start, and by each `PUT` of `routers/config.py`: alert rules,
throttles), and `async def shutdown(app)`, called before the runner stops.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

import joignable
from joignable.core.routing.engine import EngineSettings
from joignable.service.clock import SystemClock
from joignable.service.config import CenterConfig, from_store, load
from joignable.service.configurator import Configurator
from joignable.service.contacts import ContactIndex
from joignable.service.heap import HeapKeeper
from joignable.service.housekeeping import Housekeeping
from joignable.service.readside import ReadSide
from joignable.service.runner import CenterRunner
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from joignable.web.auth import Auth, User, require_role
from joignable.web.errors import install_error_handlers
from joignable.web.headers import SecurityHeaders
from joignable.web.limits import BodyLimit
from joignable.web.routers import docs
from joignable.web.routers.config import listener
from joignable.web.state import STATIC_DIR, TEMPLATES_DIR, Services, Settings

log = logging.getLogger(__name__)

SECRET_ENV = "JOIGNABLE_SECRET"


def router_modules() -> list[ModuleType]:
    """Every module of `joignable.web.routers`, imported, in name order."""
    package = importlib.import_module("joignable.web.routers")
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
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


def create_app(settings: Settings) -> FastAPI:
    """A FastAPI app serving the center described by `settings` (see `Settings`).
    Nothing is opened before the app starts (its lifespan)."""
    modules = router_modules()

    heap = HeapKeeper()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services, config = await _start_services(settings, app.state.templates)
        app.state.services = services
        app.state.center_config = config
        started: list[ModuleType] = []
        housekeeping: Housekeeping | None = None
        try:
            for module in modules:
                hook = getattr(module, "startup", None)
                if hook is not None:
                    await hook(app)
                started.append(module)
            await services.runner.start()
            services.configurator.listen(listener(app))  # start() announces too
            applied = await services.configurator.start(config)
            log.info("configuration applied: %d command(s)", applied.commands)
            await heap.start()
            housekeeping = Housekeeping(
                services.accounts,
                services.clock,
                key_window_s=settings.idempotency_window_s,
            )
            await housekeeping.start()
            yield
        finally:
            if housekeeping is not None:
                await housekeeping.stop()
            await heap.stop()
            for module in reversed(started):
                hook = getattr(module, "shutdown", None)
                if hook is not None:
                    try:
                        await hook(app)
                    except Exception:
                        log.exception("shutdown of %s failed", module.__name__)
            await services.runner.stop()
            services.log.close()
            app.state.services = None

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
    app.state.settings = settings
    app.state.services = None
    app.state.center_config = None
    app.state.reconfigure_hooks = [
        m.reconfigure for m in modules if callable(getattr(m, "reconfigure", None))
    ]
    app.state.templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    app.mount(docs.ASSETS_URL, StaticFiles(directory=docs.assets_dir()), name="api-docs")
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in modules:
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


def _file_config(settings: Settings) -> Any:
    if settings.config is not None:
        return settings.config
    if settings.config_path is not None:
        return load(settings.config_path)
    return None


def _stored_config(accounts: Accounts) -> CenterConfig | None:
    """The configuration the last apply stored (None: none, or it no longer
    validates: the configurator then says so); rules left out are logged."""
    stored = accounts.load_config()
    if stored is None:
        return None
    config, problems = from_store(stored.document)
    for problem in problems if config is not None else ():
        log.warning("the stored configuration: %s: rule left out", problem)
    return config


async def _start_services(
    settings: Settings, templates: Jinja2Templates
) -> tuple[Services, CenterConfig | None]:
    """The services, and the configuration to start with: the file's, else the stored one."""
    file_config = _file_config(settings)  # fail early on a bad file, before opening anything
    clock = settings.clock or SystemClock()
    event_log = await asyncio.to_thread(
        EventLog.open, settings.database_url, tenant=settings.tenant
    )
    try:
        accounts = Accounts(event_log.engine, settings.tenant)
        config = file_config or await asyncio.to_thread(_stored_config, accounts)
        secret = settings.secret or os.environ.get(SECRET_ENV, "").strip()
        if not secret:
            secret = await asyncio.to_thread(accounts.secret, "session")
        contacts = ContactIndex(settings.keep_ended_contacts)
        engine_settings = None
        if config is not None:
            engine_settings = EngineSettings(max_missed_offers=config.center.max_missed_offers)
        read = ReadSide()
        runner = CenterRunner(
            event_log, clock, settings=engine_settings, read_models=[contacts, read]
        )
        auth = Auth(
            accounts,
            secret,
            clock,
            token_ttl=settings.token_ttl,
            session_ttl=settings.session_ttl,
            secure_cookies=settings.secure_cookies,
        )
        services = Services(
            settings=settings,
            clock=clock,
            log=event_log,
            accounts=accounts,
            runner=runner,
            contacts=contacts,
            read=read,
            configurator=Configurator(runner, accounts),
            auth=auth,
            templates=templates,
        )
        return services, config
    except BaseException:
        event_log.close()
        raise


async def _home(
    request: Request, user: User = Depends(require_role("admin", "supervisor", "agent", page=True))
) -> HTMLResponse:
    """Landing page when no other module serves `/`."""
    templates: Jinja2Templates = request.app.state.templates
    csrf = request.cookies.get("joignable_csrf", "")
    return templates.TemplateResponse(request, "signed_in.html", {"user": user, "csrf_token": csrf})
