# Why: the report must open on a closed network, from a mail attachment or a USB
# stick: one HTML file, charts drawn as inline SVG by this module, no script and
# nothing fetched from anywhere.
"""The self-contained report page: inline SVG charts per interval and KPI tables."""

from __future__ import annotations

import math
from html import escape
from typing import Any

_W, _H, _L, _R, _T, _B = 760, 220, 56, 16, 24, 34
_STEPS = (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 8, 10)  # gridline steps, × 10^k
_COLORS = ("#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df")

_TABLE_METRICS = (
    ("offered", "offered", "n"),
    ("answered", "answered", "n"),
    ("abandoned", "abandoned", "n"),
    ("callbacks", "callbacks", "n"),
    ("self_service", "self-service", "n"),
    ("service_level", "SL (all arrivals)", "%"),
    ("service_level_excl_short", "SL excl. short abandons", "%"),
    ("asa", "ASA (s)", "s"),
    ("abandonment_rate", "abandonment", "%"),
    ("aht", "AHT (s)", "s"),
    ("occupancy", "occupancy", "%"),
    ("reachability", "reachability", "%"),
    ("lost", "lost", "n"),
)


def _fmt(v: float | None, kind: str) -> str:
    if v is None:
        return "–"
    if kind == "%":
        return f"{100 * v:.1f} %"
    if kind == "s":
        return f"{v:.1f}"
    return f"{v:,.1f}" if abs(v - round(v)) > 1e-9 else f"{round(v):,}"


def _cell(stat: dict[str, Any] | None, kind: str) -> str:
    if not stat or stat.get("mean") is None:
        return "<td>–</td>"
    text = _fmt(stat["mean"], kind)
    if stat.get("low") is not None:
        ci = f"{_fmt(stat['low'], kind)} … {_fmt(stat['high'], kind)}"
        return f'<td title="95 % CI {escape(ci)}">{text}<small> ±</small></td>'
    return f"<td>{text}</td>"


def _series(report: dict[str, Any], metric: str) -> list[float | None]:
    return [(entry.get(metric) or {}).get("mean") for entry in report["by_interval"].values()]


def _nice_top(peak: float) -> float:
    """The axis top: four gridline steps of a round size (`_STEPS` × 10^k) covering `peak`
    (so the labels read 0, 250, 500, 750, 1,000 — never 1.39e+03)."""
    if not peak > 0:
        return 1.0
    raw = peak / 4
    scale = 10.0 ** math.floor(math.log10(raw))
    step = next(m * scale for m in _STEPS if m * scale >= raw)
    return 4 * step


