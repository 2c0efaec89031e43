"""`joignable demo`: a live demo center at http://127.0.0.1:8000 on SQLite.

Why: the fastest way to understand joignable is to watch it run. This command
starts the real server with `examples/center.yaml` on a fresh SQLite file in
`./.demo`, creates demo users, prints their logins, and runs simulated
customers and agents (`service/demo.py`) through the real runner on the real
clock. The control tower's "simulate an outage" switch multiplies arrivals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

DEMO_USERS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    ("admin", "admin-demo", "admin", {}),
    ("supervisor", "supervisor-demo", "supervisor", {}),
    ("lyon", "lyon-demo", "supervisor", {"sites": ("lyon",)}),
    ("acme", "acme-demo", "supervisor", {"outsourcer": "acme"}),
    ("p01", "p01-demo", "agent", {"agent_id": "p01"}),
)


def find_config() -> Path:
    """examples/center.yaml from the current folder or the source checkout."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        candidate = base / "examples" / "center.yaml"
        if candidate.is_file():
            return candidate
    raise typer.BadParameter("examples/center.yaml not found; pass --config")


def create_users(database_url: str) -> None:
    """The demo users (passwords reset on every start)."""
    import time

    from joignable.store import EventLog
    from joignable.store.accounts import Accounts, UserExists
    from joignable.web.auth import hash_password

    log = EventLog.open(database_url)
    try:
        accounts = Accounts(log.engine, log.tenant)
        for name, password, role, extra in DEMO_USERS:
            hashed = hash_password(password)
            try:
                accounts.add_user(name, hashed, role, now=time.time(), **extra)
            except UserExists:
                accounts.set_password(name, hashed)
    finally:
        log.close()


def build_app(database_url: str, config: Path, seed: int) -> Any:
    """The server app with the demo traffic started once the center runs
    (the bootstrap builds it from `Settings.demo`; `POST /api/demo/outage`
    is `web/routers/demo.py`)."""
    from joignable.service.demo import DemoSettings
    from joignable.web.app import create_app
    from joignable.web.state import Settings

    settings = Settings(
        database_url=database_url,
        config_path=config,
        secure_cookies=False,
        tenant="demo",
        demo=DemoSettings(seed=seed),
    )
    return create_app(settings)


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        port: Annotated[int, typer.Option(help="Port to listen on (127.0.0.1).")] = 8000,
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        folder: Annotated[Path, typer.Option(help="Where the demo database lives.")] = Path(
            ".demo"
        ),
        config: Annotated[Path | None, typer.Option(help="Center YAML.")] = None,
        seed: Annotated[int, typer.Option(help="Seed of the simulated traffic.")] = 20240601,
        keep: Annotated[bool, typer.Option(help="Keep the previous demo's database.")] = False,
    ) -> None:
        """Start a live demo center with simulated customers and agents."""
        import uvicorn

        config_path = config or find_config()
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "demo.db"
        if not keep:
            for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
                stale.unlink(missing_ok=True)
        url = f"sqlite:///{db.resolve()}"
        create_users(url)
        base = f"http://{host}:{port}"
        typer.echo(f"joignable demo: {config_path} on {db} (traffic seed {seed})")
        typer.echo(f"  control tower  {base}/tower")
        typer.echo(f"  agent desk     {base}/desk")
        typer.echo(f"  API docs       {base}/docs")
        typer.echo("  logins (user / password):")
        for name, password, role, extra in DEMO_USERS:
            scope = ", ".join(
                f"{k}={','.join(v) if isinstance(v, tuple) else v}"
                for k, v in extra.items()
                if k != "agent_id"
            )
            note = f"  ({scope})" if scope else ""
            typer.echo(f"    {name:<11} / {password:<16} {role}{note}")
        typer.echo("  agent p01 is left to you on the desk; the other agents are simulated.")
        typer.echo("  Flip 'Simulate an outage' on the tower to see alerts fire. Ctrl-C stops.")
        uvicorn.run(build_app(url, config_path, seed), host=host, port=port, log_level="warning")
