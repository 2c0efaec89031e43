"""`joignable staff` end to end: CliRunner on the real app, and one real subprocess."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from joignable.cli import app
from joignable.cli.staff import parse_duration
from joignable.core.planning.staffing import erlang_a

REFERENCE = ["--calls", "100", "--interval", "30m", "--aht", "180s", "--sl-target", "0.8"]
runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, ["staff", *args], env={"COLUMNS": "200"})


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, result.stdout  # exactly one JSON object
    payload: dict[str, Any] = json.loads(lines[0])
    return payload


def flat(text: str) -> str:
    """Error panels wrap and draw borders; compare on the words alone."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def fails_cleanly(result: Any, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a usage error, not a traceback
    assert "Traceback" not in result.output
    message = flat(result.output)
    for fragment in fragments:
        assert fragment in message, message


# --- one queue -------------------------------------------------------------------------


def test_staffs_the_reference_queue() -> None:
    out = run_json(*REFERENCE, "--sl-seconds", "20")
    assert out["agents"] == 14
    assert out["traffic_erlangs"] == pytest.approx(10.0)
    assert out["p_wait"] == pytest.approx(0.1741319, abs=1e-7)
    assert out["service_level"] == pytest.approx(0.8883500, abs=1e-7)
    assert out["asa_seconds"] == pytest.approx(7.8359, abs=1e-4)
    assert out["occupancy"] == pytest.approx(0.7143, abs=1e-4)
    assert out["model"] == "erlang_c"
    assert out["sl_definition"] == "SL = answered within 20 s / all arrivals (Erlang C)"
    assert "p_abandon" not in out


def test_evaluates_given_agents() -> None:
    out = run_json(*REFERENCE, "--sl-seconds", "20s", "--agents", "11")
    assert out["agents"] == 11
    assert out["p_wait"] == pytest.approx(0.6821182, abs=1e-7)
    assert out["service_level"] == pytest.approx(0.3896138, abs=1e-7)


def test_too_few_agents_reports_an_unbounded_wait() -> None:
    out = run_json(*REFERENCE, "--agents", "9")
    assert (out["p_wait"], out["service_level"], out["asa_seconds"]) == (1.0, 0.0, None)


def test_shrinkage_and_patience() -> None:
    out = run_json(*REFERENCE, "--shrinkage", "0.3", "--patience", "5m")
    assert out["model"] == "erlang_a"
    reference = erlang_a(10.0, out["agents"], 180, 300, 20)
    assert out["p_abandon"] == pytest.approx(reference.p_abandon, rel=1e-12)
    assert out["service_level"] >= 0.8
    assert erlang_a(10.0, out["agents"] - 1, 180, 300, 20).service_level < 0.8
    assert out["scheduled_agents"] == -(-out["agents"] * 10 // 7)


def test_durations_in_any_unit_agree() -> None:
    base = run_json(*REFERENCE)
    for interval in ("1800", "0.5h", "30min", "1800s"):
        args = ["--calls", "100", "--interval", interval, "--aht", "3m", "--sl-target", "0.8"]
        assert run_json(*args)["agents"] == base["agents"]


def test_table_names_the_sl_definition() -> None:
    result = run(*REFERENCE)
    assert result.exit_code == 0, result.output
    assert "SL = answered within 20 s / all arrivals (Erlang C)" in result.stdout
    assert "14" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--aht", "180x"), ("--aht", "unknown unit 'x'")),
        (("--aht", "-5s"), ("--aht", "not a duration")),
        (("--aht", "0"), ("--aht", "must be > 0")),
        (("--interval", "soon"), ("--interval", "not a duration")),
        (("--sl-target", "1.2"), ("--sl-target", "must be in [0, 1)")),
        (("--shrinkage", "1"), ("--shrinkage", "must be in [0, 1)")),
        (("--max-abandon", "0.05"), ("--max-abandon", "needs --patience")),
        (("--agents", "-1"), ("--agents",)),
    ],
)
def test_bad_values_give_a_clear_error(args: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    fails_cleanly(run(*REFERENCE, *args), *fragments)


def test_missing_calls_is_a_clear_error() -> None:
    fails_cleanly(run("--aht", "180s"), "--calls")


def test_parse_duration() -> None:
    assert parse_duration("30m") == 1800
    assert parse_duration("1h30m") == 5400
    assert parse_duration(" 180 ") == 180
    assert parse_duration("2.5min") == 150
    assert parse_duration("0", allow_zero=True) == 0
    for bad in ("", "m", "10 parsecs", "1h30", "five", "0"):
        with pytest.raises(ValueError):
            parse_duration(bad)


# --- a day of intervals ------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


DAY = """interval_start,queue,channel,volume,aht_seconds
2024-03-04T08:00,billing,voice,200,180
2024-03-04T08:15,billing,voice,50,180
2024-03-04T08:00,support,chat,30,600
2024-03-04T08:15,support,chat,0,600
"""


def test_csv_day_prints_and_writes_staffing(tmp_path: Path) -> None:
    source = write(tmp_path / "intervals.csv", DAY)
    target = tmp_path / "staffing.csv"
    result = run("--csv", str(source), "--out", str(target), "--shrinkage", "0.3")
    assert result.exit_code == 0, result.output
    assert "Agents needed per interval" in result.stdout and "Per queue" in result.stdout
    assert "SL = answered within 20 s / all arrivals" in result.stdout
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["queue"] for r in rows] == ["billing", "billing", "support", "support"]
    # 200 calls in 15 min at 180 s: 40 Erlangs; 50 calls: 10 Erlangs → 14 agents (reference).
    assert float(rows[0]["traffic_erlangs"]) == pytest.approx(40.0)
    assert rows[1]["agents"] == "14" and rows[1]["scheduled_agents"] == "20"
    assert rows[3]["agents"] == "0"  # no contact, nobody needed
    assert float(rows[0]["service_level"]) >= 0.8


