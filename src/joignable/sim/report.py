# Why: one simulated day is one draw; a director deciding on a measure needs the
# mean over replications *and* how sure it is. This module folds the KPI book of
# each replication (the very figures the live server shows) into means with 95 %
# confidence intervals (Student t), and writes them as JSON, CSV and one page.
"""Simulation report: every KPI overall and per queue, channel, site, outsourcer and
interval, with 95 % confidence intervals over replications."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .runner import RunResult
from .scenario import Scenario

FORMAT = "joignable-simulation-report/1"

#: Two-sided 95 % Student t quantiles (0.975) by degrees of freedom.
_T975 = {
    1: 12.706205,
    2: 4.302653,
    3: 3.182446,
    4: 2.776445,
    5: 2.570582,
    6: 2.446912,
    7: 2.364624,
    8: 2.306004,
    9: 2.262157,
    10: 2.228139,
    11: 2.200985,
    12: 2.178813,
    13: 2.160369,
    14: 2.144787,
    15: 2.131450,
    16: 2.119905,
    17: 2.109816,
    18: 2.100922,
    19: 2.093024,
    20: 2.085963,
    21: 2.079614,
    22: 2.073873,
    23: 2.068658,
    24: 2.063899,
    25: 2.059539,
    26: 2.055529,
    27: 2.051831,
    28: 2.048407,
    29: 2.045230,
    30: 2.042272,
    40: 2.021075,
    60: 2.000298,
    120: 1.979930,
}

DIMENSIONS = ("queue", "channel", "site", "outsourcer", "interval")

DEFINITIONS = {
    "service_level": "SL(T): contacts answered within T seconds / all contacts offered to a "
    "queue (abandoned ones included) — the definition of the Erlang C and Erlang A formulas",
    "service_level_excl_short": "SL(T) excluding short abandons: answered within T / "
    "(offered − contacts abandoned within the short-abandon grace time)",
    "abandonment_rate": "(abandoned − short abandons) / (offered − short abandons)",
    "asa": "average speed of answer: mean wait of answered contacts, in seconds",
    "avg_wait": "mean wait of every offered contact that stopped waiting (answered or left)",
    "occupancy": "handling time / (handling + available idle time); not-ready time excluded",
    "reachability": "customers answered, called back or resolved in self-service / "
    "customers who tried (per customer, not per attempt)",
    "lost": "customers who tried and got none of the three",
    "arrivals": "all contacts of the interval: offered to a queue or handled in self-service",
    "ready_agents": "mean number of agents logged in and ready (idle or busy)",
    "capacity": "contacts the ready agents could handle: ready agent-seconds / AHT",
    "ci": "mean over replications with its 95 % confidence interval (Student t)",
}


def t975(df: int) -> float:
    """Student t 0.975 quantile for `df` degrees of freedom (table, then 1.96 in the limit)."""
    if df < 1:
        raise ValueError("at least one degree of freedom is needed")
    if df in _T975:
        return _T975[df]
    keys = sorted(_T975)
    for lo, hi in itertools.pairwise(keys):
        if lo < df < hi:  # interpolate in 1/df, which is close to linear
            w = (1 / df - 1 / hi) / (1 / lo - 1 / hi)
            return _T975[hi] + w * (_T975[lo] - _T975[hi])
    w = 120 / df
    return 1.959964 + w * (_T975[120] - 1.959964)


RATES = frozenset(
    {
        "answer_rate",
        "abandonment_rate",
        "service_level",
        "service_level_excl_short",
        "occupancy",
        "transfer_rate",
        "reachability",
    }
)


def bounds_of(metric: str) -> tuple[float, float]:
    """Where a figure can lie: rates in [0, 1], counts and durations ≥ 0."""
    return (0.0, 1.0) if metric in RATES else (0.0, math.inf)


def summarize(
    values: Sequence[float | None], bounds: tuple[float, float] = (-math.inf, math.inf)
) -> dict[str, Any]:
    """Mean, 95 % confidence interval and count of the values that are not None.
    The interval is cut to `bounds` (a rate's interval never leaves [0, 1])."""
    xs = [float(v) for v in values if v is not None and math.isfinite(v)]
    n = len(xs)
    if n == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    mean = math.fsum(xs) / n
    if n == 1:
        return {"mean": _r(mean), "low": None, "high": None, "n": 1}
    var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1)
    half = t975(n - 1) * math.sqrt(var / n)
    low, high = max(bounds[0], mean - half), min(bounds[1], mean + half)
    return {"mean": _r(mean), "low": _r(low), "high": _r(high), "n": n}


def _r(x: float) -> float:
    return float(f"{x:.6g}") if x != 0 else 0.0


