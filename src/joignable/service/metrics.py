"""The figures `/metrics` serves: the runner's and the read side's statistics.

Why a custom collector: the figures already exist as `statistics()` snapshots
of the runner and the read side; the collector reads them at scrape time into
a registry owned by one center (no global registry, so many centers can live
in one test process) instead of maintaining a second set of counters. The
composition root builds the registry; `web/routers/ops.py` serves it.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from joignable.service.clock import Clock
from joignable.service.readside import ReadSide
from joignable.service.runner import CenterRunner


class RunnerCollector(Collector):
    """Reads the runner's and the engine's statistics at each scrape."""

    def __init__(self, runner: CenterRunner, read: ReadSide, clock: Clock) -> None:
        self.runner = runner
        self.read = read
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        r = self.runner.statistics()
        e = self.read.statistics(self.clock.now())
        yield GaugeMetricFamily("joignable_up", "1 while the writer runs", value=int(r.running))
        yield GaugeMetricFamily("joignable_event_seq", "last event sequence number", value=r.seq)
        yield GaugeMetricFamily("joignable_commands_queued", "commands waiting", value=r.queued)
        yield CounterMetricFamily("joignable_commands", "commands handled", value=r.commands)
        yield CounterMetricFamily("joignable_commands_rejected", "refused", value=r.rejected)
        yield CounterMetricFamily("joignable_batches", "durable appends", value=r.batches)
        yield CounterMetricFamily("joignable_events", "events appended", value=r.events)
        yield CounterMetricFamily(
            "joignable_store_failures", "appends that failed", value=r.store_failures
        )
        yield GaugeMetricFamily(
            "joignable_last_append_seconds",
            "duration of the last append",
            value=r.last_append_ms / 1000,
        )
        yield GaugeMetricFamily(
            "joignable_replayed_events", "events replayed at start", value=r.replayed
        )
        yield GaugeMetricFamily(
            "joignable_restored_snapshot_seq",
            "seq of the snapshot the start restored (0: full replay)",
            value=r.restored_seq,
        )
        yield CounterMetricFamily("joignable_snapshots", "snapshots saved", value=r.snapshots)
        waiting = GaugeMetricFamily("joignable_waiting_contacts", "waiting", labels=["queue"])
        longest = GaugeMetricFamily("joignable_longest_wait_seconds", "oldest", labels=["queue"])
        for queue, n in sorted(e.waiting.items()):
            waiting.add_metric([queue], n)
            longest.add_metric([queue], e.longest_wait.get(queue, 0.0))
        yield waiting
        yield longest
        agents = GaugeMetricFamily("joignable_agents", "agents by activity", labels=["activity"])
        for activity, n in sorted(e.agents.items()):
            agents.add_metric([activity], n)
        yield agents
        ended = CounterMetricFamily("joignable_contacts_ended", "ended", labels=["reason"])
        for reason, n in sorted(e.ended.items()):
            ended.add_metric([reason], n)
        yield ended


def metrics_registry(runner: CenterRunner, read: ReadSide, clock: Clock) -> CollectorRegistry:
    """A registry of its own holding the collector of one center."""
    registry = CollectorRegistry()
    registry.register(RunnerCollector(runner, read, clock))
    return registry