def test_csv_day_as_json(tmp_path: Path) -> None:
    source = write(tmp_path / "intervals.csv", DAY)
    out = run_json("--csv", str(source), "--patience", "300s")
    assert [r["agents"] > 0 for r in out["intervals"]] == [True, True, True, False]
    assert all("p_abandon" in r for r in out["intervals"])
    billing = next(q for q in out["queues"] if q["queue"] == "billing")
    assert billing["peak_agents"] == max(r["agents"] for r in out["intervals"][:2])
    assert billing["volume"] == 250


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "interval_start,queue,channel,volume,aht_seconds\n"
            "2024-03-04T08:00,billing,voice,40,180\n"
            "2024-03-04T08:15,billing,voice,lots,180\n",
            ("line 3", "column 'volume'", "'lots' is not a number"),
        ),
        (
            "interval_start,queue,channel,volume\n2024-03-04T08:00,billing,voice,40\n",
            ("line 1", "missing column(s) aht_seconds"),
        ),
        (
            "interval_start,queue,channel,volume,aht_seconds\nmonday 8am,billing,voice,40,180\n",
            ("line 2", "column 'interval_start'", "not an ISO date-time"),
        ),
        (
            "interval_start,queue,channel,volume,aht_seconds\n2024-03-04T08:00,billing,voice,40\n",
            ("line 2", "column 'aht_seconds'", "missing value"),
        ),
        (
            "interval_start,queue,channel,volume,aht_seconds\n2024-03-04T08:00,billing,voice,40,0\n",
            ("line 2", "column 'aht_seconds'", "must be > 0"),
        ),
        ("", ("line 1", "empty file")),
    ],
)
def test_malformed_csv_names_file_line_and_column(
    tmp_path: Path, text: str, fragments: tuple[str, ...]
) -> None:
    source = write(tmp_path / "bad.csv", text)
    fails_cleanly(run("--csv", str(source)), "--csv", "bad.csv", *fragments)


def test_missing_csv_file(tmp_path: Path) -> None:
    fails_cleanly(run("--csv", str(tmp_path / "nowhere.csv")), "nowhere.csv", "cannot read")


# --- the installed console script --------------------------------------------------


def test_console_script_json() -> None:
    script = Path(sys.executable).with_name("joignable")
    if not script.exists():
        pytest.fail(f"{script} missing: run `{sys.executable} -m pip install -e .` first")
    done = subprocess.run(
        [str(script), "staff", *REFERENCE, "--sl-seconds", "20", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["agents"] == 14
    assert out["p_wait"] == pytest.approx(0.1741319, abs=1e-7)
    assert out["service_level"] == pytest.approx(0.8883500, abs=1e-7)
    assert out["asa_seconds"] == pytest.approx(7.8359, abs=1e-4)
    assert out["occupancy"] == pytest.approx(0.7143, abs=1e-4)
