# Why: the example flows ship with scripted callers covering each branch; running
# them here is what makes CI run them, and pins `joignable flows check/test`'s exit
# codes and output (a path printed node by node, a failing expectation is exit 1).
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from joignable.cli import app
from joignable.flowtest import load_scripts, run_script
from joignable.schema.flow import load_flow
from joignable.schema.problem import SchemaError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "flows"
SCRIPTS = sorted(EXAMPLES.glob("*.tests.yaml"))
CASES = [
    (path, script.name)
    for path in SCRIPTS
    for script in load_scripts(path)
]  # fmt: skip


def test_every_example_flow_has_scripts() -> None:
    flows = {p.name for p in EXAMPLES.glob("*.yaml") if not p.name.endswith(".tests.yaml")}
    assert flows == {p.name.replace(".tests", "") for p in SCRIPTS} == {"main.yaml", "crisis.yaml"}


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{p.stem}:{n}" for p, n in CASES])
def test_example_script(path: Path, name: str) -> None:
    flow = load_flow(EXAMPLES / path.name.replace(".tests", ""))
    (script,) = [s for s in load_scripts(path) if s.name == name]
    walk = run_script(flow, script)
    assert walk.failures == []


def test_every_node_of_the_examples_is_walked_by_a_script() -> None:
    for path in SCRIPTS:
        flow = load_flow(EXAMPLES / path.name.replace(".tests", ""))
        walked = {n for s in load_scripts(path) for n in run_script(flow, s).path}
        assert walked == {n.id for n in flow.nodes}, path.name


def test_cli_test_prints_the_path_and_passes() -> None:
    result = CliRunner().invoke(
        app, ["flows", "test", str(EXAMPLES / "crisis.yaml"), "--script",
              str(EXAMPLES / "crisis.tests.yaml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "reassure (say)" in result.output and "7 passed, 0 failed" in result.output


def test_cli_test_fails_when_the_outcome_differs(tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text(
        "scripts:\n  - name: wrong\n    at: '2026-03-04 10:00'\n    inputs: [{digits: 2}]\n"
        "    expect: {outcome: voicemail, path: [reassure]}\n"
    )
    result = CliRunner().invoke(app, ["flows", "test", str(EXAMPLES / "crisis.yaml"),
                                      "--script", str(script)])  # fmt: skip
    assert result.exit_code == 1
    assert "outcome 'enqueued', expected 'voicemail'" in result.output
    assert "path reassure > intent > billing_queue, expected reassure" in result.output


def test_cli_test_names_a_bad_script_line(tmp_path: Path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text("scripts:\n  - name: x\n    at: tomorrow\n")
    result = CliRunner().invoke(app, ["flows", "test", str(EXAMPLES / "crisis.yaml"),
                                      "--script", str(script)])  # fmt: skip
    assert result.exit_code == 1
    assert f"{script}:3: scripts[0].at:" in result.output


def test_cli_check(tmp_path: Path) -> None:
    ok = CliRunner().invoke(app, ["flows", "check", str(EXAMPLES / "main.yaml")])
    assert ok.exit_code == 0 and "25 nodes: ok" in ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "flow: t\nstart: a\nlanguages: [fr]\nnodes:\n  a: {kind: say, text: x, next: b}\n"
    )
    result = CliRunner().invoke(app, ["flows", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:5: node a: next: unknown target 'b'" in result.output


def test_unreadable_flow_file_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="cannot read"):
        load_flow(tmp_path / "missing.yaml")
    (tmp_path / "bin.yaml").write_bytes(b"flow: \xff\n")
    with pytest.raises(SchemaError, match="not UTF-8"):
        load_flow(tmp_path / "bin.yaml")
