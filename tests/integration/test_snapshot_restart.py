"""Restart from a snapshot plus the log's tail gives what a full replay gives.

Random event streams (the simulator's day, cut at random places) are written
to a real SQLite log; a snapshot of the engine and the read models is taken
at the cut and the rest appended. A runner started on that log restores the
snapshot and replays the tail; one started on the log without the snapshot
replays everything; the engines, the read side's waiting lines and agent
cards, the contact index and the KPI figures are then the same. A snapshot
that is corrupt, of an unknown version, taken under other settings or past
the log's end is ignored with one log line and the log replayed in full.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from pathlib import Path
from typing import Any

import pytest

from joignable.core import events as ev
from joignable.core.kpis.book import DIMENSIONS, KpiBook
from joignable.core.routing.engine import Engine, EngineSettings
from joignable.journal import to_stored
from joignable.service.clock import ManualClock
from joignable.service.contacts import ContactIndex
from joignable.service.readside import ReadSide
from joignable.service.runner import CenterRunner
from joignable.service.snapshots import capture, starting_key
from joignable.sim.loader import load_scenario
from joignable.sim.runner import Simulation
from joignable.store import EventLog

ROOT = Path(__file__).resolve().parents[2]


class _Recording(Simulation):
    """The simulator, keeping every event the engine emitted, in order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recorded: list[ev.Event] = []

    def _dispatch(self, events: list[ev.Event]) -> None:
        self.recorded.extend(events)
        super()._dispatch(events)


_STREAMS: dict[int, list[ev.Event]] = {}


def _day(seed: int) -> list[ev.Event]:
    if seed not in _STREAMS:
        sim = _Recording(load_scenario(ROOT / "examples" / "normal-day.yaml"), seed=seed)
        sim.run()
        _STREAMS[seed] = sim.recorded
    return _STREAMS[seed]


def _models() -> list[Any]:
    return [ContactIndex(keep_ended=500), ReadSide(), KpiBook()]


def _runner(log: Any, at: float, settings: EngineSettings | None = None) -> CenterRunner:
    # the clock at the last event: the start fires no timer (nothing is appended)
    return CenterRunner(
        log, ManualClock(at), settings=settings, read_models=_models(), snapshot_every=0
    )


