"""`Settings`: how to run one center's server, as the CLI, the tests and the
benches say it.

Why a module of its own: the composition root (`joignable.bootstrap`) builds
the whole center from these settings, and the web layer only serves what it
built; neither should have to import the other to learn the settings' shape.
`joignable.web.state` re-exports `Settings` for the callers of `create_app`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from joignable.service.clock import Clock
from joignable.service.config import CenterConfig
from joignable.service.contacts import DEFAULT_KEEP_ENDED
from joignable.service.housekeeping import KEY_WINDOW_S
from joignable.service.runner import SNAPSHOT_EVERY
from joignable.web.limits import DEFAULT_MAX_BODY, DEFAULT_MAX_CONFIG_BODY

if TYPE_CHECKING:
    from joignable.service.demo import DemoSettings


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
    returns the same contact (keys are purged after it). `demo`: run the
    live demo's simulated customers and agents (`service/demo.py`) with these
    settings once the center runs; None (the default): no simulated traffic.
    `keep_ended_contacts`: how many ended contacts `GET /api/contacts/{id}`
    still shows from memory (the most recent; all stay in the event log).
    `snapshot_every`: durable events between two snapshots of the writer's
    state (a restart replays only the log after the latest; 0: none).
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
    snapshot_every: int = SNAPSHOT_EVERY
    demo: DemoSettings | None = None
