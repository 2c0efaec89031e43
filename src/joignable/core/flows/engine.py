# Why: one engine walks a flow for voice, the visual IVR page, chat, the simulator and
# `joignable flows test`, so it must be pure: it takes the caller's place in the flow
# (a small frozen `Session` value the single writer can log, so a caller in the IVR
# survives a restart), one input and the context (the time is a parameter), and
# returns the next place and what to do. It never does I/O: a CRM call is a `Lookup`
# action whose result comes back as the next input (decision 0025). One `step` call
# takes a bounded number of nodes, so even a bad flow that slipped through cannot
# loop for ever.
"""The flow engine: `start(flow, context)` and `step(flow, session, input, context)`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..hours import Schedule, is_open
from . import model as m
from .actions import (
    Action,
    Deflect,
    Digits,
    Ended,
    Enqueue,
    Entered,
    Gather,
    HangUp,
    Hangup,
    Input,
    Lookup,
    LookupDone,
    LookupFailed,
    NoInput,
    OfferCallback,
    Play,
    Say,
    Speech,
    Transfer,
    Voicemail,
)
from .session import Session, Value

__all__ = ["MAX_STEPS", "Context", "FlowInputError", "QueueState", "start", "step"]

#: The most nodes one `start` or `step` call walks before ending the session.
MAX_STEPS = 200
_YES = frozenset({"yes", "oui", "ja", "si", "sí", "ok", "d'accord"})
_REF = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
_ANNOUNCE = frozenset({"position", "wait", "wait_minutes"})
_KIND: dict[type, str] = {
    t: t.__name__.lower()
    for t in (m.Say, m.Play, m.Menu, m.Gather, m.Branch, m.Set, m.Lookup, m.Enqueue,
              m.Callback, m.Deflect, m.Transfer, m.Voicemail, m.Hangup)
}  # fmt: skip


class FlowInputError(ValueError):
    """An input that does not answer what the session waits for, or a session that
    is not of this flow's version."""


@dataclass(frozen=True, slots=True)
class QueueState:
    """What a flow may branch on about a queue: contacts waiting, agents available
    and the estimated wait (seconds)."""

    waiting: int = 0
    agents: int = 0
    wait: float = 0.0


@dataclass(frozen=True, slots=True)
class Context:
    """What the engine knows besides the session: the time (epoch seconds), the
    caller's language, the crisis flag and message, the queues' state, the caller's
    attributes (`number`, `segment`, anything else as `caller.<name>`) and schedules
    that replace the flow's own of the same name (the center's)."""

    now: float
    language: str | None = None
    crisis: bool = False
    crisis_message: str = ""
    queues: Mapping[str, QueueState] = field(default_factory=dict)
    caller: Mapping[str, str] = field(default_factory=dict)
    schedules: Mapping[str, Schedule] = field(default_factory=dict)


def start(flow: m.Flow, context: Context) -> tuple[Session, list[Action]]:
    """A new session at `flow`'s start, walked to the first input it waits for (or
    its end), and the actions on the way."""
    session = Session(flow.id, flow.version, flow.start, (), 0, context.now)
    return _run(flow, session, context, [])


def step(
    flow: m.Flow, session: Session, input: Input, context: Context
) -> tuple[Session, list[Action]]:
    """The session after `input`, and the actions to perform. A finished session
    stays as it is (no actions). Raises FlowInputError when `session` is not on
    `flow`'s version or `input` does not answer what it waits for."""
    if (session.flow, session.version) != (flow.id, flow.version):
        raise FlowInputError(
            f"session is on {session.flow}@{session.version}, not {flow.id}@{flow.version}"
        )
    if session.done:
        return session, []
    if isinstance(input, HangUp):
        return _end(session, "abandoned", [])
    node = flow.node(session.node)
    if node is None:
        raise FlowInputError(f"session names node {session.node!r}, not in the flow")
    actions: list[Action] = []
    if isinstance(node, m.Menu):
        return _menu_input(flow, session, node, input, context, actions)
    if isinstance(node, m.Gather):
        return _gather_input(flow, session, node, input, context, actions)
    if isinstance(node, m.Callback):
        return _callback_input(flow, session, node, input, context, actions)
    if isinstance(node, m.Lookup):
        if isinstance(input, LookupDone):
            values = tuple((var, _path(input.data, path)) for var, path in node.result)
            return _run(flow, _set(_goto(session, node.next), values), context, actions)
        if isinstance(input, LookupFailed | NoInput):
            return _run(flow, _goto(session, node.fallback), context, actions)
    raise FlowInputError(f"{type(input).__name__} does not answer node {node.id!r}")


