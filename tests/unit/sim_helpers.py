"""Scenarios for simulator tests: a single-skill M/M/N center, built in code."""

from __future__ import annotations

from typing import Any

import yaml

from joignable.sim.loader import parse_scenario
from joignable.sim.scenario import Scenario


def mmn_data(
    agents: int = 14,
    per_interval: float = 50.0,
    aht: float = 180.0,
    patience: float | None = None,
    hours: int = 24,
) -> dict[str, Any]:
    """M/M/N(+M): Poisson arrivals, exponential handle time, no wrap-up, no ring time."""
    voice: dict[str, Any] = {"handle_time": aht, "wrap_time": {"dist": "fixed", "mean": 0}}
    voice["ring_time"] = 0
    if patience is not None:
        voice["patience"] = patience
    return {
        "name": f"M/M/{agents}",
        "open": "00:00",
        "close": f"{hours:02d}:00",
        "drain_minutes": 60,
        "short_abandon_seconds": 0,
        "channels": {"voice": voice},
        "queues": {"q": {"channels": ["voice"], "wrap_up": 0}},
        "traffic": [{"queue": "q", "channel": "voice", "per_interval": {"00:00": per_interval}}],
        "agents": {
            "a": {
                "count": agents,
                "capacity": {"voice": 1},
                "shift": {"start": "00:00", "end": f"{hours:02d}:00"},
            }
        },
    }


def mmn(**kwargs: Any) -> Scenario:
    return parse_scenario(yaml.safe_dump(mmn_data(**kwargs)), "mmn.yaml")
