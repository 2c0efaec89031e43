# Why: a person fixing a scenario needs `FILE:LINE: path.to.field: message`, not a
# Pydantic dump or a traceback. The shared loader (`schema/`, decision 0019) keeps
# every value's line and gives the center file's message shape; whatever the bytes
# (truncated, fuzzed, binary), the only exception out of here is `ScenarioError`.
"""Scenario loading: YAML → Pydantic model, errors as FILE:LINE: field: message."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pydantic import ValidationError

from joignable.schema import errors, yaml_source
from joignable.schema.flow import load_flow
from joignable.schema.problem import Problem, SchemaError
from joignable.schema.yaml_source import Source

from .flowmodel import check_flow, resolve_path
from .scenario import Scenario, check_references, seconds_of_day

__all__ = ["Problem", "ScenarioError", "load_scenario", "parse_scenario", "parse_yaml"]


class ScenarioError(SchemaError):
    """A scenario that cannot be used; `problems` each name file, line and field."""


def _at(file: str, line: int, message: str) -> ScenarioError:
    return ScenarioError([Problem(file, line, (), message)])


def parse_yaml(text: str, file: str = "<scenario>") -> Source:
    """Parse YAML text into a Source (data and lines). Raises ScenarioError on any
    failure, an empty file or a root that is not a mapping included."""
    try:
        return yaml_source.parse(text, file)
    except SchemaError as exc:
        raise ScenarioError(exc.problems) from None


def validate(source: Source, base_dir: Path | None) -> Scenario:
    """Validate a parsed scenario into a Scenario. Raises ScenarioError."""
    try:
        scenario = Scenario.model_validate(source.data)
    except ValidationError as exc:
        raise ScenarioError(errors.problems(exc, Scenario, source)) from None
    problems = [source.problem(loc, msg) for loc, msg in check_references(scenario)]
    if problems:
        raise ScenarioError(problems)
    return _resolve_flows(_resolve_csv(scenario, source, base_dir), source, base_dir)


def _resolve_flows(s: Scenario, source: Source, base: Path | None) -> Scenario:
    """Load and check every flow the scenario names, and keep its absolute path, so
    a run (or a what-if copy) reads the very file that was checked."""
    if not s.flows:
        return s
    problems: list[Problem] = []
    flows = []
    skills = {k for g in s.agents.values() for k in g.skills}
    for i, f in enumerate(s.flows):
        update: dict[str, str] = {}
        loaded = []
        for part in ("file", "crisis_file"):
            name = getattr(f, part)
            if name is None:
                continue
            path = resolve_path(name, base)
            try:
                flow = load_flow(path)
            except SchemaError as exc:
                problems.append(source.problem(("flows", i, part), f"flow {name} is not usable"))
                problems += exc.problems
                continue
            loaded.append(flow)
            update[part] = str(path.resolve())
        if len(loaded) == len(update) and loaded:
            found = check_flow(i, f, loaded, set(s.queues), skills)
            problems += [source.problem(loc, msg) for loc, msg in found]
        flows.append(f.model_copy(update=update))
    if problems:
        raise ScenarioError(problems)
    return s.model_copy(update={"flows": flows})


def _resolve_csv(s: Scenario, source: Source, base: Path | None) -> Scenario:
    """Read every `csv:` traffic file into `per_interval`, so runs never touch files."""
    if not any(t.csv for t in s.traffic):
        return s
    traffic = []
    for i, t in enumerate(s.traffic):
        if t.csv is None:
            traffic.append(t)
            continue
        csv_path = (base or Path(".")) / t.csv
        try:
            text = csv_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problem = source.problem(("traffic", i, "csv"), f"cannot read {t.csv}: {exc}")
            raise ScenarioError([problem]) from None
        volumes = _read_volumes(text, str(csv_path), t.queue, t.channel.value)
        traffic.append(t.model_copy(update={"csv": None, "per_interval": volumes}))
    return s.model_copy(update={"traffic": traffic})


def _read_volumes(text: str, file: str, queue: str, channel: str) -> dict[str, float]:
    rows = csv.DictReader(io.StringIO(text))
    if not rows.fieldnames or not {"interval_start", "volume"} <= set(rows.fieldnames):
        raise _at(file, 1, "columns interval_start and volume are needed")
    volumes: dict[str, float] = {}
    for n, row in enumerate(rows, start=2):
        if row.get("queue") not in (None, "", queue) or row.get("channel") not in (
            None,
            "",
            channel,
        ):
            continue
        try:
            start = str(row["interval_start"]).strip()
            seconds_of_day(start)
            volume = float(row["volume"])
            if volume < 0 or volume != volume:
                raise ValueError("volume must be ≥ 0")
        except (ValueError, TypeError) as exc:
            raise _at(file, n, str(exc)) from None
        volumes[start] = volume
    return volumes


def parse_scenario(text: str, file: str = "<scenario>", base_dir: Path | None = None) -> Scenario:
    """A Scenario from YAML text. Raises ScenarioError naming file, line and field."""
    return validate(parse_yaml(text, file), base_dir)


def load_scenario(path: str | Path) -> Scenario:
    """A Scenario from a YAML file. Raises ScenarioError (also for unreadable files)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise _at(str(path), 1, f"cannot read: {exc.strerror}") from None
    try:
        text = yaml_source.decode(raw, str(path))
    except SchemaError as exc:
        raise ScenarioError(exc.problems) from None
    return parse_scenario(text, str(path), p.parent)
