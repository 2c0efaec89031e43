"""The `joignable` command: one Typer app, each sub-command in its own module.

Sub-command modules expose ``register(app)``; nothing heavy is imported until a
command runs, so ``joignable --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="joignable",
    help="joignable: omnichannel contact-center engine (routing, supervision, digital twin).",
    no_args_is_help=True,
    add_completion=False,
)

# Each module registers its commands on `app`.
_COMMAND_MODULES = [
    "joignable.cli.replay",
    "joignable.cli.demo",
    "joignable.cli.staff",
    "joignable.cli.simulate",
    "joignable.cli.serve",
    "joignable.cli.user",
    "joignable.cli.flows",
]


@app.callback()
def _root() -> None:
    """joignable: omnichannel contact-center engine (routing, supervision, digital twin)."""


for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Console-script entry point."""
    app()
