"""`joignable serve`: run one center's server (API, pages) on uvicorn.

Why a command of its own: it checks the configuration file before anything
starts, so a typo is reported as `FILE:LINE: field: message` with exit code 2
instead of a traceback from inside the server's start-up, and a file that
would remove queues or agents of the stored center (empty, truncated) is
refused with the list of ids unless `--allow-removal`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from joignable.service.config import CenterConfig


def register(app: typer.Typer) -> None:
    """Add the `serve` command to the `joignable` CLI."""
    app.command("serve")(serve)


def serve(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Center configuration (YAML)."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database URL; default $JOIGNABLE_DATABASE_URL, else sqlite:///joignable.db.",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    insecure_cookies: Annotated[
        bool,
        typer.Option(help="Session cookies without the Secure flag (plain HTTP off localhost)."),
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    max_body: Annotated[
        int,
        typer.Option(
            envvar="JOIGNABLE_MAX_BODY", min=1, help="Largest request body in bytes (413 above)."
        ),
    ] = 1024 * 1024,
    max_config_body: Annotated[
        int,
        typer.Option(
            envvar="JOIGNABLE_MAX_CONFIG_BODY",
            min=1,
            help="Largest body of PUT /api/config in bytes.",
        ),
    ] = 16 * 1024 * 1024,
    snapshot_every: Annotated[
        int,
        typer.Option(
            envvar="JOIGNABLE_SNAPSHOT_EVERY",
            min=0,
            help="Durable events between two snapshots of the state (a restart "
            "replays only the log after the latest); 0: none.",
        ),
    ] = 10_000,
    allow_removal: Annotated[
        bool,
        typer.Option(
            "--allow-removal",
            help="Let --config remove the queues and agents it no longer lists.",
        ),
    ] = False,
) -> None:
    """Serve the center: REST API (OpenAPI at /docs), pages, /metrics, /healthz."""
    import uvicorn

    from joignable.service.config import ConfigError, load
    from joignable.store import database_url
    from joignable.web.app import create_app
    from joignable.web.state import Settings

    loaded = None
    if config is not None:
        try:
            loaded = load(config)
        except ConfigError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from None
        except OSError as exc:
            typer.echo(f"{config}: cannot read: {exc.strerror or exc}", err=True)
            raise typer.Exit(2) from None
        going = [] if allow_removal else _would_remove(database_url(db), loaded)
        if going:
            typer.echo(
                f"{config} would remove from the center stored in the database:\n"
                + "\n".join(going)
                + "\nstart with --allow-removal if that is meant (nothing was changed)",
                err=True,
            )
            raise typer.Exit(2)
    elif (problems := _stored_problems(database_url(db))) is not None:
        typer.echo(
            "the configuration stored in the database no longer validates:\n"
            + "\n".join(problems)
            + "\nstart with --config FILE to replace it (nothing was changed)",
            err=True,
        )
        raise typer.Exit(2)
    if (problem := _unopenable(database_url(db))) is not None:
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    settings = Settings(
        database_url=database_url(db),
        config_path=config,
        config=loaded,
        secure_cookies=not insecure_cookies,
        max_body=max_body,
        max_config_body=max_config_body,
        snapshot_every=snapshot_every,
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)


def _unopenable(url: str) -> str | None:
    """Why the database at `url` cannot be opened, in one line (its password
    masked), or None when it opens (it is created or upgraded then, as the
    server would at start): the reason is said before uvicorn starts, not as
    a traceback of its start-up."""
    from joignable.store import EventLog, StoreError

    try:
        EventLog.open(url).close()
    except StoreError as exc:
        return str(exc)
    return None


def _stored_problems(url: str) -> list[str] | None:
    """Why the stored configuration cannot be started from (None: it can, or
    there is none): without a file the server would otherwise empty the center."""
    from joignable.service.config import from_store
    from joignable.store import EventLog, StoreError
    from joignable.store.accounts import Accounts

    try:
        with EventLog.open(url, create=False) as log:
            stored = Accounts(log.engine).load_config()
    except StoreError:  # no database yet (or not migrated): nothing stored
        return None
    if stored is None:
        return None
    config, problems = from_store(stored.document)
    return None if config is not None else [str(p) for p in problems]


def _would_remove(url: str, loaded: CenterConfig) -> list[str]:
    """Lines naming the queues and agents of the stored configuration that
    `loaded` drops (none without a stored one): an empty or truncated file
    must not wipe a center."""
    from joignable.service.config import from_store
    from joignable.service.configurator import would_remove
    from joignable.store import EventLog, StoreError
    from joignable.store.accounts import Accounts

    try:
        with EventLog.open(url, create=False) as log:
            stored = Accounts(log.engine).load_config()
    except StoreError:  # no database yet: nothing to remove
        return []
    previous, _ = from_store(stored.document) if stored is not None else (None, [])
    if previous is None:
        return []
    going = set(would_remove(previous, loaded))
    queues = sorted(going & {q.id for q in previous.queues})
    agents = sorted(going & {a.id for a in previous.agents})
    return [
        f"  {kind}: {', '.join(ids)}"
        for kind, ids in (("queues", queues), ("agents", agents))
        if ids
    ]
