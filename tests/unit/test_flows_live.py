"""The writer's flow state (core/flows/live.py) through the routing engine: a publish
is one logged pointer move, sessions in flight keep their version, a replay of the
logged events rebuilds the book and every caller's place (decision 0026)."""

from __future__ import annotations

import json

import pytest

from joignable.core import codec
from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.flows.actions import Digits, NoInput
from joignable.core.flows.document import flow_from_data, flow_to_data
from joignable.core.flows.engine import Context
from joignable.core.routing.engine import Engine
from joignable.schema.flow import load_flow, parse_flow

MENU = """\
flow: demo
start: hello
languages: [en]
nodes:
  hello: {kind: say, text: {en: "%s"}, next: pick}
  pick:
    kind: menu
    prompt: {en: Press 1 for billing.}
    choices:
      - {key: 1, next: billing}
    no_input: bye
    no_match: bye
  billing: {kind: enqueue, queue: billing, skills: [billing], priority: "3"}
  bye: {kind: hangup, text: {en: Goodbye.}}
"""


def _flow(greeting: str = "Hello"):  # type: ignore[no-untyped-def]
    return parse_flow(MENU % greeting, "demo.yaml")


def _start(engine: Engine, sid: str, now: float) -> list[ev.Event]:
    command = cmd.StartFlowSession(session_id=sid, name="demo", channel="voice",
                                   context=Context(now=now))  # fmt: skip
    return engine.handle(command, now)


def _replayed(events: list[ev.Event]) -> Engine:
    """A new engine fed the events as they come back from the log (JSON and back)."""
    engine = Engine()
    for e in events:
        kind, data = codec.encode(e)
        engine.apply(codec.decode(kind, e.at, e.seq, json.loads(json.dumps(data))))
    return engine


@pytest.mark.parametrize("name", ["main", "crisis"])
def test_example_flows_round_trip_as_data(name: str) -> None:
    flow = load_flow(f"examples/flows/{name}.yaml")
    data = json.loads(json.dumps(flow_to_data(flow)))
    assert flow_from_data(data) == flow


def test_data_whose_content_does_not_match_its_version_is_refused() -> None:
    data = flow_to_data(_flow())
    data["start"] = "pick"
    with pytest.raises(ValueError, match="version is not the hash"):
        flow_from_data(data)


def test_publish_is_one_event_and_the_same_version_again_is_nothing() -> None:
    engine = Engine()
    events = engine.handle(cmd.PublishFlow(flow=_flow(), by="ann"), 10.0)
    assert [type(e) for e in events] == [ev.FlowPublished]
    assert events[0].by == "ann" and events[0].version == _flow().version
    assert engine.handle(cmd.PublishFlow(flow=_flow(), by="ann"), 11.0) == []
    assert engine.flows.book.current("demo") == _flow()


def test_a_flow_with_problems_is_refused_and_nothing_changes() -> None:
    flow = _flow()
    broken = type(flow)(flow.id, "nowhere", flow.languages, flow.nodes)
    from joignable.core.flows.versions import content_hash

    broken = type(flow)(flow.id, "nowhere", flow.languages, flow.nodes,
                        version=content_hash(broken))  # fmt: skip
    engine = Engine()
    with pytest.raises(cmd.CommandRejected, match="refused"):
        engine.handle(cmd.PublishFlow(flow=broken), 1.0)
    assert engine.flows.book.current("demo") is None and engine.seq == 0