# --- walking -------------------------------------------------------------------


def _run(
    flow: m.Flow, session: Session, ctx: Context, actions: list[Action]
) -> tuple[Session, list[Action]]:
    """Walk input-less nodes from the session's node until one waits or ends."""
    for _ in range(MAX_STEPS):
        node = flow.node(session.node)
        if node is None:
            return _end(session, "error", [*actions, Hangup()], f"no node {session.node!r}")
        actions.append(Entered(node.id, _KIND[type(node)]))
        if isinstance(node, m.Say):
            actions.append(_say(flow, session, ctx, node.text))
            session = _goto(session, node.next)
        elif isinstance(node, m.Play):
            actions.append(Play(node.audio))
            session = _goto(session, node.next)
        elif isinstance(node, m.Set):
            values = tuple((k, _render(t, flow, session, ctx)) for k, t in node.values)
            session = _goto(_set(session, values), node.next)
        elif isinstance(node, m.Branch):
            session = _goto(session, _branch(flow, session, node, ctx))
        elif isinstance(node, m.Deflect):
            link = _url(node.link, flow, session, ctx)
            message = _say(flow, session, ctx, node.message).text
            actions.append(Deflect(ctx.caller.get("number", ""), link, message))
            session = _goto(_set(session, (("deflected", True),)), node.next)
        elif isinstance(node, m.Menu | m.Gather | m.Callback | m.Lookup):
            return _wait(flow, session, node, ctx, actions)
        else:
            return _finish(flow, session, node, ctx, actions)
    return _end(session, "error", [*actions, Hangup()], f"more than {MAX_STEPS} steps")


def _wait(
    flow: m.Flow, session: Session, node: m.Node, ctx: Context, actions: list[Action]
) -> tuple[Session, list[Action]]:
    def say(text: m.Text) -> Say:
        return _say(flow, session, ctx, text)

    if isinstance(node, m.Menu):
        prompt = node.reprompt if session.retries and node.reprompt else node.prompt
        keys = tuple(c.key for c in node.choices if c.key is not None)
        words = tuple(w for c in node.choices for w in c.words)
        actions += [say(prompt), Gather(node.id, "menu", 1, 1, "", node.timeout, keys, words)]
    elif isinstance(node, m.Gather):
        actions += [
            say(node.prompt),
            Gather(node.id, node.mode, node.min_length, node.max_length, node.finish_key,
                   node.timeout, (), ()),
        ]  # fmt: skip
    elif isinstance(node, m.Callback):
        actions += [say(node.prompt), OfferCallback(node.id, node.queue, node.key, node.timeout)]
    elif isinstance(node, m.Lookup):
        actions.append(Lookup(node.id, _url(node.url, flow, session, ctx), node.timeout))
    return session, actions


def _finish(
    flow: m.Flow, session: Session, node: m.Node, ctx: Context, actions: list[Action]
) -> tuple[Session, list[Action]]:
    lang = _lang(flow, session, ctx)

    def say(text: m.Text) -> Say:
        return _say(flow, session, ctx, text)

    if isinstance(node, m.Enqueue):
        actions.append(_enqueue(flow, session, ctx, lang, node.queue, node.skills, node.priority,
                                node.language, node.announce, node.announce_every,
                                node.callback_every, callback=False))  # fmt: skip
        return _end(session, "enqueued", actions)
    if isinstance(node, m.Transfer):
        actions.append(Transfer(_render(node.to, flow, session, ctx)))
        return _end(session, "transferred", actions)
    if isinstance(node, m.Voicemail):
        actions += [say(node.prompt), Voicemail(node.mailbox, node.max_length)]
        return _end(session, "voicemail", actions)
    assert isinstance(node, m.Hangup)
    if node.text is not None:
        actions.append(say(node.text))
    actions.append(Hangup())
    deflected = dict(session.variables).get("deflected") is True
    return _end(session, "self_service" if node.resolved or deflected else "hangup", actions)


