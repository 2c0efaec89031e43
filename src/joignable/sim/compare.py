# Why: a measure is judged against the situation without it. Running both
# scenarios with the same seed gives them the same customers wherever their
# traffic is the same (common random numbers), so the difference shown is the
# measure's, not the dice's.
"""Run replications into a report, and set two reports side by side."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .report import build_report
from .runner import RunResult, Simulation
from .scenario import Scenario

#: (metric, label, kind) of the figures shown in summaries and comparisons;
#: kind: "n" count, "%" share, "s" seconds.
KEY_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("arrivals", "contacts (all)", "n"),
    ("offered", "offered to a queue", "n"),
    ("answered", "answered", "n"),
    ("abandoned", "abandoned", "n"),
    ("callbacks", "callbacks promised", "n"),
    ("self_service", "resolved in self-service", "n"),
    ("service_level", "SL (all arrivals)", "%"),
    ("service_level_excl_short", "SL excl. short abandons", "%"),
    ("asa", "ASA (s)", "s"),
    ("abandonment_rate", "abandonment rate", "%"),
    ("occupancy", "occupancy", "%"),
    ("customers_tried", "customers who tried", "n"),
    ("customers_reached", "customers reached", "n"),
    ("reachability", "reachability", "%"),
    ("lost", "customers lost", "n"),
)


def run_replications(
    scenario: Scenario,
    seed: int,
    replications: int,
    progress: Callable[[int, float], None] | None = None,
) -> list[RunResult]:
    """Run `replications` independent days; `progress(rep, fraction)` is called along."""
    results = []
    for rep in range(replications):
        report: Callable[[float], None] | None = None
        if progress is not None:

            def report(fraction: float, rep: int = rep) -> None:
                progress(rep, fraction)

        results.append(Simulation(scenario, seed, rep, report).run())
    return results


def simulate_report(
    scenario: Scenario,
    seed: int = 1,
    replications: int = 5,
    progress: Callable[[int, float], None] | None = None,
) -> dict[str, Any]:
    """Run the replications and build the report dict."""
    return build_report(scenario, seed, run_replications(scenario, seed, replications, progress))


@dataclass(frozen=True, slots=True)
class Row:
    metric: str
    label: str
    kind: str
    a: dict[str, Any]
    b: dict[str, Any]

    @property
    def difference(self) -> float | None:
        if self.a.get("mean") is None or self.b.get("mean") is None:
            return None
        return float(self.b["mean"]) - float(self.a["mean"])


#: Figures shown per channel below the overall ones: an ASA over every channel
#: mixes seconds of a call with hours of an e-mail, so a measure that puts
#: e-mail on standby must be read channel by channel.
CHANNEL_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("service_level", "SL", "%"),
    ("asa", "ASA (s)", "s"),
    ("abandonment_rate", "abandonment", "%"),
)


def compare_reports(a: dict[str, Any], b: dict[str, Any]) -> list[Row]:
    """The key figures of two reports, overall then per channel, with B − A."""
    rows = [
        Row(metric, label, kind, a["overall"].get(metric) or {}, b["overall"].get(metric) or {})
        for metric, label, kind in KEY_FIGURES
    ]
    ca, cb = a.get("by_channel", {}), b.get("by_channel", {})
    for channel in sorted(set(ca) | set(cb)):
        fa, fb = ca.get(channel, {}), cb.get(channel, {})
        rows += [
            Row(metric, f"{channel}: {label}", kind, fa.get(metric) or {}, fb.get(metric) or {})
            for metric, label, kind in CHANNEL_FIGURES
        ]
    return rows


def fmt(value: float | None, kind: str, signed: bool = False) -> str:
    """A figure for a terminal table."""
    if value is None:
        return "–"
    sign = "+" if signed and value > 0 else ""
    if kind == "%":
        return f"{sign}{100 * value:.1f} %" if not signed else f"{sign}{100 * value:.1f} pts"
    if kind == "s":
        return f"{sign}{value:.1f}"
    return f"{sign}{value:,.0f}" if abs(value) >= 100 else f"{sign}{value:,.1f}"


def fmt_ci(stat: dict[str, Any], kind: str) -> str:
    """Mean with its 95 % interval, for a terminal table."""
    text = fmt(stat.get("mean"), kind)
    if stat.get("low") is not None:
        text += f"  [{fmt(stat['low'], kind)} … {fmt(stat['high'], kind)}]"
    return text
