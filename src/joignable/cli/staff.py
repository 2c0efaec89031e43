# Why this module exists: planners ask "how many agents do I need?" for one queue or for a
# whole day of 15-minute intervals; this command answers with the Erlang C / Erlang A
# figures of `joignable.core.planning.staffing`, names the SL definition it uses, and turns bad
# input (durations, CSV cells) into a clear one-line error instead of a traceback.
"""`joignable staff`: agents needed to meet a service level, for a queue or a CSV day."""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from joignable.core.planning import staffing

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["parse_duration", "read_intervals", "register"]

CSV_COLUMNS = ("interval_start", "queue", "channel", "volume", "aht_seconds")
OUT_COLUMNS = (
    "interval_start",
    "queue",
    "channel",
    "volume",
    "aht_seconds",
    "traffic_erlangs",
    "agents",
    "scheduled_agents",
    "service_level",
    "asa_seconds",
    "occupancy",
    "p_abandon",
)

_UNITS = {
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
}
_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)")


# ---------------------------------------------------------------------------------------
# Parsing helpers


def parse_duration(text: str, *, allow_zero: bool = False) -> float:
    """Seconds in a duration such as ``30m``, ``180s``, ``1h``, ``1h30m``, ``2.5min`` or
    plain seconds ``180``. Raises ValueError with the reason."""
    raw = text.strip()
    if not raw:
        raise ValueError("empty duration")
    total, pos, parts = 0.0, 0, 0
    while pos < len(raw):
        match = _PART.match(raw, pos)
        if match is None:
            raise ValueError(f"{text!r} is not a duration (try 30m, 180s, 1h or 90)")
        number, unit = match.groups()
        if unit.lower() not in _UNITS and not (unit == "" and parts == 0):
            raise ValueError(f"{text!r}: unknown unit {unit!r} (use s, m or h)")
        if unit == "" and match.end() != len(raw.rstrip()):
            raise ValueError(f"{text!r} is not a duration (try 30m, 180s, 1h or 90)")
        total += float(number) * _UNITS.get(unit.lower(), 1.0)
        pos, parts = match.end(), parts + 1
    if not math.isfinite(total) or total < 0 or (total == 0 and not allow_zero):
        raise ValueError(f"{text!r}: the duration must be {'>= 0' if allow_zero else '> 0'}")
    return total


@dataclass(frozen=True, slots=True)
class IntervalRow:
    """One line of the intervals CSV."""

    line: int
    interval_start: str
    queue: str
    channel: str
    volume: float
    aht_seconds: float
    concurrency: int | None


class CsvError(ValueError):
    """A malformed intervals CSV; the message names the file, line and column."""


