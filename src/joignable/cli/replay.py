"""`joignable replay`: rebuild the engine from the event log and show where things stand.

What an operator runs after a crash, or to look inside a database file: it
reads every stored event, applies it to a fresh engine and prints the waiting
contacts per queue (in their order) and the agents per state.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from joignable.core.codec import DecodeError


def register(app: typer.Typer) -> None:
    app.command("replay")(replay)


def replay(
    db: str = typer.Option(
        "joignable.db", "--db", help="SQLite file or database URL holding the event log."
    ),
    tenant: str = typer.Option("default", help="Contact center (tenant) to replay."),
    show: int = typer.Option(10, help="Waiting contacts to list per queue."),
) -> None:
    """Rebuild the state from the event log; print waiting contacts and agents."""
    from joignable.journal import rebuild
    from joignable.store import EventLog, StoreError

    console = Console()
    if "://" not in db and not Path(db).exists():
        console.print(f"[red]error:[/red] no database file {db}")
        raise typer.Exit(2)
    try:
        with EventLog.open(db, tenant=tenant, create=False) as log:
            engine = rebuild(log)
            others = {} if log.last_seq() else log.tenants()
    except (StoreError, DecodeError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if others:  # nothing under this tenant, but the file holds other centers
        held = ", ".join(f"{name} ({n} events)" for name, n in others.items())
        console.print(
            f"[red]error:[/red] no events for tenant {tenant!r} in {db}; it holds: {held}. "
            f"Run with --tenant {next(iter(others))}"
        )
        raise typer.Exit(2)
    stats = engine.statistics()
    console.print(
        f"replayed {stats.seq} events; {stats.contacts_in_progress} contacts in progress; "
        f"ended: {stats.ended or 'none'}"
    )
    queues = Table(title="Waiting per queue (in order)")
    queues.add_column("queue")
    queues.add_column("waiting", justify="right")
    queues.add_column("longest wait (s)", justify="right")
    queues.add_column("first in line")
    for queue_id, qs in sorted(engine.queues.items()):
        first = ", ".join(entry[3] for entry in qs.waiting[:show])
        if len(qs.waiting) > show:
            first += ", …"
        longest = stats.longest_wait.get(queue_id)
        queues.add_row(
            queue_id + (" (standby)" if qs.spec.standby else ""),
            str(len(qs.waiting)),
            f"{longest:.0f}" if longest is not None else "-",
            first,
        )
    console.print(queues)
    agents = Table(title="Agents per state")
    agents.add_column("state")
    agents.add_column("agents", justify="right")
    for state, count in sorted(stats.agents.items()):
        agents.add_row(state, str(count))
    console.print(agents)
