# Why: a published flow and a caller's place in it are state of the single writer
# (decision 0026): a publish is one logged pointer move, so it is atomic and reaches
# the next caller as soon as it is durable; each caller's session is logged with every
# step, so a replay puts a caller in the IVR back where they were, on the version their
# session names. This state lives here rather than in the routing engine (already
# 600 lines, and about contacts and agents): `LiveFlows.decide` says which events a
# flow command causes, the routing engine emits them with its own sequence numbers,
# and `LiveFlows.apply` is the one place this state changes, live and at replay.
"""The writer's flow state: the FlowBook and the live sessions."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from typing import Any

from .. import commands as cmd
from .. import events as ev
from . import engine as flow_engine
from .actions import Action
from .document import flow_from_data, flow_to_data
from .model import Flow
from .session import Session
from .versions import FlowBook, PublishRefused

__all__ = ["ENDED_KEPT", "FLOW_COMMANDS", "FLOW_EVENTS", "LiveFlows", "action_data"]

#: How many ended sessions are remembered, so that a late step gets a clear answer.
ENDED_KEPT = 10_000

FLOW_COMMANDS: tuple[type[cmd.Command], ...] = (
    cmd.PublishFlow, cmd.RollbackFlow, cmd.StartFlowSession, cmd.StepFlowSession,
)  # fmt: skip
FLOW_EVENTS: tuple[type[ev.Event], ...] = (
    ev.FlowPublished, ev.FlowRolledBack, ev.FlowSessionStarted, ev.FlowSessionStepped,
    ev.FlowSessionEnded,
)  # fmt: skip

#: What `decide` returns: the events to emit, as (type, fields without at/seq).
Decided = list[tuple[type[ev.Event], dict[str, Any]]]


def action_data(action: Action) -> dict[str, Any]:
    """An engine action as plain data: its fields and its kind (the class name)."""
    out: dict[str, Any] = {"kind": type(action).__name__}
    for f in dataclasses.fields(action):
        value = getattr(action, f.name)
        out[f.name] = [list(v) if isinstance(v, tuple) else v for v in value] if isinstance(
            value, tuple) else value  # fmt: skip
    return out


class LiveFlows:
    """The book of published versions, the sessions in flight and the last ended
    ones (session id -> outcome); changed only by `apply`."""

    def __init__(self) -> None:
        self.book = FlowBook()
        self.sessions: dict[str, Session] = {}
        self.ended: OrderedDict[str, str] = OrderedDict()

    # ------------------------------------------------------------ reading

    def in_flight(self, version: str | None = None) -> int:
        """Sessions not ended (on `version` only, when given)."""
        return sum(1 for s in self.sessions.values() if version in (None, s.version))

    def flow_of(self, session: Session) -> Flow | None:
        return self.book.version(session.version)

    # ------------------------------------------------------------ deciding

    def decide(self, command: cmd.Command, now: float) -> Decided:
        """The events `command` causes at `now`. Raises CommandRejected (nothing
        decided) when it does not fit: a flow with problems, no version to roll back
        to, an unknown flow or session, an input the session does not wait for."""
        if isinstance(command, cmd.PublishFlow):
            return self._publish(command, now)
        if isinstance(command, cmd.RollbackFlow):
            try:
                moved = self.book.rollback(command.name, command.by, now)
            except PublishRefused as exc:
                raise cmd.CommandRejected(str(exc)) from None
            version = dict(moved.pointers)[command.name]
            return [(ev.FlowRolledBack, {"name": command.name, "version": version,
                                         "by": command.by})]  # fmt: skip
        if isinstance(command, cmd.StartFlowSession):
            return self._start(command)
        if isinstance(command, cmd.StepFlowSession):
            return self._step(command)
        raise cmd.CommandRejected(f"unknown flow command {type(command).__name__}")

    def _publish(self, c: cmd.PublishFlow, now: float) -> Decided:
        flow = c.flow
        if not isinstance(flow, Flow):
            raise cmd.CommandRejected("PublishFlow needs a Flow")
        try:
            self.book.publish(flow, c.by, now)
        except PublishRefused as exc:
            raise cmd.CommandRejected(f"flow {flow.id!r} refused: {exc}") from None
        if dict(self.book.pointers).get(flow.id) == flow.version:
            return []
        return [(ev.FlowPublished, {"name": flow.id, "version": flow.version,
                                    "flow": flow_to_data(flow), "by": c.by})]  # fmt: skip

    def _start(self, c: cmd.StartFlowSession) -> Decided:
        if c.session_id in self.sessions or c.session_id in self.ended:
            raise cmd.CommandRejected(f"flow session {c.session_id!r} exists already")
        flow = self.book.current(c.name)
        if flow is None:
            raise cmd.CommandRejected(f"no flow named {c.name!r} is published")
        session, actions = flow_engine.start(flow, c.context)
        out: Decided = [(ev.FlowSessionStarted, {
            "session_id": c.session_id, "channel": c.channel, "session": session.to_dict(),
            "actions": tuple(action_data(a) for a in actions)})]  # fmt: skip
        if session.done:
            out.append((ev.FlowSessionEnded, {"session_id": c.session_id,
                                              "outcome": session.outcome}))  # fmt: skip
        return out

    def _step(self, c: cmd.StepFlowSession) -> Decided:
        session = self.sessions.get(c.session_id)
        if session is None:
            if c.session_id in self.ended:
                return []  # a late or repeated input: harmless
            raise cmd.CommandRejected(f"no flow session {c.session_id!r}")
        flow = self.flow_of(session)
        if flow is None:  # every version ever published stays in the book
            raise cmd.CommandRejected(f"flow version {session.version!r} is not known")
        try:
            after, actions = flow_engine.step(flow, session, c.input, c.context)
        except flow_engine.FlowInputError as exc:
            raise cmd.CommandRejected(str(exc)) from None
        out: Decided = [(ev.FlowSessionStepped, {
            "session_id": c.session_id, "session": after.to_dict(),
            "actions": tuple(action_data(a) for a in actions)})]  # fmt: skip
        if after.done:
            out.append((ev.FlowSessionEnded, {"session_id": c.session_id,
                                              "outcome": after.outcome}))  # fmt: skip
        return out

    # ------------------------------------------------------------ applying

    def apply(self, event: ev.Event) -> None:
        """Fold one flow event into the state (live and at replay)."""
        if isinstance(event, ev.FlowPublished):
            flow = flow_from_data(event.flow)
            self.book = self.book.publish(flow, event.by, event.at)
        elif isinstance(event, ev.FlowRolledBack):
            self.book = self.book.rollback(event.name, event.by, event.at)
        elif isinstance(event, ev.FlowSessionStarted | ev.FlowSessionStepped):
            self.sessions[event.session_id] = Session.from_dict(event.session)
        elif isinstance(event, ev.FlowSessionEnded):
            self.sessions.pop(event.session_id, None)
            self.ended[event.session_id] = event.outcome
            while len(self.ended) > ENDED_KEPT:
                self.ended.popitem(last=False)
