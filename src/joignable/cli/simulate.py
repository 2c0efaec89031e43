# Why this module exists: the digital twin's front door. `joignable simulate` runs a
# scenario on the real routing engine and writes the report; `joignable compare`
# runs two scenarios with the same seed and shows what a measure changes. A bad
# scenario or override is a one-line FILE:LINE error and exit code 2, never a
# traceback.
"""`joignable simulate` and `joignable compare`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from joignable.sim.scenario import Scenario

__all__ = ["register"]

SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of every random stream.")]
RepsOpt = Annotated[
    int, typer.Option("--replications", "-r", min=1, help="Independent days to simulate.")
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="Override a scenario field: path=value, +N/-N/*F relative to the current value "
        "(e.g. agents.outsourcer_x.count=+10, queues.billing.max_wait=120).",
    ),
]


def _console() -> Console:
    from rich.console import Console

    return Console()


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(2)


def _load(path: Path, overrides: list[str]) -> Scenario:
    from joignable.sim.loader import ScenarioError, load_scenario
    from joignable.sim.whatif import OverrideError, apply_overrides

    try:
        return apply_overrides(load_scenario(path), overrides)
    except (ScenarioError, OverrideError) as exc:
        raise _fail(str(exc)) from None


def _run(scenario: Scenario, seed: int, replications: int, title: str) -> dict[str, Any]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from joignable.sim.compare import simulate_report

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f} %"),
        TimeElapsedColumn(),
        transient=True,
        console=_console(),
    ) as bar:
        task = bar.add_task(title, total=float(replications))

        def progress(rep: int, fraction: float) -> None:
            bar.update(task, completed=rep + fraction)

        return simulate_report(scenario, seed, replications, progress)


def simulate_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    seed: SeedOpt = 1,
    replications: RepsOpt = 5,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for report.json, intervals.csv, report.html."),
    ] = Path("sim-report"),
    overrides: SetOpt = None,
) -> None:
    """Simulate a scenario on the real routing engine; write the report and print a summary."""
    from rich.table import Table

    from joignable.sim.compare import KEY_FIGURES, fmt_ci
    from joignable.sim.report import write_report

    sc = _load(scenario, overrides or [])
    report = _run(sc, seed, replications, sc.name)
    paths = write_report(report, out)
    table = Table(title=f"{sc.name} — seed {seed}, {replications} replication(s), mean [95 % CI]")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for metric, label, kind in KEY_FIGURES:
        table.add_row(label, fmt_ci(report["overall"].get(metric) or {}, kind))
    console = _console()
    console.print(table)
    if "ivr" in report:
        ivr = Table(title="IVR walked from the flows (mean per replication)")
        ivr.add_column("outcome")
        ivr.add_column("callers", justify="right")
        for name, stat in report["ivr"].items():
            ivr.add_row(name.replace("_", " "), fmt_ci(stat, "s" if name == "ivr_seconds" else "n"))
        console.print(ivr)
    console.print(
        f"SL = answered within {sc.sl_seconds:g} s / all arrivals; "
        f"'excl. short abandons' leaves out those who left within {sc.short_abandon_seconds:g} s."
    )
    for p in paths:
        console.print(f"wrote {p}")


def compare_command(
    a: Annotated[Path, typer.Argument(help="Scenario A (the reference).")],
    b: Annotated[Path, typer.Argument(help="Scenario B (with the measure).")],
    seed: SeedOpt = 1,
    replications: RepsOpt = 5,
    overrides: SetOpt = None,
) -> None:
    """Run two scenarios with the same seed and show the key figures side by side (B − A)."""
    from rich.table import Table

    from joignable.sim.compare import compare_reports, fmt, fmt_ci

    sa = _load(a, [])
    sb = _load(b, overrides or [])
    ra = _run(sa, seed, replications, f"A: {sa.name}")
    rb = _run(sb, seed, replications, f"B: {sb.name}")
    table = Table(title=f"seed {seed}, {replications} replication(s), mean [95 % CI]")
    table.add_column("figure")
    table.add_column(f"A: {sa.name}", justify="right")
    table.add_column(f"B: {sb.name}", justify="right")
    table.add_column("B − A", justify="right")
    for row in compare_reports(ra, rb):
        if ":" in row.label and row.metric == "service_level":
            table.add_section()  # each channel's figures apart from the overall ones
        table.add_row(
            row.label,
            fmt_ci(row.a, row.kind),
            fmt_ci(row.b, row.kind),
            fmt(row.difference, row.kind, signed=True),
        )
    _console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` and ``compare`` commands to the joignable app."""
    app.command("simulate")(simulate_command)
    app.command("compare")(compare_command)
    if app.registered_callback is None:

        @app.callback()
        def _root() -> None:
            pass