def test_sessions_in_flight_finish_on_their_version_new_ones_get_the_new_one() -> None:
    engine = Engine()
    engine.handle(cmd.PublishFlow(flow=_flow("Hello")), 1.0)
    old = _start(engine, "s1", 2.0)
    assert old[0].actions[1]["text"] == "Hello"
    engine.handle(cmd.PublishFlow(flow=_flow("Welcome")), 3.0)
    new = _start(engine, "s2", 4.0)
    assert new[0].actions[1]["text"] == "Welcome"
    assert engine.flows.in_flight(_flow("Hello").version) == 1
    stepped = engine.handle(
        cmd.StepFlowSession(session_id="s1", input=Digits("1"), context=Context(now=5.0)), 5.0
    )
    assert [type(e) for e in stepped] == [ev.FlowSessionStepped, ev.FlowSessionEnded]
    assert stepped[0].session["version"] == _flow("Hello").version
    enqueue = [a for a in stepped[0].actions if a["kind"] == "Enqueue"]
    assert enqueue[0]["queue"] == "billing" and enqueue[0]["priority"] == 3
    assert stepped[1].outcome == "enqueued" and engine.flows.in_flight() == 1


def test_a_late_step_on_an_ended_session_is_harmless_an_unknown_one_refused() -> None:
    engine = Engine()
    engine.handle(cmd.PublishFlow(flow=_flow()), 1.0)
    _start(engine, "s1", 2.0)
    step = cmd.StepFlowSession(session_id="s1", input=Digits("1"), context=Context(now=3.0))
    assert len(engine.handle(step, 3.0)) == 2
    assert engine.handle(step, 4.0) == []  # the carrier's retry
    assert engine.flows.ended["s1"] == "enqueued"
    with pytest.raises(cmd.CommandRejected, match="no flow session"):
        engine.handle(cmd.StepFlowSession(session_id="zz", input=Digits("1"),
                                          context=Context(now=5.0)), 5.0)  # fmt: skip
    with pytest.raises(cmd.CommandRejected, match="exists already"):
        _start(engine, "s1", 6.0)
    with pytest.raises(cmd.CommandRejected, match="no flow named"):
        engine.handle(cmd.StartFlowSession(session_id="x", name="other", channel="voice",
                                           context=Context(now=7.0)), 7.0)  # fmt: skip


def test_rollback_moves_the_pointer_back_and_needs_an_earlier_version() -> None:
    engine = Engine()
    engine.handle(cmd.PublishFlow(flow=_flow("Hello")), 1.0)
    with pytest.raises(cmd.CommandRejected, match="no earlier version"):
        engine.handle(cmd.RollbackFlow(name="demo"), 2.0)
    engine.handle(cmd.PublishFlow(flow=_flow("Welcome")), 3.0)
    events = engine.handle(cmd.RollbackFlow(name="demo", by="bob"), 4.0)
    assert [type(e) for e in events] == [ev.FlowRolledBack]
    assert events[0].version == _flow("Hello").version
    assert engine.flows.book.current("demo") == _flow("Hello")
    assert engine.flows.book.history[-1].rollback


def test_replay_of_the_log_keeps_the_book_and_a_callers_place() -> None:
    engine = Engine()
    log: list[ev.Event] = []
    log += engine.handle(cmd.PublishFlow(flow=_flow("Hello"), by="ann"), 1.0)
    log += _start(engine, "s1", 2.0)
    silent = cmd.StepFlowSession(session_id="s1", input=NoInput(), context=Context(now=2.5))
    log += engine.handle(silent, 2.5)  # re-prompted: the session moved without ending
    log += engine.handle(cmd.PublishFlow(flow=_flow("Welcome")), 3.0)
    log += engine.handle(cmd.RollbackFlow(name="demo"), 4.0)
    log += engine.handle(cmd.PublishFlow(flow=_flow("Welcome")), 5.0)
    again = _replayed(log)
    assert again.flows.book == engine.flows.book
    assert again.flows.sessions == engine.flows.sessions
    assert again.flows.sessions["s1"].node == "pick"
    assert again.flows.sessions["s1"].retries == 1
    events = again.handle(
        cmd.StepFlowSession(session_id="s1", input=Digits("1"), context=Context(now=6.0)), 6.0
    )
    assert events[-1] == ev.FlowSessionEnded(at=6.0, seq=again.seq, session_id="s1",
                                             outcome="enqueued")  # fmt: skip
