# Why: flows are written by people who are not developers, often in a hurry (a
# crisis); every fault must come back as `FILE:LINE: node X: message`, whether the
# YAML is malformed, a key is misspelt (did-you-mean), or the graph is wrong (the core
# validator names the node, the shared loader adds the line). Whatever the bytes, the
# only exception out of here is `SchemaError`.
"""Flow documents as YAML: the written form, its loading and validation."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from joignable.core.flows import model as m
from joignable.core.flows.validate import problems as flow_problems
from joignable.core.flows.versions import content_hash
from joignable.schema import errors, yaml_source
from joignable.schema.fields import Id
from joignable.schema.hours import HoursSpec
from joignable.schema.problem import Loc, Problem, SchemaError
from joignable.schema.text import FreeText

__all__ = ["FlowDoc", "NodeProblem", "load_flow", "parse_flow", "read_flow_text"]

Var = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
Lang = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
Prompt = (
    Annotated[FreeText, Field(max_length=2000)]
    | dict[Lang, Annotated[FreeText, Field(max_length=2000)]]
)
Scalar = str | int | float | bool
Seconds = Annotated[float, Field(gt=0, le=3600)]


@dataclass(frozen=True, slots=True)
class NodeProblem(Problem):
    """A Problem printed `FILE:LINE: node X: field: message` when it is in a node."""

    def __str__(self) -> str:
        if len(self.loc) >= 2 and self.loc[0] == "nodes":
            where = f"{self.file}:{self.line}: " if self.line is not None else ""
            rest = Problem("", None, self.loc[2:], "").field if len(self.loc) > 2 else ""
            field = f"{rest}: " if rest else ""
            return f"{where}node {self.loc[1]}: {field}{self.message}"
        return Problem.__str__(self)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ConditionSpec(_Strict):
    """One test, written with one subject (`open`, `holiday`, `crisis`, `queue` with a
    `metric`, `var`, `segment`) and, for `queue` and `var`, one comparison."""

    open: Id | None = None
    holiday: Id | None = None
    crisis: bool | None = None
    queue: Id | None = None
    metric: Literal["wait", "agents", "waiting"] | None = None
    var: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.]{0,63}$")] | None = None
    segment: list[Annotated[str, Field(max_length=64)]] | None = None
    eq: Scalar | None = None
    ne: Scalar | None = None
    lt: float | None = None
    le: float | None = None
    gt: float | None = None
    ge: float | None = None
    in_: list[Scalar] | None = Field(None, alias="in")
    set: bool | None = None

    @model_validator(mode="after")
    def _one(self) -> ConditionSpec:
        subjects = [k for k in ("open", "holiday", "crisis", "queue", "var", "segment")
                    if getattr(self, k) is not None]  # fmt: skip
        if len(subjects) != 1:
            raise ValueError("a condition has one of open, holiday, crisis, queue, var, segment")
        ops = self._ops()
        if subjects[0] in ("queue", "var") and len(ops) != 1:
            raise ValueError("queue and var conditions need one of eq ne lt le gt ge in set")
        if subjects[0] == "queue" and self.metric is None:
            raise ValueError("a queue condition names its metric: wait, agents or waiting")
        if subjects[0] not in ("queue", "var") and ops:
            raise ValueError(f"a {subjects[0]} condition takes no comparison")
        return self

    def _ops(self) -> list[str]:
        names = ("eq", "ne", "lt", "le", "gt", "ge", "in_", "set")
        return [k for k in names if getattr(self, k) is not None]

    def core(self) -> m.Condition:
        if self.open is not None:
            return m.Condition("open", self.open)
        if self.holiday is not None:
            return m.Condition("holiday", self.holiday)
        if self.crisis is not None:
            return m.Condition("crisis", value=self.crisis)
        if self.segment is not None:
            return m.Condition("segment", value=tuple(self.segment))
        op = self._ops()[0]
        value: Any = getattr(self, op)
        if op == "set":
            op, value = ("set" if value else "unset"), None
        elif op == "in_":
            op, value = "in", tuple(str(v) for v in value)
        if self.queue is not None:
            return m.Condition("queue", self.queue, self.metric or "", op, value)
        return m.Condition("var", self.var or "", op=op, value=value)


class CaseSpec(_Strict):
    when: ConditionSpec | list[ConditionSpec]
    next: Id


class ChoiceSpec(_Strict):
    key: Annotated[str, Field(pattern=r"^[0-9*#]$")] | int | None = None
    words: list[Annotated[str, Field(min_length=1, max_length=100)]] = []
    next: Id


class _Node(_Strict):
    pass


class SayNode(_Node):
    kind: Literal["say"]
    text: Prompt
    next: Id


class PlayNode(_Node):
    kind: Literal["play"]
    audio: Annotated[str, Field(min_length=1, max_length=500)]
    next: Id


class MenuNode(_Node):
    kind: Literal["menu"]
    prompt: Prompt
    choices: list[ChoiceSpec] = Field(min_length=1, max_length=12)
    no_input: Id
    no_match: Id | None = None  # the no-input branch when left out
    retries: int = Field(2, ge=0, le=5)
    reprompt: Prompt | None = None
    timeout: Seconds = 5.0


class GatherNode(_Node):
    kind: Literal["gather"]
    prompt: Prompt
    into: Var
    next: Id
    fail: Id
    mode: Literal["digits", "text"] = "digits"
    min_length: int = Field(1, ge=1, le=200)
    max_length: int = Field(20, ge=1, le=200)
    finish_key: Annotated[str, Field(pattern=r"^[0-9*#]$")] = "#"
    timeout: Seconds = 8.0
    retries: int = Field(2, ge=0, le=5)


class BranchNode(_Node):
    kind: Literal["branch"]
    cases: list[CaseSpec] = Field(min_length=1, max_length=50)
    default: Id


class SetNode(_Node):
    kind: Literal["set"]
    values: dict[Var, Scalar] = Field(min_length=1)
    next: Id


class LookupNode(_Node):
    kind: Literal["lookup"]
    url: Annotated[str, Field(pattern=r"^https?://", max_length=2000)]
    result: dict[Var, Annotated[str, Field(min_length=1, max_length=200)]] = {}
    next: Id
    fallback: Id
    timeout: Seconds = 2.0


class EnqueueNode(_Node):
    kind: Literal["enqueue"]
    queue: Id
    skills: list[Id] = []
    priority: int | str = 0
    language: Lang | None = None
    announce: Prompt | None = None
    announce_every: Seconds | None = None
    callback_every: Seconds | None = None


class CallbackNode(_Node):
    kind: Literal["callback"]
    prompt: Prompt
    queue: Id
    declined: Id
    key: Annotated[str, Field(pattern=r"^[0-9*#]$")] | int = "1"
    confirm: Prompt | None = None
    priority: int | str = 0
    timeout: Seconds = 6.0


class DeflectNode(_Node):
    kind: Literal["deflect"]
    link: Annotated[str, Field(pattern=r"^https?://", max_length=2000)]
    message: Prompt
    next: Id


class TransferNode(_Node):
    kind: Literal["transfer"]
    to: Annotated[str, Field(min_length=1, max_length=200)]


class VoicemailNode(_Node):
    kind: Literal["voicemail"]
    prompt: Prompt
    mailbox: Id
    max_length: Annotated[float, Field(gt=0, le=600)] = 120.0


class HangupNode(_Node):
    kind: Literal["hangup"]
    text: Prompt | None = None
    resolved: bool = False


AnyNode = Annotated[
    SayNode | PlayNode | MenuNode | GatherNode | BranchNode | SetNode | LookupNode
    | EnqueueNode | CallbackNode | DeflectNode | TransferNode | VoicemailNode | HangupNode,
    Field(discriminator="kind"),
]  # fmt: skip


class FlowDoc(_Strict):
    """A flow as written: `flow` (its id), `start`, `languages` (the first is the
    default), `schedules` its branches name, and `nodes` by id."""

    flow: Id
    start: Id
    languages: list[Lang] = Field(min_length=1, max_length=10)
    schedules: dict[Id, HoursSpec] = {}
    nodes: dict[Id, AnyNode] = Field(min_length=1)

    def core(self) -> m.Flow:
        """The core Flow (its version is the hash of its content)."""
        default = self.languages[0]
        nodes = tuple(_node(node_id, n, default) for node_id, n in self.nodes.items())
        flow = m.Flow(
            id=self.flow,
            start=self.start,
            languages=tuple(self.languages),
            nodes=nodes,
            schedules={name: h.schedule(name) for name, h in self.schedules.items()},
        )
        return dataclasses.replace(flow, version=content_hash(flow))


def _text(p: Any, default: str) -> m.Text:
    if isinstance(p, str):
        return m.Text(((default, p),))
    return m.Text(tuple(sorted(p.items())))


def _opt(p: Any, default: str) -> m.Text | None:
    return None if p is None else _text(p, default)


def _key(k: str | int | None) -> str | None:
    return None if k is None else str(k)


def _node(i: str, n: Any, lang: str) -> m.Node:
    if isinstance(n, SayNode):
        return m.Say(i, _text(n.text, lang), n.next)
    if isinstance(n, PlayNode):
        return m.Play(i, n.audio, n.next)
    if isinstance(n, MenuNode):
        choices = tuple(m.Choice(_key(c.key), tuple(c.words), c.next) for c in n.choices)
        return m.Menu(i, _text(n.prompt, lang), choices, n.no_input, n.no_match or n.no_input,
                      n.retries, _opt(n.reprompt, lang), n.timeout)  # fmt: skip
    if isinstance(n, GatherNode):
        return m.Gather(i, _text(n.prompt, lang), n.into, n.next, n.fail, n.mode, n.min_length,
                        n.max_length, n.finish_key, n.timeout, n.retries)  # fmt: skip
    if isinstance(n, BranchNode):
        cases = tuple(
            m.Case(tuple(w.core() for w in (c.when if isinstance(c.when, list) else [c.when])),
                   c.next)
            for c in n.cases
        )  # fmt: skip
        return m.Branch(i, cases, n.default)
    if isinstance(n, SetNode):
        return m.Set(i, tuple((k, _scalar(v)) for k, v in n.values.items()), n.next)
    if isinstance(n, LookupNode):
        return m.Lookup(i, n.url, tuple(n.result.items()), n.next, n.fallback, n.timeout)
    if isinstance(n, EnqueueNode):
        return m.Enqueue(i, n.queue, tuple(n.skills), str(n.priority), n.language,
                         _opt(n.announce, lang), n.announce_every, n.callback_every)  # fmt: skip
    if isinstance(n, CallbackNode):
        return m.Callback(i, _text(n.prompt, lang), n.queue, n.declined, str(n.key),
                          _opt(n.confirm, lang), str(n.priority), n.timeout)  # fmt: skip
    if isinstance(n, DeflectNode):
        return m.Deflect(i, n.link, _text(n.message, lang), n.next)
    if isinstance(n, TransferNode):
        return m.Transfer(i, n.to)
    if isinstance(n, VoicemailNode):
        return m.Voicemail(i, _text(n.prompt, lang), n.mailbox, n.max_length)
    assert isinstance(n, HangupNode)
    return m.Hangup(i, _opt(n.text, lang), n.resolved)


def _scalar(v: Scalar) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _loc(node: str | None, field: str) -> Loc:
    parts: list[str | int] = []
    for name, index in _PART.findall(field):
        parts.append(int(index) if index else name)
    if node is None:
        return tuple(parts)
    return ("nodes", node, *parts)


def _problem(source: yaml_source.Source, loc: Loc, message: str) -> NodeProblem:
    p = source.problem(loc, message)
    line = _key_line(source, str(loc[1])) if len(loc) == 2 and loc[0] == "nodes" else None
    return NodeProblem(p.file, line or p.line, p.loc, p.message)


def _key_line(source: yaml_source.Source, node_id: str) -> int | None:
    """The line of the key naming node `node_id` (where a whole-node problem points)."""
    for key, value in source.node.value:
        if getattr(key, "value", None) == "nodes" and isinstance(value, yaml.MappingNode):
            for k, _ in value.value:
                if isinstance(k, yaml.ScalarNode) and k.value == node_id:
                    return int(k.start_mark.line) + 1
    return None


def read_flow_text(source: yaml_source.Source) -> m.Flow:
    """The validated core Flow of a parsed document. Raises SchemaError."""
    try:
        doc = FlowDoc.model_validate(source.data)
    except ValidationError as exc:
        found = errors.problems(exc, FlowDoc, source)
        raise SchemaError([NodeProblem(p.file, p.line, p.loc, p.message) for p in found]) from None
    try:
        flow = doc.core()
    except ValueError as exc:  # a value the core refuses that the schema let through
        raise SchemaError([_problem(source, (), str(exc))]) from None
    found_core = flow_problems(flow)
    if found_core:
        raise SchemaError([_problem(source, _loc(p.node, p.field), p.message) for p in found_core])
    return flow


def parse_flow(text: str, file: str = "<flow>") -> m.Flow:
    """A validated Flow from YAML `text` read from `file`. Raises SchemaError, whose
    problems each print `FILE:LINE: node X: message`."""
    return read_flow_text(yaml_source.parse(text, file))


def load_flow(path: str | Path) -> m.Flow:
    """A validated Flow from a YAML file. Raises SchemaError (unreadable files too)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise SchemaError([Problem(str(path), 1, (), f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SchemaError([Problem(str(path), line, (), "not UTF-8 text")]) from None
    return parse_flow(text, str(path))
