"""The single writer of a contact center: one asyncio task owns the engine.

Why: the routing engine is a plain object, not thread-safe and not meant to
be; every change must be on disk before anyone hears of it. So HTTP handlers
and channel adapters `await runner.submit(command)`; one task drains the
queue, handles every waiting command against one `now` (a `Tick` first when a
time-out is due), appends all their events with ONE `EventLog.append` in a
thread (group commit: under load a batch grows, the number of fsyncs does
not), and only then resolves each caller's future with its events or its
refusal. Subscribers (live KPIs, WebSocket fan-out) see only durable batches.
If the append fails, the engine is rebuilt from the log, so memory never runs
ahead of disk, and the callers of that batch get `RunnerUnavailable`. If the
log cannot be read either (the database is gone), the runner is *degraded*:
every command is refused at once while a back-off probe re-reads the log;
when a replay succeeds the runner accepts commands again, without a restart.
See docs/decisions/0005-single-writer-runner-with-group-commit.md.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from joignable.core import commands as cmd
from joignable.core import events as ev
from joignable.core.routing.engine import Engine, EngineSettings
from joignable.core.routing.lifecycle import InvalidTransition
from joignable.core.snapshot import SnapshotError
from joignable.journal import from_stored, to_stored
from joignable.service.clock import Clock, SystemClock
from joignable.service.ports import Journal
from joignable.service.snapshots import Restored, TailModel, capture, restore, starting_key
from joignable.store import StoreError
from joignable.store.eventlog import RowWriter

log = logging.getLogger(__name__)

Subscriber = Callable[[Sequence[ev.Event]], Awaitable[None] | None]
MAX_BATCH = 2_000
PROBE_FIRST_S = 0.25  # first wait of the store probe; doubles up to PROBE_MAX_S
PROBE_MAX_S = 5.0
SNAPSHOT_EVERY = 10_000  # durable events between two snapshots (0: none)
SNAPSHOTS_KEPT = 2


class RunnerUnavailable(Exception):
    """The runner is not running, or the store failed; the command was not applied."""


class ReadModel(Protocol):
    """Anything folding events into a view; `apply` is called in log order."""

    def apply(self, event: ev.Event) -> None: ...


@dataclass(frozen=True, slots=True)
class RunnerStatistics:
    running: bool
    seq: int
    queued: int  # commands waiting for the writer
    commands: int  # handled (accepted or refused) since start
    rejected: int
    batches: int  # durable appends
    events: int  # events appended since start
    largest_batch: int  # most events in one append
    last_append_ms: float
    replayed: int  # events replayed at start
    store_failures: int
    degraded: bool = False  # the store failed and the log could not be re-read yet
    restored_seq: int = 0  # the seq of the snapshot the start restored (0: full replay)
    snapshots: int = 0  # snapshots saved since start
    last_snapshot_seq: int = 0  # the newest snapshot's seq (saved, or restored)


@dataclass(slots=True)
class _Item:
    command: cmd.Command
    future: asyncio.Future[list[ev.Event]] | None
    also: RowWriter | None = None


class CenterRunner:
    """Owns one center's engine; see the module comment.

    `log` must be open; `read_models` are fed every event at replay and after
    each durable batch, before subscribers are called. Every `snapshot_every`
    durable events (0: never) the engine and the read models are saved as a
    snapshot (the last `snapshots_kept` are kept); `start()` restores the
    latest one that fits and replays only the log after it
    (docs/decisions/0031-restart-from-snapshot.md).
    """

    def __init__(
        self,
        log: Journal,
        clock: Clock | None = None,
        *,
        settings: EngineSettings | None = None,
        read_models: Sequence[ReadModel] = (),
        max_batch: int = MAX_BATCH,
        snapshot_every: int = SNAPSHOT_EVERY,
        snapshots_kept: int = SNAPSHOTS_KEPT,
    ) -> None:
        self.log = log
        self.clock: Clock = clock or SystemClock()
        self.settings = settings
        self.engine = Engine(settings)
        self.max_batch = max_batch
        self._read_models: list[ReadModel] = list(read_models)
        self._subscribers: list[Subscriber] = []
        self._queue: asyncio.Queue[_Item | None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.started = asyncio.Event()
        self._commands = self._rejected = self._batches = self._events = 0
        self._largest = self._replayed = self._failures = 0
        self._last_append_ms = 0.0
        self._degraded = False
        self._probe: asyncio.Task[None] | None = None
        if snapshot_every < 0 or snapshots_kept < 1:
            raise ValueError("snapshot_every must be >= 0 and snapshots_kept >= 1")
        self.snapshot_every = snapshot_every
        self.snapshots_kept = snapshots_kept
        self._key: str | None = None  # the starting state's digest (None: no snapshots)
        self._restored_seq = self._snapshots = self._snapshot_seq = 0
        self._saving: asyncio.Task[None] | None = None

    # ------------------------------------------------------------ lifecycle

    def add_read_model(self, model: ReadModel) -> None:
        """Register a read model before `start()` so that it sees the replay.
        If the store fails the log is replayed again: a model with a `reset()`
        method is reset first (one without it must tolerate seeing events twice)."""
        if self._task is not None:
            raise RuntimeError("read models must be added before the runner starts")
        self._read_models.append(model)

    async def start(self) -> None:
        """Rebuild the engine from the log (crash recovery), then start the writer.
        Raises `StoreError` if the log cannot be read."""
        if self._task is not None:
            raise RuntimeError("the runner is already started")
        self._replayed = await asyncio.to_thread(self._start_replay)
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._writer(), name="joignable-writer")
        self._schedule_timer()
        self.started.set()
        log.info(
            "runner started at seq %d (%d events replayed%s)",
            self.engine.seq,
            self._replayed,
            f" after the snapshot at seq {self._restored_seq}" if self._restored_seq else "",
        )

    def _snapshot_models(self) -> list[ReadModel]:
        """The read models a snapshot holds (not those fed from their own cursor)."""
        return [m for m in self._read_models if not isinstance(m, TailModel)]

    def _start_replay(self) -> int:
        """The start's replay: from the latest snapshot that fits, else in full."""
        engine = Engine(self.settings)
        models = self._snapshot_models()
        try:
            self._key = starting_key(engine, models)
        except SnapshotError as exc:
            log.warning("snapshots are off: %s", exc)
            self._key = None
        restored = self._restore(engine, models)
        if restored is None:
            return self._replay()
        self._restored_seq = self._snapshot_seq = restored.seq
        return self._replay(engine, restored.seq)

    def _restore(self, engine: Engine, models: Sequence[ReadModel]) -> Restored | None:
        """Restore the latest snapshot into `engine` and `models`, or None (one
        log line says why it does not fit; nothing was changed then)."""
        latest = getattr(self.log, "latest_snapshot", None)
        if self._key is None or latest is None:
            return None
        try:
            snap = latest()
        except StoreError as exc:
            log.warning("the latest snapshot cannot be read (%s); replaying the whole log", exc)
            return None
        if snap is None:
            return None
        try:
            if snap.seq > self.log.last_seq():
                raise SnapshotError(f"it is past the log's end ({self.log.last_seq()})")
            restore(snap.data, engine, models, self._key)
        except SnapshotError as exc:
            log.warning("snapshot at seq %d ignored: %s; replaying the whole log", snap.seq, exc)
            return None
        return Restored(seq=snap.seq, at=snap.at)

    def _replay(self, engine: Engine | None = None, after: int = 0) -> int:
        """Apply the log after `after` to `engine` (a new one by default) and to
        the read models; a read model fed from its own cursor (`replay_after`)
        is also given the events from its cursor up to `after`."""
        if engine is None:
            engine, after = Engine(self.settings), 0
        tails = [m for m in self._read_models if isinstance(m, TailModel)]
        start = min([after, *(t.replay_after() for t in tails)]) if after else 0
        n = 0
        for event in from_stored(self.log.read(start)):
            if event.seq <= after:
                for tail in tails:
                    tail.apply(event)
                continue
            engine.apply(event)
            for model in self._read_models:
                model.apply(event)
            n += 1
        self.engine = engine
        return n

    async def stop(self) -> None:
        """Finish the commands already queued, then stop. Harmless twice."""
        if self._task is None or self._queue is None:
            return
        if self._timer is not None:
            self._timer.cancel()
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
            self._probe = None
        await self._queue.put(None)
        await self._task
        self._task = None
        if self._saving is not None:
            await asyncio.gather(self._saving, return_exceptions=True)
            self._saving = None
        if self._timer is not None:  # re-armed by the last batch
            self._timer.cancel()
            self._timer = None
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def degraded(self) -> bool:
        """True while the store is failing: commands are refused until a probe
        has re-read the log."""
        return self._degraded

    # ------------------------------------------------------------ public API

    async def submit(
        self, command: cmd.Command, *, also: RowWriter | None = None
    ) -> list[ev.Event]:
        """Have the engine handle `command`; return its events once durable.

        `also` writes rows in the very transaction that makes the events
        durable (an idempotency key), only if the engine accepts the command.

        Raises `CommandRejected` or `InvalidTransition` when the engine refuses
        (nothing written), `RunnerUnavailable` when stopped or the store failed.
        """
        if self._queue is None or not self.running:
            raise RunnerUnavailable("the center is not running")
        if self._degraded:
            raise RunnerUnavailable("the store is unavailable")
        future: asyncio.Future[list[ev.Event]] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Item(command, future, also))
        return await future

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call `callback(events)` with every durable batch, in order; an async
        callback is run as a task. Returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def statistics(self) -> RunnerStatistics:
        """A frozen snapshot of the writer's counters."""
        return RunnerStatistics(
            running=self.running,
            seq=self.engine.seq,
            queued=self._queue.qsize() if self._queue is not None else 0,
            commands=self._commands,
            rejected=self._rejected,
            batches=self._batches,
            events=self._events,
            largest_batch=self._largest,
            last_append_ms=self._last_append_ms,
            replayed=self._replayed,
            store_failures=self._failures,
            degraded=self._degraded,
            restored_seq=self._restored_seq,
            snapshots=self._snapshots,
            last_snapshot_seq=self._snapshot_seq,
        )

    # ------------------------------------------------------------ the writer

    def _wake(self) -> None:
        self._timer = None
        if self._queue is not None:
            self._queue.put_nowait(_Item(cmd.Tick(), None))

    def _schedule_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self.engine.next_deadline()
        if deadline is None or self._queue is None:
            return
        delay = max(0.0, deadline - self.clock.now())
        self._timer = asyncio.get_running_loop().call_later(delay, self._wake)

    async def _writer(self) -> None:
        assert self._queue is not None
        queue = self._queue
        stopping = False
        while not stopping:
            first = await queue.get()
            items: list[_Item] = []
            if first is None:
                stopping = True
            else:
                items.append(first)
            while not stopping and len(items) < self.max_batch and not queue.empty():
                nxt = queue.get_nowait()
                if nxt is None:
                    stopping = True
                else:
                    items.append(nxt)
            if items and self._degraded:
                self._refuse(items, "the store is unavailable")
            elif items:
                await self._run_batch(items)
                self._schedule_timer()
        # anything submitted after the stop sentinel is refused
        while not queue.empty():
            item = queue.get_nowait()
            if item is not None and item.future is not None and not item.future.done():
                item.future.set_exception(RunnerUnavailable("the center is stopping"))

    @staticmethod
    def _refuse(items: list[_Item], reason: str) -> None:
        for item in items:
            if item.future is not None and not item.future.done():
                item.future.set_exception(RunnerUnavailable(reason))

    async def _run_batch(self, items: list[_Item]) -> None:
        now = self.clock.now()
        engine = self.engine
        batch: list[ev.Event] = []
        outcomes: list[tuple[_Item, list[ev.Event] | BaseException]] = []
        also: list[RowWriter] = []
        broken = False
        rest: list[_Item] = []
        if engine.due(now):
            batch.extend(engine.handle(cmd.Tick(), now))
        for i, item in enumerate(items):
            if isinstance(item.command, cmd.Tick) and item.future is None:
                if engine.due(now):
                    batch.extend(engine.handle(item.command, now))
                continue
            self._commands += 1
            try:
                events = engine.handle(item.command, now)
            except (cmd.CommandRejected, InvalidTransition) as exc:
                self._rejected += 1
                outcomes.append((item, exc))
                continue
            except Exception as exc:  # a bug in the engine: refuse, rebuild after the append
                log.exception("engine failed on %r", item.command)
                outcomes.append((item, RunnerUnavailable(f"internal error: {exc}")))
                broken, rest = True, items[i + 1 :]
                break
            batch.extend(events)
            outcomes.append((item, events))
            if item.also is not None:
                also.append(item.also)
        if batch:
            started = time.perf_counter()
            try:
                if also:
                    await asyncio.to_thread(self.log.append, to_stored(batch), also=also)
                else:
                    await asyncio.to_thread(self.log.append, to_stored(batch))
            except Exception as exc:
                self._failures += 1
                if isinstance(exc, StoreError):  # the database's own words say it all
                    log.error("appending %d events failed (%s); rebuilding", len(batch), exc)
                else:
                    log.exception("appending %d events failed; rebuilding from the log", len(batch))
                await self._recover()
                failure = RunnerUnavailable(f"the store failed: {exc}")
                outcomes = [(item, failure) for item, _ in outcomes]
                batch = []
            else:
                self._last_append_ms = (time.perf_counter() - started) * 1000
                self._batches += 1
                self._events += len(batch)
                self._largest = max(self._largest, len(batch))
        if broken:
            await self._recover()
            for item in rest:
                if item.future is not None:
                    outcomes.append((item, RunnerUnavailable("refused after an internal error")))
        for item, outcome in outcomes:
            fut = item.future
            if fut is None or fut.done():
                continue
            if isinstance(outcome, BaseException):
                fut.set_exception(outcome)
            else:
                fut.set_result(outcome)
        if batch:
            self._publish(batch)
            self._maybe_snapshot()

    # ------------------------------------------------------------ snapshots

    def _maybe_snapshot(self) -> None:
        """After a durable batch: every `snapshot_every` events, capture the
        engine and the read models (here, between batches, where they stand at
        the same durable seq) and write it in a thread, one write at a time."""
        if (
            not self.snapshot_every
            or self._key is None
            or self.engine.seq - self._snapshot_seq < self.snapshot_every
            or (self._saving is not None and not self._saving.done())
        ):
            return
        if getattr(self.log, "save_snapshot", None) is None:
            return
        try:
            data = capture(self.engine, self._snapshot_models(), self._key)
        except SnapshotError as exc:
            log.warning("snapshots are off: %s", exc)
            self._key = None
            return
        seq, at = self.engine.seq, self.engine.now
        self._snapshot_seq = seq  # a failed write is tried again `snapshot_every` later
        self._saving = asyncio.create_task(self._save_snapshot(seq, at, data))

    async def _save_snapshot(self, seq: int, at: float, data: dict[str, Any]) -> None:
        try:
            await asyncio.to_thread(self._write_snapshot, seq, at, data)
        except Exception as exc:
            log.warning("saving the snapshot at seq %d failed: %s", seq, exc)
            return
        self._snapshots += 1

    def _write_snapshot(self, seq: int, at: float, data: dict[str, Any]) -> None:
        self.log.save_snapshot(seq, at, data)  # type: ignore[attr-defined]
        prune = getattr(self.log, "prune_snapshots", None)
        if prune is not None:
            prune(self.snapshots_kept)

    async def _recover(self) -> None:
        """Throw the in-memory state away and rebuild it from what is durable.

        The read models are reset only once the log answers: while the store
        is down they keep showing the last durable state (they never saw the
        refused batch), instead of an empty center."""
        try:
            await asyncio.to_thread(self.log.last_seq)
            self._reset_read_models()
            await asyncio.to_thread(self._replay)
        except Exception as exc:
            if isinstance(exc, StoreError):
                log.error(
                    "rebuilding from the log failed (%s); refusing commands until it can be read",
                    exc,
                )
            else:
                log.exception(
                    "rebuilding from the log failed; refusing commands until it can be read"
                )
            self._degraded = True
            if self._probe is None or self._probe.done():
                self._probe = asyncio.create_task(self._probe_store(), name="joignable-probe")

    def _reset_read_models(self) -> None:
        for model in self._read_models:
            reset = getattr(model, "reset", None)
            if callable(reset):
                reset()

    async def _probe_store(self) -> None:
        """Re-read the log with a doubling wait until a replay succeeds, then
        accept commands again (the engine is exactly what is durable)."""
        wait = PROBE_FIRST_S
        while self._degraded:
            await asyncio.sleep(wait)
            try:
                await asyncio.to_thread(self.log.last_seq)
                self._reset_read_models()
                await asyncio.to_thread(self._replay)
            except Exception as exc:
                log.warning("the store is still unavailable: %s", exc)
                wait = min(wait * 2, PROBE_MAX_S)
                continue
            self._degraded = False
            log.info("the store is back; resuming at seq %d", self.engine.seq)
            if self._queue is not None:
                self._schedule_timer()

    def _publish(self, batch: list[ev.Event]) -> None:
        for model in self._read_models:
            for event in batch:
                try:
                    model.apply(event)
                except Exception:
                    log.exception("read model %r failed on %r", model, event)
        frozen = tuple(batch)
        for callback in list(self._subscribers):
            try:
                result = callback(frozen)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)
            except Exception:
                log.exception("subscriber %r failed", callback)