def read_intervals(path: Path) -> list[IntervalRow]:
    """Rows of a CSV with columns interval_start, queue, channel, volume, aht_seconds
    (and optionally concurrency). Raises CsvError naming file, line and column."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise CsvError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with handle:
        reader = csv.DictReader(handle)
        try:
            header = reader.fieldnames
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CsvError(f"{path}, line 1: {exc}") from None
        if not header:
            raise CsvError(f"{path}, line 1: empty file, expected columns {', '.join(CSV_COLUMNS)}")
        columns = [name.strip() for name in header]
        missing = [name for name in CSV_COLUMNS if name not in columns]
        if missing:
            raise CsvError(f"{path}, line 1: missing column(s) {', '.join(missing)}")
        reader.fieldnames = columns
        rows: list[IntervalRow] = []
        try:
            for record in reader:
                rows.append(_parse_row(path, reader.line_num, record))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CsvError(f"{path}, line {reader.line_num}: {exc}") from None
    if not rows:
        raise CsvError(f"{path}: no intervals after the header line")
    return rows


def _parse_row(path: Path, line: int, record: dict[str | Any, str | Any]) -> IntervalRow:
    def cell(column: str) -> str:
        value = record.get(column)
        if value is None:
            raise CsvError(f"{path}, line {line}, column {column!r}: missing value")
        return str(value).strip()

    def number(column: str, *, positive: bool) -> float:
        text = cell(column)
        try:
            value = float(text)
        except ValueError:
            raise CsvError(
                f"{path}, line {line}, column {column!r}: {text!r} is not a number"
            ) from None
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            bound = "> 0" if positive else ">= 0"
            raise CsvError(f"{path}, line {line}, column {column!r}: {text!r} must be {bound}")
        return value

    if None in record:  # more cells than header columns
        raise CsvError(f"{path}, line {line}: more cells than the {len(record) - 1} columns")
    start = cell("interval_start")
    try:
        datetime.fromisoformat(start)
    except ValueError:
        raise CsvError(
            f"{path}, line {line}, column 'interval_start': {start!r} is not an ISO date-time"
        ) from None
    queue = cell("queue")
    if not queue:
        raise CsvError(f"{path}, line {line}, column 'queue': empty")
    concurrency: int | None = None
    if (record.get("concurrency") or "").strip():
        text = cell("concurrency")
        if not text.isdigit() or int(text) < 1:
            raise CsvError(f"{path}, line {line}, column 'concurrency': {text!r} must be >= 1")
        concurrency = int(text)
    return IntervalRow(
        line=line,
        interval_start=start,
        queue=queue,
        channel=cell("channel"),
        volume=number("volume", positive=False),
        aht_seconds=number("aht_seconds", positive=True),
        concurrency=concurrency,
    )


# ---------------------------------------------------------------------------------------
# Figures


@dataclass(frozen=True, slots=True)
class _Targets:
    sl_target: float | None
    sl_seconds: float
    asa: float | None
    max_abandon: float | None
    max_occupancy: float | None
    patience: float | None
    shrinkage: float

    def staff(self, traffic: float, aht: float, concurrency: int) -> staffing.StaffingResult:
        return staffing.staff(
            traffic,
            aht,
            service_level=self.sl_target,
            threshold=self.sl_seconds,
            asa=self.asa,
            max_abandon=self.max_abandon,
            max_occupancy=self.max_occupancy,
            patience=self.patience,
            shrinkage=self.shrinkage,
            concurrency=concurrency,
        )

    def evaluate(self, traffic: float, aht: float, agents: int, concurrency: int) -> dict[str, Any]:
        servers = agents * concurrency
        perf: staffing.ErlangCResult | staffing.ErlangAResult
        if self.patience is None:
            perf = staffing.erlang_c(traffic, servers, aht, self.sl_seconds)
        else:
            perf = staffing.erlang_a(traffic, servers, aht, self.patience, self.sl_seconds)
        return _figures(agents, staffing.scheduled_agents(agents, self.shrinkage), perf)


def _sl_definition(sl_seconds: float, patience: float | None) -> str:
    model = "Erlang C" if patience is None else "Erlang A, abandons count as not answered"
    return f"SL = answered within {sl_seconds:g} s / all arrivals ({model})"


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _figures(
    agents: int, scheduled: int, perf: staffing.ErlangCResult | staffing.ErlangAResult
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "agents": agents,
        "scheduled_agents": scheduled,
        "traffic_erlangs": perf.traffic,
        "p_wait": perf.p_wait,
        "service_level": perf.service_level,
        "asa_seconds": _finite_or_none(perf.asa),
        "occupancy": perf.occupancy,
    }
    if isinstance(perf, staffing.ErlangAResult):
        out["p_abandon"] = perf.p_abandon
        out["average_wait_seconds"] = perf.average_wait
    return out


def _result_figures(result: staffing.StaffingResult) -> dict[str, Any]:
    out = _figures(result.agents, result.scheduled_agents, result.performance)
    out["limited_by"] = list(result.limited_by)
    return out


# ---------------------------------------------------------------------------------------
# Output


def _fmt(value: Any, kind: str = "") -> str:
    if value is None:
        return "∞" if kind == "s" else "—"
    if kind == "%":
        return f"{100 * value:.1f} %"
    if kind == "s":
        return f"{value:.1f} s"
    if isinstance(value, float):
        return f"{value:.4g}" if value < 1000 else f"{value:,.1f}"
    return str(value)


def _console() -> Console:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped or captured: do not squeeze tables into 80 columns
        console = Console(width=max(console.width, 140))
    return console


def _print_single(figures: dict[str, Any], caption: str, staffed: bool) -> None:
    from rich.table import Table

    title = "Staffing" if staffed else "Queue with the given agents"
    table = Table(title=title, caption=caption, min_width=len(caption) + 4)
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [
        ("traffic (Erlangs)", _fmt(figures["traffic_erlangs"])),
        ("agents on contacts", _fmt(figures["agents"])),
        ("agents to schedule (shrinkage)", _fmt(figures["scheduled_agents"])),
        ("service level", _fmt(figures["service_level"], "%")),
        ("probability of waiting", _fmt(figures["p_wait"], "%")),
        ("ASA", _fmt(figures["asa_seconds"], "s")),
        ("occupancy", _fmt(figures["occupancy"], "%")),
    ]
    if "p_abandon" in figures:
        rows.append(("abandonment", _fmt(figures["p_abandon"], "%")))
        rows.append(("average wait (all)", _fmt(figures["average_wait_seconds"], "s")))
    if figures.get("limited_by"):
        rows.append(("set by target", ", ".join(figures["limited_by"])))
    for name, value in rows:
        table.add_row(name, value)
    _console().print(table)


def _print_intervals(
    rows: list[dict[str, Any]], queues: list[dict[str, Any]], caption: str, erlang_a: bool
) -> None:
    from rich.table import Table

    console = _console()
    detail = Table(title="Agents needed per interval", caption=caption)
    heads = [
        "interval",
        "queue",
        "channel",
        "volume",
        "Erlangs",
        "agents",
        "scheduled",
        "SL",
        "ASA",
    ]
    if erlang_a:
        heads.append("abandon")
    for head in heads:
        detail.add_column(
            head, justify="left" if head in {"interval", "queue", "channel"} else "right"
        )
    for row in rows:
        cells = [
            row["interval_start"],
            row["queue"],
            row["channel"],
            _fmt(row["volume"]),
            f"{row['traffic_erlangs']:.2f}",
            str(row["agents"]),
            str(row["scheduled_agents"]),
            _fmt(row["service_level"], "%"),
            _fmt(row["asa_seconds"], "s"),
        ]
        if erlang_a:
            cells.append(_fmt(row["p_abandon"], "%"))
        detail.add_row(*cells)
    console.print(detail)
    summary = Table(title="Per queue", caption=caption)
    for head in (
        "queue",
        "channel",
        "intervals",
        "volume",
        "peak agents",
        "peak scheduled",
        "agent-hours",
    ):
        summary.add_column(head, justify="left" if head in {"queue", "channel"} else "right")
    for q in queues:
        summary.add_row(
            q["queue"],
            q["channel"],
            str(q["intervals"]),
            _fmt(q["volume"]),
            str(q["peak_agents"]),
            str(q["peak_scheduled_agents"]),
            f"{q['scheduled_agent_hours']:.2f}",
        )
    console.print(summary)


def _summarise(rows: Iterable[dict[str, Any]], interval_hours: float) -> list[dict[str, Any]]:
    by_queue: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["queue"], row["channel"])
        q = by_queue.setdefault(
            key,
            {
                "queue": key[0],
                "channel": key[1],
                "intervals": 0,
                "volume": 0.0,
                "peak_agents": 0,
                "peak_scheduled_agents": 0,
                "scheduled_agent_hours": 0.0,
            },
        )
        q["intervals"] += 1
        q["volume"] += row["volume"]
        q["peak_agents"] = max(q["peak_agents"], row["agents"])
        q["peak_scheduled_agents"] = max(q["peak_scheduled_agents"], row["scheduled_agents"])
        q["scheduled_agent_hours"] += row["scheduled_agents"] * interval_hours
    return list(by_queue.values())


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=OUT_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in OUT_COLUMNS})


# ---------------------------------------------------------------------------------------
# The command


def _duration(text: str | None, option: str, *, allow_zero: bool = False) -> float | None:
    if text is None:
        return None
    try:
        return parse_duration(text, allow_zero=allow_zero)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def _fraction(value: float | None, option: str, *, closed_top: bool = False) -> float | None:
    if value is None:
        return None
    ok = 0 < value <= 1 if closed_top else 0 < value < 1
    if not (math.isfinite(value) and ok):
        bound = "in (0, 1]" if closed_top else "strictly between 0 and 1"
        raise typer.BadParameter(f"{value!r} must be {bound}", param_hint=option)
    return value


def staff_command(
    calls: Annotated[
        float | None, typer.Option("--calls", help="Contacts arriving during --interval.")
    ] = None,
    interval: Annotated[
        str, typer.Option("--interval", help="Length of the period: 30m, 15m, 1h, 900.")
    ] = "15m",
    aht: Annotated[
        str | None, typer.Option("--aht", help="Average handle time: 180s, 3m, 180.")
    ] = None,
    sl_target: Annotated[
        float, typer.Option("--sl-target", help="Target service level, 0.8 = 80 %; 0 for none.")
    ] = 0.8,
    sl_seconds: Annotated[
        str, typer.Option("--sl-seconds", help="Service-level threshold T: 20, 20s.")
    ] = "20",
    patience: Annotated[
        str | None,
        typer.Option("--patience", help="Mean caller patience (switches to Erlang A): 300s."),
    ] = None,
    agents: Annotated[
        int | None,
        typer.Option("--agents", min=0, help="Evaluate this many agents instead of staffing."),
    ] = None,
    shrinkage: Annotated[
        float, typer.Option("--shrinkage", help="Share of paid time off contacts, 0.3 = 30 %.")
    ] = 0.0,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Contacts an agent holds at once (chat).")
    ] = 1,
    asa_target: Annotated[
        str | None, typer.Option("--asa-target", help="Also keep ASA at or below this: 30s.")
    ] = None,
    max_abandon: Annotated[
        float | None,
        typer.Option("--max-abandon", help="Also keep abandonment at or below (needs --patience)."),
    ] = None,
    max_occupancy: Annotated[
        float | None, typer.Option("--max-occupancy", help="Also keep occupancy at or below.")
    ] = None,
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Intervals CSV: interval_start, queue, channel, volume, aht_seconds.",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="With --csv: write the staffing CSV here.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Agents needed to meet a service level (Erlang C, or Erlang A with --patience).

    SL = answered within T seconds / all arrivals (offered).

    One queue: --calls, --interval, --aht. A day of 15-minute intervals: --csv.
    """
    sl_t = _duration(sl_seconds, "--sl-seconds", allow_zero=True)
    assert sl_t is not None
    pat = _duration(patience, "--patience")
    asa = _duration(asa_target, "--asa-target")
    if not (math.isfinite(sl_target) and 0 <= sl_target < 1):
        raise typer.BadParameter(
            f"{sl_target!r} must be in [0, 1) (0: no SL target)", param_hint="--sl-target"
        )
    if not (math.isfinite(shrinkage) and 0 <= shrinkage < 1):
        raise typer.BadParameter(f"{shrinkage!r} must be in [0, 1)", param_hint="--shrinkage")
    if max_abandon is not None and pat is None:
        raise typer.BadParameter("needs --patience (Erlang A)", param_hint="--max-abandon")
    targets = _Targets(
        sl_target=sl_target or None,
        sl_seconds=sl_t,
        asa=asa,
        max_abandon=_fraction(max_abandon, "--max-abandon"),
        max_occupancy=_fraction(max_occupancy, "--max-occupancy", closed_top=True),
        patience=pat,
        shrinkage=shrinkage,
    )
    if agents is None and not (targets.sl_target or asa or max_abandon or max_occupancy):
        raise typer.BadParameter(
            "give a target (or --agents to evaluate)", param_hint="--sl-target"
        )
    caption = _sl_definition(sl_t, pat)
    interval_s = _duration(interval, "--interval")
    assert interval_s is not None

    if csv_path is not None:
        if calls is not None or agents is not None or aht is not None:
            raise typer.BadParameter("--csv takes volume and AHT from the file", param_hint="--csv")
        _run_csv(csv_path, out, interval_s, targets, concurrency, caption, as_json)
        return
    if out is not None:
        raise typer.BadParameter("--out goes with --csv", param_hint="--out")
    if calls is None or not math.isfinite(calls) or calls < 0:
        raise typer.BadParameter("give the number of contacts, >= 0", param_hint="--calls")
    aht_s = _duration(aht, "--aht")
    if aht_s is None:
        raise typer.BadParameter("give the average handle time, e.g. 180s", param_hint="--aht")
    traffic = staffing.traffic_erlangs(calls, interval_s, aht_s)
    if agents is None:
        figures = _result_figures(targets.staff(traffic, aht_s, concurrency))
    else:
        figures = targets.evaluate(traffic, aht_s, agents, concurrency)
    figures.update(
        model="erlang_c" if pat is None else "erlang_a",
        sl_seconds=sl_t,
        sl_target=targets.sl_target,
        sl_definition=caption,
        shrinkage=shrinkage,
        concurrency=concurrency,
    )
    if pat is not None:
        figures["patience_seconds"] = pat
    if as_json:
        typer.echo(json.dumps(figures, allow_nan=False))
    else:
        _print_single(figures, caption, staffed=agents is None)