def chart(
    title: str,
    labels: list[str],
    series: list[tuple[str, list[float | None]]],
    percent: bool = False,
) -> str:
    """An SVG line chart of one or more series over the intervals."""
    values = [v for _, vs in series for v in vs if v is not None]
    top = 1.0 if percent else _nice_top(max(values, default=0.0))
    n = max(1, len(labels) - 1)
    pw, ph = _W - _L - _R, _H - _T - _B

    def x(i: int) -> float:
        return _L + pw * i / n

    def y(v: float) -> float:
        return _T + ph * (1 - v / top)

    parts = [
        f'<svg viewBox="0 0 {_W} {_H}" width="100%" role="img" aria-label="{escape(title)}">',
        f'<text x="{_L}" y="16" class="t">{escape(title)}</text>',
    ]
    for k in range(5):
        v = top * k / 4
        label = f"{100 * v:.0f} %" if percent else f"{v:,g}"
        parts.append(
            f'<line x1="{_L}" x2="{_W - _R}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="g"/>'
            f'<text x="{_L - 6}" y="{y(v) + 4:.1f}" class="a" text-anchor="end">{label}</text>'
        )
    step = max(1, len(labels) // 12)
    for i in range(0, len(labels), step):
        parts.append(
            f'<text x="{x(i):.1f}" y="{_H - _B + 16}" class="a" text-anchor="middle">'
            f"{escape(labels[i])}</text>"
        )
    for j, (name, vals) in enumerate(series):
        color = _COLORS[j % len(_COLORS)]
        runs: list[list[str]] = [[]]
        for i, val in enumerate(vals):
            if val is None:
                runs.append([])
            else:
                runs[-1].append(f"{x(i):.1f},{y(val):.1f}")
        for run in runs:
            if len(run) > 1:
                pts = " ".join(run)
                parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}"/>')
            elif run:
                cx, cy = run[0].split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{color}"/>')
        lx = _L + 10 + 170 * j
        parts.append(
            f'<rect x="{lx}" y="{_H - 12}" width="10" height="3" fill="{color}"/>'
            f'<text x="{lx + 14}" y="{_H - 8}" class="a">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(title: str, rows: dict[str, dict[str, Any]]) -> str:
    head = "".join(f"<th>{escape(label)}</th>" for _, label, _ in _TABLE_METRICS)
    body = []
    for key, entry in rows.items():
        cells = "".join(_cell(entry.get(m), kind) for m, _, kind in _TABLE_METRICS)
        body.append(f"<tr><th>{escape(key)}</th>{cells}</tr>")
    return f"<h2>{escape(title)}</h2><table><tr><th></th>{head}</tr>{''.join(body)}</table>"


_STYLE = """
body{font:14px system-ui,sans-serif;margin:24px;color:#1f2328;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
td,th{border-bottom:1px solid #d0d7de;padding:3px 7px;text-align:right}
th:first-child{text-align:left}
.t{font-size:13px;font-weight:600}.a{font-size:10px;fill:#57606a}
.g{stroke:#eaeef2}polyline{stroke-width:1.8}
.kpi{display:inline-block;margin:6px 18px 6px 0}.kpi b{display:block;font-size:22px}
dl{font-size:12px;color:#57606a}dt{font-weight:600}
"""


def render_html(report: dict[str, Any]) -> str:
    """The whole report page as one string."""
    sc = report["scenario"]
    overall = report["overall"]
    labels = list(report["by_interval"])
    t = sc["sl_seconds"]
    big = []
    for metric, label, kind in (
        ("reachability", "reachability", "%"),
        ("lost", "customers lost", "n"),
        ("service_level", f"SL {t:g} s (all arrivals)", "%"),
        ("asa", "ASA (s)", "s"),
        ("abandonment_rate", "abandonment", "%"),
        ("occupancy", "occupancy", "%"),
    ):
        value = _fmt((overall.get(metric) or {}).get("mean"), kind)
        big.append(f'<div class="kpi"><b>{value}</b>{escape(label)}</div>')
    charts = [
        chart(
            "Arrivals vs capacity (contacts per interval)",
            labels,
            [("arrivals", _series(report, "arrivals")), ("capacity", _series(report, "capacity"))],
        ),
        chart(
            f"Service level, answered within {t:g} s",
            labels,
            [
                ("SL (all arrivals)", _series(report, "service_level")),
                ("SL excl. short abandons", _series(report, "service_level_excl_short")),
            ],
            percent=True,
        ),
        chart("ASA (seconds)", labels, [("ASA", _series(report, "asa"))]),
        chart(
            "Abandonment rate",
            labels,
            [("abandonment", _series(report, "abandonment_rate"))],
            percent=True,
        ),
        chart("Occupancy", labels, [("occupancy", _series(report, "occupancy"))], percent=True),
    ]
    tables = [
        _table("Overall", {"all": overall}),
        _table("Per queue", report["by_queue"]),
        _table("Per channel", report["by_channel"]),
        _table("Per site", report["by_site"]),
        _table("Per outsourcer", report["by_outsourcer"]),
    ]
    defs = "".join(
        f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in report["definitions"].items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(sc['name'])} — simulation report</title><style>{_STYLE}</style>"
        f"</head><body><h1>{escape(sc['name'])}</h1>"
        f"<p>{escape(sc['description'])}</p>"
        f"<p>{escape(sc['date'])} ({escape(sc['timezone'])}), {escape(sc['open'])}–"
        f"{escape(sc['close'])}; seed {report['seed']}, {report['replications']} replication(s); "
        "figures are means, hover a cell for its 95 % confidence interval.</p>"
        f"{''.join(big)}{''.join(charts)}{''.join(tables)}"
        f"<h2>Definitions</h2><dl>{defs}</dl></body></html>\n"
    )
