# Why: "no way to test a flow before it is live" is what peers' users complain of.
# A script states a caller (inputs, language, attributes), a local date-time, the
# crisis flag and the queues' state, and optionally the path and outcome expected;
# this walks the flow offline on the real pure engine, so CI runs every example's
# scripts and a person can rehearse a change before publishing it.
"""Scripted walks of a flow: `load_scripts`, `run_script`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from joignable.core.flows import actions as a
from joignable.core.flows.engine import Context, FlowInputError, QueueState, start, step
from joignable.core.flows.model import Flow
from joignable.schema import errors, yaml_source
from joignable.schema.fields import TimeZone
from joignable.schema.problem import Problem, SchemaError

__all__ = [
    "Script", "ScriptFile", "Walk", "load_scripts", "run_script", "script_context",
    "script_inputs",
]  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class QueueSpec(_Strict):
    waiting: int = Field(0, ge=0)
    agents: int = Field(0, ge=0)
    wait: float = Field(0.0, ge=0)


class InputSpec(_Strict):
    """One caller input: exactly one of digits, speech, lookup (the CRM's answer),
    lookup_failed (a reason); the words `no_input` and `hangup` stand alone."""

    digits: str | int | None = None
    speech: str | None = None
    lookup: dict[str, Any] | None = None
    lookup_failed: str | None = None

    def core(self) -> a.Input:
        if self.digits is not None:
            return a.Digits(str(self.digits))
        if self.speech is not None:
            return a.Speech(self.speech)
        if self.lookup is not None:
            return a.LookupDone(self.lookup)
        return a.LookupFailed(self.lookup_failed or "")


class ExpectSpec(_Strict):
    """What the walk must give: the nodes entered in order, the outcome, the queue
    and priority it enters routing with, texts said (each a part of one Say)."""

    path: list[str] | None = None
    outcome: str | None = None
    queue: str | None = None
    priority: int | None = None
    says: list[str] = []


class Script(_Strict):
    """One rehearsed caller: `at` is a local date-time (`2026-03-04 10:00`) in `zone`
    (default: the zone of the flow's first schedule, else UTC)."""

    name: str = Field(min_length=1, max_length=200)
    at: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")]
    zone: TimeZone | None = None
    language: str | None = None
    crisis: bool = False
    crisis_message: str = ""
    caller: dict[str, str] = {}
    queues: dict[str, QueueSpec] = {}
    inputs: list[Literal["no_input", "hangup", "lookup_failed"] | InputSpec] = []
    expect: ExpectSpec = ExpectSpec()


class ScriptFile(_Strict):
    scripts: list[Script] = Field(min_length=1)


@dataclass
class Walk:
    """What a script did: for each turn, the input given (None at the start) and the
    actions; the path of nodes entered; the outcome ("" while still waiting); and
    what differs from the script's expectations (empty: as expected)."""

    turns: list[tuple[a.Input | None, list[a.Action]]] = field(default_factory=list)
    path: list[str] = field(default_factory=list)
    outcome: str = ""
    failures: list[str] = field(default_factory=list)


def load_scripts(path: str | Path) -> list[Script]:
    """The scripts of a YAML file (`scripts:` list). Raises SchemaError naming file
    and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError([Problem(str(path), 1, (), f"cannot read: {exc}")]) from None
    source = yaml_source.parse(text, str(path))
    try:
        return list(ScriptFile.model_validate(source.data).scripts)
    except ValidationError as exc:
        raise SchemaError(errors.problems(exc, ScriptFile, source)) from None


def script_context(flow: Flow, script: Script) -> Context:
    """The engine's context for `script` on `flow`: its local date-time as epoch
    seconds, language, crisis flag and message, queues and caller."""
    return Context(
        now=_epoch(script, flow),
        language=script.language,
        crisis=script.crisis,
        crisis_message=script.crisis_message,
        queues={k: QueueState(q.waiting, q.agents, q.wait) for k, q in script.queues.items()},
        caller=dict(script.caller),
    )


def script_inputs(script: Script) -> list[a.Input]:
    """The engine inputs of `script`, in order."""
    return [_input(spec) for spec in script.inputs]


def _epoch(script: Script, flow: Flow) -> float:
    zone = script.zone or next((s.zone for s in flow.schedules.values()), "UTC")
    local = datetime.fromisoformat(script.at.replace(" ", "T"))
    return local.replace(tzinfo=ZoneInfo(zone)).timestamp()


def _input(spec: str | InputSpec) -> a.Input:
    if spec == "no_input":
        return a.NoInput()
    if spec == "hangup":
        return a.HangUp()
    if spec == "lookup_failed":
        return a.LookupFailed("scripted")
    assert isinstance(spec, InputSpec)
    return spec.core()


def run_script(flow: Flow, script: Script) -> Walk:
    """Walk `flow` with `script`'s inputs and check its expectations."""
    context = script_context(flow, script)
    walk = Walk()
    session, actions = start(flow, context)
    walk.turns.append((None, actions))
    for inp in script_inputs(script):
        if session.done:
            walk.failures.append(f"inputs left after the end ({len(script.inputs)} given)")
            break
        try:
            session, actions = step(flow, session, inp, context)
        except FlowInputError as exc:
            walk.failures.append(str(exc))
            break
        walk.turns.append((inp, actions))
    every = [x for _, acts in walk.turns for x in acts]
    walk.path = [x.node for x in every if isinstance(x, a.Entered)]
    walk.outcome = session.outcome
    walk.failures += _check(script.expect, walk, every)
    return walk


def _check(expect: ExpectSpec, walk: Walk, every: list[a.Action]) -> list[str]:
    out = []
    if expect.path is not None and expect.path != walk.path:
        out.append(f"path {' > '.join(walk.path)}, expected {' > '.join(expect.path)}")
    if expect.outcome is not None and expect.outcome != walk.outcome:
        out.append(f"outcome {walk.outcome or '(still waiting)'!r}, expected {expect.outcome!r}")
    enqueued = [x for x in every if isinstance(x, a.Enqueue)]
    if expect.queue is not None and [e.queue for e in enqueued] != [expect.queue]:
        out.append(f"queue {[e.queue for e in enqueued]}, expected {expect.queue!r}")
    if expect.priority is not None and [e.priority for e in enqueued] != [expect.priority]:
        out.append(f"priority {[e.priority for e in enqueued]}, expected {expect.priority}")
    said = [x.text for x in every if isinstance(x, a.Say)]
    for part in expect.says:
        if not any(part in s for s in said):
            out.append(f"nothing said contains {part!r}")
    return out
