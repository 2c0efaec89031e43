"""Settings of the web app and the services it shares with its routers.

Why a module of its own: routers (ours and the control tower's) need the
runner, the accounts and the auth service; `create_app` builds them in its
lifespan and stores one `Services` on `app.state.services`. Routers get it
through the `get_services` dependency, never through a global.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import HTTPException
from fastapi.templating import Jinja2Templates
from starlette.requests import HTTPConnection

from joignable.service.clock import Clock
from joignable.service.config import CenterConfig
from joignable.service.configurator import Configurator
from joignable.service.contacts import DEFAULT_KEEP_ENDED, ContactIndex
from joignable.service.housekeeping import KEY_WINDOW_S
from joignable.service.readside import ReadSide
from joignable.service.runner import CenterRunner
from joignable.store import EventLog
from joignable.store.accounts import Accounts
from joignable.web.limits import DEFAULT_MAX_BODY, DEFAULT_MAX_CONFIG_BODY

if TYPE_CHECKING:
    from joignable.web.auth import Auth


@dataclass(frozen=True, slots=True)
class Settings:
    """How to run one center's server.

    `config_path` (YAML) or `config` (already loaded) is the center; neither:
    the configuration stored in the database. `secret` signs the CSRF tokens;
    None: `$JOIGNABLE_SECRET`, else one generated at first start and kept in
    the database. `secure_cookies=False` only for plain-HTTP development.
    `max_body` / `max_config_body`: the request body limits in bytes (the
    default, and `PUT /api/config`'s; see `web/limits.py`).
    `idempotency_window_s`: how long a retry with the same `Idempotency-Key`
    returns the same contact (keys are purged after it).
    `keep_ended_contacts`: how many ended contacts `GET /api/contacts/{id}`
    still shows from memory (the most recent; all stay in the event log).
    """

    database_url: str
    config_path: Path | None = None
    config: CenterConfig | None = None
    tenant: str = "default"
    secret: str | None = None
    secure_cookies: bool = True
    clock: Clock | None = None
    token_ttl: float = 12 * 3600.0
    session_ttl: float = 12 * 3600.0
    max_body: int = DEFAULT_MAX_BODY
    max_config_body: int = DEFAULT_MAX_CONFIG_BODY
    idempotency_window_s: float = KEY_WINDOW_S
    keep_ended_contacts: int = DEFAULT_KEEP_ENDED


@dataclass(slots=True)
class Services:
    settings: Settings
    clock: Clock
    log: EventLog
    accounts: Accounts
    runner: CenterRunner
    contacts: ContactIndex
    read: ReadSide  # what readers see: durable events only
    configurator: Configurator
    auth: Auth
    templates: Jinja2Templates


def get_services(conn: HTTPConnection) -> Services:
    """The app's services (a FastAPI dependency, HTTP or WebSocket); 503 while
    the app starts."""
    services: Services | None = getattr(conn.app.state, "services", None)
    if services is None:
        raise HTTPException(503, "the server is starting")
    return services


TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
