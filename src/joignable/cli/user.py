"""`joignable user`: create, list, disable and delete the people who may sign in.

Why a CLI and not only the API: the first admin must exist before anyone can
sign in, and an operator resets a password from the server's shell.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from joignable.store import EventLog
    from joignable.store.accounts import Accounts

user_app = typer.Typer(help="Manage users (admin, supervisor, agent).", no_args_is_help=True)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


def register(app: typer.Typer) -> None:
    """Add the `user` sub-commands to the `joignable` CLI."""
    app.add_typer(user_app, name="user")


DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL; default $JOIGNABLE_DATABASE_URL, else joignable.db."),
]


def _accounts(db: str | None) -> tuple[EventLog, Accounts]:
    from joignable.store import EventLog, database_url
    from joignable.store.accounts import Accounts

    log = EventLog.open(database_url(db))
    return log, Accounts(log.engine)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@user_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, _ . @ -).")],
    role: Annotated[str, typer.Option("--role", help="admin, supervisor or agent.")],
    sites: Annotated[
        list[str] | None,
        typer.Option("--sites", help="Scope a supervisor to these sites (repeat or a,b)."),
    ] = None,
    outsourcer: Annotated[
        str, typer.Option("--outsourcer", help="Scope a supervisor to one outsourcer.")
    ] = "",
    agent: Annotated[
        str, typer.Option("--agent", help="Agent id an agent user acts as (default: NAME).")
    ] = "",
    password: Annotated[
        str | None, typer.Option("--password", help="Password (prompted when omitted).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Create a user. Exit code 2 on bad input or an existing name."""
    from joignable.store.accounts import UserExists
    from joignable.web.auth import ROLES, hash_password

    if not _NAME.match(name):
        raise _fail(f"invalid user name {name!r}")
    if role not in ROLES:
        raise _fail(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    site_list = tuple(s.strip() for item in sites or [] for s in item.split(",") if s.strip())
    if (site_list or outsourcer) and role != "supervisor":
        raise _fail("--sites and --outsourcer scope a supervisor only")
    if site_list and outsourcer:
        raise _fail("a supervisor is scoped to sites or to an outsourcer, not both")
    if agent and role != "agent":
        raise _fail("--agent is for agent users only")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise _fail("the password must have at least 8 characters")
    log, accounts = _accounts(db)
    try:
        accounts.add_user(
            name,
            hash_password(password),
            role,
            sites=site_list,
            outsourcer=outsourcer,
            agent_id=agent or (name if role == "agent" else ""),
            now=time.time(),
        )
    except UserExists as exc:
        raise _fail(str(exc)) from None
    finally:
        log.close()
    scope = f" sites={','.join(site_list)}" if site_list else ""
    scope += f" outsourcer={outsourcer}" if outsourcer else ""
    typer.echo(f"user {name} added ({role}{scope})")


@user_app.command("password")
def set_password(
    name: Annotated[str, typer.Argument(help="User name.")],
    password: Annotated[
        str | None, typer.Option("--password", help="New password (prompted when omitted).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Replace a user's password; their tokens and sessions end at once (a
    running server stops accepting them within 2 s)."""
    from joignable.web.auth import hash_password

    if password is None:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    if len(password) < 8:
        raise _fail("the password must have at least 8 characters")
    log, accounts = _accounts(db)
    try:
        if not accounts.set_password(name, hash_password(password)):
            raise _fail(f"no user {name!r}")
    finally:
        log.close()
    typer.echo(f"password of {name} changed; their tokens and sessions ended")


@user_app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="User name.")], db: DbOption = None) -> None:
    """Stop a user from signing in; their tokens and sessions end at once
    (a running server stops accepting them within 2 s). `enable` undoes it."""
    _switch(name, True, db)


@user_app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="User name.")], db: DbOption = None) -> None:
    """Let a disabled user sign in again (with their password)."""
    _switch(name, False, db)


def _switch(name: str, disabled: bool, db: str | None) -> None:
    log, accounts = _accounts(db)
    try:
        if not accounts.set_disabled(name, disabled):
            raise _fail(f"no user {name!r}")
    finally:
        log.close()
    typer.echo(f"user {name} {'disabled; tokens and sessions ended' if disabled else 'enabled'}")


@user_app.command("delete")
def delete(
    name: Annotated[str, typer.Argument(help="User name.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Delete a user with their tokens and sessions (what they did stays in the
    event log). Prefer `disable` to keep the account for later."""
    if not yes and not typer.confirm(f"Delete user {name}?"):
        raise _fail("not deleted")
    log, accounts = _accounts(db)
    try:
        if not accounts.delete_user(name):
            raise _fail(f"no user {name!r}")
    finally:
        log.close()
    typer.echo(f"user {name} deleted")


@user_app.command("list")
def list_users(db: DbOption = None) -> None:
    """List users with their role and scope."""
    log, accounts = _accounts(db)
    try:
        users = accounts.list_users()
    finally:
        log.close()
    for u in users:
        scope = ",".join(u.sites) if u.sites else (u.outsourcer or "-")
        agent = u.agent_id or "-"
        state = "\tdisabled" if u.disabled else ""
        typer.echo(f"{u.name}\t{u.role}\tscope={scope}\tagent={agent}{state}")
