"""bench/soak.py in short: a minute of mixed traffic through the real server
(every channel, agents over REST with handle times, the tower read) answers no
5xx, ends every contact, keeps its waiting line bounded and prints its JSON
line with both latency windows measured (the long run is done by hand:
`python bench/soak.py`, see docs/server.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_short_soak_has_no_5xx_ends_every_contact_and_prints_its_json_line(
    tmp_path: Path,
) -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--minutes", "1", "--rate", "5"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["errors_5xx"] == 0, figures
    assert figures["transport_errors"] == 0, figures
    assert figures["window"].startswith("first/last tenth")
    assert figures["warmup_s"] == 12.0
    for key in ("rss_slope_mb_per_h", "p99_offer_ms_first_10min", "p99_offer_ms_last_10min"):
        assert figures[key] is not None, key
    assert figures["arrivals"] == 300 and figures["snapshots"] > 0 and figures["live"] > 0
    assert figures["completes"] == figures["arrivals"] and figures["left_open"] == 0
    # sustainable: the waiting line is printed, stays short, and most are offered at once
    assert len(figures["waiting_by_minute"]) >= 1 and figures["waiting_max"] <= 48
    assert figures["offered_at_once"] >= 0.9 * figures["arrivals"]


def test_the_soak_refuses_a_load_its_agents_cannot_carry() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), "--rate", "30", "--agents", "2"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "offered load" in run.stderr