def _run_csv(
    path: Path,
    out: Path | None,
    interval_s: float,
    targets: _Targets,
    concurrency: int,
    caption: str,
    as_json: bool,
) -> None:
    try:
        rows_in = read_intervals(path)
    except CsvError as exc:
        raise typer.BadParameter(str(exc), param_hint="--csv") from None
    rows: list[dict[str, Any]] = []
    for row in rows_in:
        traffic = staffing.traffic_erlangs(row.volume, interval_s, row.aht_seconds)
        figures = _result_figures(
            targets.staff(traffic, row.aht_seconds, row.concurrency or concurrency)
        )
        rows.append(
            {
                "interval_start": row.interval_start,
                "queue": row.queue,
                "channel": row.channel,
                "volume": row.volume,
                "aht_seconds": row.aht_seconds,
                **figures,
            }
        )
    queues = _summarise(rows, interval_s / 3600)
    if out is not None:
        try:
            _write_csv(out, rows)
        except OSError as exc:
            raise typer.BadParameter(
                f"{out}: cannot write ({exc.strerror or exc})", param_hint="--out"
            ) from None
    if as_json:
        payload = {"sl_definition": caption, "intervals": rows, "queues": queues}
        typer.echo(json.dumps(payload, allow_nan=False))
    else:
        _print_intervals(rows, queues, caption, targets.patience is not None)
        if out is not None:
            typer.echo(f"wrote {len(rows)} intervals to {out}")


def register(app: typer.Typer) -> None:
    """Add the ``staff`` command to the joignable app."""
    app.command("staff")(staff_command)
