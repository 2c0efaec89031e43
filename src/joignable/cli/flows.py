# Why: a flow is checked and rehearsed before it reaches a caller: `flows check` prints
# every problem as `FILE:LINE: node X: message` (exit 1), `flows test` walks a flow
# offline with scripted callers and prints the path taken, failing (exit 1) when a
# script's expectations differ, so CI runs the example flows' scripts.
"""`joignable flows check` and `joignable flows test`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from joignable.flowtest import Walk

__all__ = ["register"]

flows_app = typer.Typer(help="Check and rehearse IVR flows.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``flows`` command group to the joignable app."""
    app.add_typer(flows_app, name="flows")


@flows_app.command("check")
def check_command(
    files: Annotated[list[Path], typer.Argument(help="Flow YAML files.")],
) -> None:
    """Validate flow files; print each problem as FILE:LINE: node X: message."""
    from joignable.schema.flow import load_flow
    from joignable.schema.problem import SchemaError

    bad = False
    for path in files:
        try:
            flow = load_flow(path)
        except SchemaError as exc:
            bad = True
            for problem in exc.problems:
                typer.echo(str(problem), err=True)
            continue
        typer.echo(f"{path}: flow {flow.id} version {flow.version}, {len(flow.nodes)} nodes: ok")
    if bad:
        raise typer.Exit(1)


@flows_app.command("test")
def test_command(
    flow_file: Annotated[Path, typer.Argument(help="Flow YAML file.")],
    script: Annotated[Path, typer.Option("--script", help="Scripted callers (YAML).")],
) -> None:
    """Walk a flow offline with scripted callers and print the path taken; exit 1
    when a script's expected path or outcome differs."""
    from rich.console import Console

    from joignable.flowtest import load_scripts, run_script
    from joignable.schema.flow import load_flow
    from joignable.schema.problem import SchemaError

    console = Console(highlight=False)
    try:
        flow = load_flow(flow_file)
        scripts = load_scripts(script)
    except SchemaError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from None
    failed = 0
    for s in scripts:
        walk = run_script(flow, s)
        _print(console, s.name, walk)
        failed += bool(walk.failures)
    passed = len(scripts) - failed
    colour = "red" if failed else "green"
    console.print(
        f"[{colour}]{passed} passed, {failed} failed[/{colour}] ({flow.id} {flow.version})"
    )
    if failed:
        raise typer.Exit(1)


def _print(console: Console, name: str, walk: Walk) -> None:
    from rich.markup import escape

    from joignable.core.flows import actions as a

    mark = "[red]✗[/red]" if walk.failures else "[green]✓[/green]"
    console.print(f"{mark} [bold]{escape(name)}[/bold] → {walk.outcome or 'still waiting'}")
    for inp, acts in walk.turns:
        if inp is not None:
            console.print(f"    [cyan]caller: {escape(_describe(inp))}[/cyan]")
        for act in acts:
            if isinstance(act, a.Entered):
                console.print(f"  [bold]{escape(act.node)}[/bold] ({act.kind})")
            elif not isinstance(act, a.Ended):
                console.print(f"      {escape(_describe(act))}")
    for failure in walk.failures:
        console.print(f"    [red]{escape(failure)}[/red]")


def _describe(x: object) -> str:
    from dataclasses import fields

    from joignable.core.flows import actions as a

    if isinstance(x, a.Say):
        return f"say [{x.language}] {x.text}"
    if isinstance(x, a.Gather):
        return f"wait for {x.mode} ({', '.join(x.keys) or f'{x.min_length}-{x.max_length}'})"
    if isinstance(x, a.Enqueue):
        kind = "callback in" if x.callback else "enqueue in"
        return f"{kind} {x.queue} priority {x.priority} skills {list(x.skills)} [{x.language}]"

    values = ", ".join(f"{f.name}={getattr(x, f.name)!r}" for f in fields(x))  # type: ignore[arg-type]
    return f"{type(x).__name__}({values})"