def _flat(fig: dict[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for k, v in fig.items():
        if k == "volume":
            for ch, n in v.items():
                out[f"volume.{ch}"] = float(n)
            out["arrivals"] = float(sum(v.values()))
        elif isinstance(v, bool) or v is None or isinstance(v, int | float):
            out[k] = None if v is None else float(v)
    return out


def replication_figures(r: RunResult) -> dict[str, dict[str, dict[str, float | None]]]:
    """{dimension: {key: {metric: value}}} for one replication ("all" for overall)."""
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    out["all"] = {"all": _flat(r.book.figures(r.end)["all"].as_dict())}
    for dim in DIMENSIONS:
        out[dim] = {k: _flat(f.as_dict()) for k, f in r.book.figures(r.end, by=dim).items()}
    step = _interval_step(r)
    aht = out["all"]["all"].get("aht")
    for start in r.ready_seconds:
        out["interval"].setdefault(str(int(start)), {})
    for key, metrics in out["interval"].items():
        ready = r.ready_seconds.get(float(key), 0.0)
        metrics["ready_agents"] = ready / step
        metrics["capacity"] = ready / aht if aht else None
    return out


def _interval_step(r: RunResult) -> float:
    return float(r.book.settings.interval_s)


def _label(epoch: float, start: float) -> str:
    minutes = round((start - epoch) / 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def build_report(scenario: Scenario, seed: int, results: Sequence[RunResult]) -> dict[str, Any]:
    """The report as a JSON-ready dict (keys sorted when written)."""
    per_rep = [replication_figures(r) for r in results]
    epoch = results[0].epoch if results else scenario.epoch()

    def fold(dim: str) -> dict[str, dict[str, dict[str, Any]]]:
        keys = sorted({k for rep in per_rep for k in rep[dim]})
        folded = {}
        for key in keys:
            metrics = sorted({m for rep in per_rep for m in rep[dim].get(key, {})})
            entry = {
                m: summarize([rep[dim].get(key, {}).get(m) for rep in per_rep], bounds_of(m))
                for m in metrics
            }
            label = _label(epoch, float(key)) if dim == "interval" else key
            if dim == "interval":
                entry["start"] = {"mean": float(key), "low": None, "high": None, "n": len(per_rep)}
            folded[label] = entry
        return folded

    report: dict[str, Any] = {
        "format": FORMAT,
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "date": scenario.date.isoformat(),
            "timezone": scenario.timezone,
            "open": scenario.open,
            "close": scenario.close,
            "interval_minutes": scenario.interval_minutes,
            "sl_seconds": scenario.sl_seconds,
            "short_abandon_seconds": scenario.short_abandon_seconds,
        },
        "seed": seed,
        "replications": len(results),
        "definitions": DEFINITIONS,
        "overall": fold("all").get("all", {}),
        "runner": {
            name: summarize([float(getattr(r, name)) for r in results])
            for name in ("arrivals", "commands", "events", "self_service")
        },
    }
    ivr = [r.extra["ivr"] for r in results if "ivr" in r.extra]
    if ivr:  # only for scenarios whose traffic walks a flow: other reports stay as they were
        report["ivr"] = {name: summarize([float(x[name]) for x in ivr]) for name in ivr[0]}
    for dim in DIMENSIONS:
        report[f"by_{dim}"] = fold(dim)
    return report


def to_json(report: dict[str, Any]) -> str:
    """Stable text: sorted keys, fixed indentation, a final newline."""
    return json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


INTERVAL_COLUMNS = (
    "arrivals",
    "offered",
    "answered",
    "abandoned",
    "short_abandons",
    "callbacks",
    "self_service",
    "service_level",
    "service_level_excl_short",
    "asa",
    "avg_wait",
    "abandonment_rate",
    "aht",
    "occupancy",
    "ready_agents",
    "capacity",
    "reachability",
    "lost",
)


def intervals_csv(report: dict[str, Any]) -> str:
    """One row per interval: mean, low and high of the main figures."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = ["interval", "start_epoch"]
    for c in INTERVAL_COLUMNS:
        header += [c, f"{c}_low", f"{c}_high"]
    w.writerow(header)
    for label, entry in report["by_interval"].items():
        row: list[Any] = [label, int(entry["start"]["mean"])]
        for c in INTERVAL_COLUMNS:
            s = entry.get(c) or {}
            row += [_cell(s.get("mean")), _cell(s.get("low")), _cell(s.get("high"))]
        w.writerow(row)
    return buf.getvalue()


def _cell(v: float | None) -> str:
    return "" if v is None else repr(v)


def write_report(report: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """Write report.json, intervals.csv and report.html into `out_dir`; return the paths."""
    from .html import render_html

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "report.json": to_json(report),
        "intervals.csv": intervals_csv(report),
        "report.html": render_html(report),
    }
    paths = []
    for name, text in files.items():
        p = out / name
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    return paths