def _enqueue(
    flow: m.Flow, session: Session, ctx: Context, lang: str, queue: str,
    skills: tuple[str, ...], priority: str, language: str | None, announce: m.Text | None,
    announce_every: float | None, callback_every: float | None, *, callback: bool,
) -> Enqueue:  # fmt: skip
    try:
        prio = int(float(_render(priority, flow, session, ctx)))
    except (ValueError, OverflowError):
        prio = 0  # a lookup that gave no (or no finite) priority: the queue's own order
    text = _render(announce.get(lang, flow.languages[0]), flow, session, ctx, _ANNOUNCE) if (
        announce is not None) else None  # fmt: skip
    attributes = tuple(sorted((k, str(v)) for k, v in session.variables))
    return Enqueue(queue, skills, prio, language or lang, attributes, callback,
                   session.started_at, text, announce_every, callback_every)  # fmt: skip


def _end(
    session: Session, outcome: str, actions: list[Action], reason: str = ""
) -> tuple[Session, list[Action]]:
    done = replace(session, done=True, outcome=outcome)
    return done, [*actions, Ended(outcome, session.node, outcome == "self_service", reason)]


# --- inputs at a waiting node ---------------------------------------------------------


def _retry(
    flow: m.Flow, session: Session, node: m.Menu | m.Gather, target: str, ctx: Context,
    actions: list[Action],
) -> tuple[Session, list[Action]]:  # fmt: skip
    """Prompt again while retries are left, else take `target` (no-input, no-match, fail)."""
    if session.retries < node.retries:
        return _wait(flow, replace(session, retries=session.retries + 1), node, ctx, actions)
    return _run(flow, _goto(session, target), ctx, actions)


def _menu_input(
    flow: m.Flow, session: Session, node: m.Menu, inp: Input, ctx: Context,
    actions: list[Action],
) -> tuple[Session, list[Action]]:  # fmt: skip
    if isinstance(inp, NoInput):
        return _retry(flow, session, node, node.no_input, ctx, actions)
    if isinstance(inp, Digits):
        chosen = [c for c in node.choices if c.key is not None and c.key == inp.value[:1]]
    elif isinstance(inp, Speech):
        said = inp.text.strip().lower()
        chosen = [c for c in node.choices if said in {w.lower() for w in c.words}]
    else:
        raise FlowInputError(f"{type(inp).__name__} does not answer menu {node.id!r}")
    if not chosen:
        return _retry(flow, session, node, node.no_match, ctx, actions)
    return _run(flow, _goto(session, chosen[0].next), ctx, actions)


def _gather_input(
    flow: m.Flow, session: Session, node: m.Gather, inp: Input, ctx: Context,
    actions: list[Action],
) -> tuple[Session, list[Action]]:  # fmt: skip
    if isinstance(inp, NoInput):
        return _retry(flow, session, node, node.fail, ctx, actions)
    if isinstance(inp, Digits):
        value = inp.value.split(node.finish_key, 1)[0] if node.finish_key else inp.value
        fits = value.isdigit() if node.mode == "digits" else bool(value)
    elif isinstance(inp, Speech):
        value = inp.text.strip()
        fits = node.mode == "text" or value.replace(" ", "").isdigit()
        value = value if node.mode == "text" else value.replace(" ", "")
    else:
        raise FlowInputError(f"{type(inp).__name__} does not answer gather {node.id!r}")
    if not fits or not node.min_length <= len(value) <= node.max_length:
        return _retry(flow, session, node, node.fail, ctx, actions)
    return _run(flow, _goto(_set(session, ((node.into, value),)), node.next), ctx, actions)


def _callback_input(
    flow: m.Flow, session: Session, node: m.Callback, inp: Input, ctx: Context,
    actions: list[Action],
) -> tuple[Session, list[Action]]:  # fmt: skip
    if isinstance(inp, Digits):
        accepted = inp.value[:1] == node.key
    elif isinstance(inp, Speech):
        accepted = inp.text.strip().lower() in _YES
    elif isinstance(inp, NoInput):
        accepted = False
    else:
        raise FlowInputError(f"{type(inp).__name__} does not answer callback {node.id!r}")
    if not accepted:
        return _run(flow, _goto(session, node.declined), ctx, actions)
    lang = _lang(flow, session, ctx)
    if node.confirm is not None:
        actions.append(_say(flow, session, ctx, node.confirm))
    actions.append(_enqueue(flow, session, ctx, lang, node.queue, (), node.priority, None, None,
                            None, None, callback=True))  # fmt: skip
    return _end(session, "callback", actions)


# --- values ----------------------------------------------------------------------


def _goto(s: Session, node: str) -> Session:
    return Session(s.flow, s.version, node, s.variables, 0, s.started_at, s.done, s.outcome)