class _NoSnapshots:
    """The same log, with its snapshots hidden: the runner replays it all."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self.tenant, self.engine = log.tenant, log.engine
        self.read, self.last_seq, self.append = log.read, log.last_seq, log.append

    def close(self) -> None:
        self._log.close()


def _write(db: Path, events: list[ev.Event], cut: int, snapshot: dict[str, Any] | None) -> None:
    """The log of `events` with, if given, `snapshot` saved at seq `cut`."""
    with EventLog.open(str(db)) as log:
        stored = to_stored(events)
        for i in range(0, len(stored), 2_000):
            log.append(stored[i : i + 2_000])
        if snapshot is not None:
            log.save_snapshot(cut, events[cut - 1].at, snapshot)


def _snapshot_at(events: list[ev.Event], cut: int) -> dict[str, Any]:
    """The payload a runner would save after event `cut` (through its own code)."""
    engine, models = Engine(), _models()
    key = starting_key(Engine(), _models())
    for event in events[:cut]:
        engine.apply(event)
        for model in models:
            model.apply(event)
    return capture(engine, models, key)


def _outputs(runner: CenterRunner) -> dict[str, Any]:
    """What a restart must give back: the engine's state and the read models' answers."""
    e = runner.engine
    contacts, read, book = runner._read_models
    assert isinstance(contacts, ContactIndex) and isinstance(read, ReadSide)
    assert isinstance(book, KpiBook)
    now = e.now
    agents = {
        a.id: (
            a.presence,
            a.reason,
            a.load,
            dict(a.counts),
            sorted(a.offered),
            sorted(a.connected),
            sorted(a.wrapping),
            list(a.legs.values()),
            a.missed,
            a.last_offer,
            dict(a.stamp),
            a.indexed,
        )
        for a in e.agents.values()
    }
    lines = {q: list(s.waiting) for q, s in e.queues.items()}
    live = {
        c.id: (c.state, c.agent, c.queue, c.step, c.line, c.since, list(c.history), c.entry)
        for c in e.contacts.values()
    }
    index = {
        b: [list(bucket) for bucket in skills.values()] for b, skills in e.router.index.items()
    }
    return {
        "engine": dataclasses.replace(e.statistics(), decisions=0),
        "settings": e.settings,
        "timers": e.pending_timers(),
        "next": e.next_deadline(),
        "agents": agents,
        "lines": lines,
        "contacts": live,
        "index": index,
        "alerts": dict(e.alerts),
        "cards": [card.as_dict() for card in read.agents()],
        "waiting": {q: read.waiting_line(q) for q in read.queue_ids()},
        "queues": {q: read.queue(q) for q in read.queue_ids()},
        "records": {
            cid: contacts.get(cid).as_dict()  # type: ignore[union-attr]
            for cid in [*contacts._live, *contacts._ended]
        },
        "figures": {by: book.figures(now, by=by) for by in (None, *DIMENSIONS)},
        "window": book.window(now),
        "book": book.statistics(),
    }


async def _started(log: Any, at: float, settings: EngineSettings | None = None) -> CenterRunner:
    runner = _runner(log, at, settings)
    await runner.start()
    await runner.stop()
    return runner


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_snapshot_plus_tail_equals_full_replay(tmp_path: Path, seed: int) -> None:
    events = _day(seed)
    rng = random.Random(seed)
    for round_ in range(2):
        cut = rng.randrange(len(events) // 10, len(events) - 10)
        db = tmp_path / f"center-{round_}.db"
        _write(db, events, cut, _snapshot_at(events, cut))
        with EventLog.open(str(db)) as log:
            restored = asyncio.run(_started(log, events[-1].at))
            full = asyncio.run(_started(_NoSnapshots(log), events[-1].at))
        stats = restored.statistics()
        assert stats.restored_seq == cut, "the restart did not use the snapshot"
        assert stats.replayed == len(events) - cut
        assert full.statistics().replayed == len(events)
        assert full.statistics().restored_seq == 0
        a, b = _outputs(restored), _outputs(full)
        assert a["engine"].waiting or a["engine"].contacts_in_progress or a["records"]
        for name in a:
            assert a[name] == b[name], f"{name} differs (seed {seed}, cut {cut})"


def _corrupt(payload: dict[str, Any]) -> dict[str, Any]:
    nodes = payload["graph"]["nodes"]
    return {**payload, "graph": {**payload["graph"], "nodes": nodes[: len(nodes) // 2]}}


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(_corrupt, id="truncated"),
        pytest.param(lambda p: {**p, "version": 99}, id="unknown-version"),
        pytest.param(lambda p: {**p, "code": "0" * 64}, id="other-code"),
        pytest.param(lambda p: {"garbage": [1, 2, 3]}, id="not-a-snapshot"),
    ],
)
def test_a_bad_snapshot_falls_back_to_a_full_replay(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, spoil: Any
) -> None:
    events = _day(1)
    cut = len(events) // 2
    db = tmp_path / "center.db"
    _write(db, events, cut, spoil(_snapshot_at(events, cut)))
    with EventLog.open(str(db)) as log:
        with caplog.at_level(logging.WARNING, logger="joignable.service.runner"):
            runner = asyncio.run(_started(log, events[-1].at))
        full = asyncio.run(_started(_NoSnapshots(log), events[-1].at))
    assert runner.statistics().restored_seq == 0
    assert runner.statistics().replayed == len(events)
    ignored = [r for r in caplog.records if "ignored" in r.getMessage()]
    assert len(ignored) == 1, caplog.text
    assert _outputs(runner) == _outputs(full)


def test_other_settings_or_a_shorter_log_replay_in_full(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    events = _day(2)
    cut = len(events) // 3
    db = tmp_path / "center.db"
    _write(db, events, cut, _snapshot_at(events, cut))
    with EventLog.open(str(db)) as log, caplog.at_level(logging.WARNING):
        other = asyncio.run(_started(log, events[-1].at, EngineSettings(max_missed_offers=7)))
        assert other.statistics().restored_seq == 0
        assert "other settings" in caplog.text
    # a snapshot past the log's end (the log restored from an older backup)
    short = tmp_path / "short.db"
    _write(short, events[: cut - 5], cut, None)
    with EventLog.open(str(short)) as log:
        log.save_snapshot(cut, events[cut - 1].at, _snapshot_at(events, cut))
        runner = asyncio.run(_started(log, events[-1].at))
    assert runner.statistics().restored_seq == 0
    assert runner.statistics().replayed == cut - 5


def test_the_writer_saves_snapshots_and_keeps_the_last_two(tmp_path: Path) -> None:
    from joignable.core import commands as cmd
    from joignable.core.model import AgentSpec, Capacity, Channel, ContactSpec, QueueSpec

    db = tmp_path / "center.db"

    async def run() -> tuple[CenterRunner, list[int]]:
        with EventLog.open(str(db)) as log:
            clock = ManualClock(1_700_000_000.0)
            runner = CenterRunner(log, clock, read_models=_models(), snapshot_every=20)
            await runner.start()
            await runner.submit(cmd.ConfigureQueue(queue=QueueSpec(id="q", wrap_up=0)))
            spec = AgentSpec(id="a1", capacity=Capacity.only(Channel.CHAT))
            await runner.submit(cmd.ConfigureAgent(agent=spec))
            await runner.submit(cmd.LogIn(agent_id="a1", ready=True))
            for i in range(60):
                clock.advance(1)
                c = ContactSpec(id=f"c{i}", channel=Channel.CHAT, queue="q")
                await runner.submit(cmd.AddContact(contact=c))
            await runner.stop()
            from sqlalchemy import select

            from joignable.store.schema import snapshots

            with log.engine.connect() as conn:
                seqs = [r.seq for r in conn.execute(select(snapshots.c.seq))]
            return runner, sorted(seqs)

    runner, seqs = asyncio.run(run())
    assert runner.statistics().snapshots >= 3
    assert len(seqs) == 2 and seqs[-1] == runner.statistics().last_snapshot_seq
    with EventLog.open(str(db)) as log:
        again = asyncio.run(_started(log, 1_700_000_100.0))
        full = asyncio.run(_started(_NoSnapshots(log), 1_700_000_100.0))
    assert again.statistics().restored_seq == seqs[-1]
    assert _outputs(again) == _outputs(full)
