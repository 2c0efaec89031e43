"""`joignable simulate` and `joignable compare` end to end: CliRunner and one real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from joignable.cli import app

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "golden" / "sim-small.yaml"
runner = CliRunner()


def test_simulate_writes_the_report_and_prints_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    result = runner.invoke(
        app, ["simulate", str(SMALL), "--seed", "3", "--replications", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "reachability" in result.output and "customers lost" in result.output
    assert "answered within 20 s / all arrivals" in result.output
    report = json.loads((out / "report.json").read_text())
    assert report["seed"] == 3 and report["replications"] == 2
    assert (out / "intervals.csv").exists() and (out / "report.html").exists()


def test_simulate_with_overrides(tmp_path: Path) -> None:
    args = ["simulate", str(SMALL), "-r", "1", "--out", str(tmp_path)]
    result = runner.invoke(app, [*args, "--set", "agents.extra.count=+6"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, [*args, "--set", "agents.nobody.count=+6"])
    assert result.exit_code == 2
    assert "agents.nobody: not found" in result.output
    assert "Traceback" not in result.output


def test_bad_scenario_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "crisis.yaml"
    bad.write_text(SMALL.read_text().replace("skills: {billing: 5}", "skills: {billing: 15}"))
    result = runner.invoke(app, ["simulate", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert f"{bad}:37: agents.paris.skills.billing: level must be 1..10" in result.output
    assert "Traceback" not in result.output


def test_compare_shows_both_and_the_difference() -> None:
    result = runner.invoke(
        app,
        ["compare", str(SMALL), str(SMALL), "-r", "1", "--set", "agents.paris.count=+4"],
    )
    assert result.exit_code == 0, result.output
    assert "B − A" in result.output and "reachability" in result.output
    assert "voice: ASA (s)" in result.output and "chat: abandonment" in result.output


@pytest.mark.slow
def test_real_process(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("joignable")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "joignable.cli"]
    done = subprocess.run(
        [*cmd, "simulate", str(SMALL), "--seed", "1", "-r", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report.html").stat().st_size > 1000
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    done = subprocess.run([*cmd, "simulate", str(bad)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith(f"{bad}:") and "Traceback" not in done.stderr


@pytest.mark.slow
def test_simulate_crisis_flows_example_prints_the_ivr_walked_from_the_flows(
    tmp_path: Path,
) -> None:
    example = ROOT / "examples" / "crisis-flows.yaml"
    out = tmp_path / "flows"
    result = runner.invoke(app, ["simulate", str(example), "-r", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "IVR walked from the flows" in result.output and "self service resolved" in result.output
    report = json.loads((out / "report.json").read_text())
    ivr = {k: v["mean"] for k, v in report["ivr"].items()}
    voice = sum(e["arrivals"]["mean"] for k, e in report["by_channel"].items() if k == "voice")
    assert ivr["walked"] > 1000 and voice > 0
    # the self-service the report counts is the flows' (no probability measure in the file)
    served = ivr["self_service_resolved"] + ivr["self_service_unresolved"]
    assert report["runner"]["self_service"]["mean"] == served > 500
    assert ivr["callback"] > 0 and ivr["ivr_seconds"] > 10 * ivr["walked"]