def _set(s: Session, values: tuple[tuple[str, Value], ...]) -> Session:
    merged = dict(s.variables)
    merged.update(values)
    variables = tuple(sorted(merged.items()))
    return Session(s.flow, s.version, s.node, variables, s.retries, s.started_at, s.done, s.outcome)


def _lang(flow: m.Flow, session: Session, ctx: Context) -> str:
    chosen = dict(session.variables).get("lang")
    for lang in (chosen, ctx.language):
        if isinstance(lang, str) and lang in flow.languages:
            return lang
    return flow.languages[0]


def _say(flow: m.Flow, session: Session, ctx: Context, text: m.Text) -> Say:
    lang = _lang(flow, session, ctx)
    return Say(_render(text.get(lang, flow.languages[0]), flow, session, ctx), lang)


def _lookup_var(name: str, flow: m.Flow, session: Session, ctx: Context) -> Value:
    variables = dict(session.variables)
    if name in variables:
        return variables[name]
    if name == "lang":
        return _lang(flow, session, ctx)
    if name == "crisis.message":
        return ctx.crisis_message
    if name.startswith("caller."):
        return ctx.caller.get(name.removeprefix("caller."))
    return None


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def _quote(text: str) -> str:
    """`text` percent-encoded for a URL query or path part (RFC 3986 unreserved kept)."""
    return "".join(
        c if c in _UNRESERVED else "".join(f"%{b:02X}" for b in c.encode()) for c in text
    )


def _url(template: str, flow: m.Flow, session: Session, ctx: Context) -> str:
    return _render(template, flow, session, ctx, quote=True)


def _render(
    template: str, flow: m.Flow, session: Session, ctx: Context,
    keep: frozenset[str] = frozenset(), *, quote: bool = False,
) -> str:  # fmt: skip
    """`template` with each `{name}` replaced (missing: ""), those in `keep` left,
    values percent-encoded when `quote` (a URL)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in keep:
            return match.group(0)
        value = _lookup_var(name, flow, session, ctx)
        if value is None:
            return ""
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return _quote(text) if quote else text

    return _REF.sub(one, template)


def _path(data: Any, path: str) -> Value:
    """The scalar at dotted `path` of a lookup's answer (None when absent)."""
    for part in path.split("."):
        if isinstance(data, Mapping):
            data = data.get(part)
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    if data is None or isinstance(data, str | int | float | bool):
        return data
    return str(data)


def _branch(flow: m.Flow, session: Session, node: m.Branch, ctx: Context) -> str:
    for case in node.cases:
        if all(_holds(flow, session, c, ctx) for c in case.when):
            return case.next
    return node.default


def _schedule(flow: m.Flow, ctx: Context, name: str) -> Schedule | None:
    return ctx.schedules.get(name) or flow.schedules.get(name)


def _holds(flow: m.Flow, session: Session, c: m.Condition, ctx: Context) -> bool:
    if c.kind in ("open", "holiday"):
        schedule = _schedule(flow, ctx, c.name)
        if schedule is None:
            return False
        if c.kind == "open":
            return is_open(schedule, ctx.now)
        return datetime.fromtimestamp(ctx.now, ZoneInfo(schedule.zone)).date() in (
            schedule.holidays
        )
    if c.kind == "crisis":
        return ctx.crisis is bool(c.value)
    if c.kind == "segment":
        segments = c.value if isinstance(c.value, tuple) else ()
        return ctx.caller.get("segment") in segments
    if c.kind == "queue":
        state = ctx.queues.get(c.name, QueueState())
        actual: Value = float(getattr(state, c.metric, 0))
    else:
        actual = _lookup_var(c.name, flow, session, ctx)
    return _compare(actual, c.op, c.value)


def _compare(actual: Value, op: str, expected: Any) -> bool:
    if op == "set":
        return actual is not None and actual != ""
    if op == "unset":
        return actual is None or actual == ""
    if actual is None:
        return False
    if op == "in":
        return _text(actual) in {str(x) for x in (expected or ())}
    if op in ("eq", "ne"):
        same = _number(actual) == _number(expected) if (
            _number(actual) is not None and _number(expected) is not None
        ) else _text(actual) == _text(expected)  # fmt: skip
        return same if op == "eq" else not same
    a, b = _number(actual), _number(expected)
    if a is None or b is None:
        return False
    return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b}.get(op, False)


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None
