"""bench/soak.py in short: a minute of mixed traffic through the real server
(every channel, agents over REST, the tower read) answers no 5xx and ends with
its JSON line (the long run is done by hand: `python bench/soak.py`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_short_soak_has_no_5xx_and_prints_its_json_line(tmp_path: Path) -> None:
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
    for key in ("rss_slope_mb_per_h", "p99_offer_ms_first_10min", "p99_offer_ms_last_10min"):
        assert figures[key] is not None, key
    assert figures["arrivals"] > 0 and figures["completes"] > 0 and figures["snapshots"] > 0
