"""Operations endpoints: /healthz for load balancers, /metrics for Prometheus.

Why a custom collector: the figures already exist as `statistics()` snapshots
of the runner and the engine; the collector reads them at scrape time into a
registry owned by the app (no global registry, so many apps can live in one
test process) instead of maintaining a second set of counters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from joignable.web.auth import allow_anonymous
from joignable.web.errors import RETRY_AFTER_S
from joignable.web.state import Services

router = APIRouter(tags=["ops"])


class RunnerCollector(Collector):
    """Reads the runner's and the engine's statistics at each scrape."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        runner = self.services.runner
        r = runner.statistics()
        e = self.services.read.statistics(self.services.clock.now())
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


def _registry(request: Request, services: Services) -> CollectorRegistry:
    registry: CollectorRegistry | None = getattr(request.app.state, "metrics_registry", None)
    if registry is None or getattr(registry, "_joignable_services", None) is not services:
        registry = CollectorRegistry()
        registry.register(RunnerCollector(services))
        registry._joignable_services = services  # type: ignore[attr-defined]
        request.app.state.metrics_registry = registry
    return registry


@router.get("/healthz", dependencies=[Depends(allow_anonymous)])
async def healthz(request: Request) -> JSONResponse:
    """200 with the event sequence while the writer runs, 503 otherwise
    (`degraded` while the store is failing and the runner probes it)."""
    services: Services | None = request.app.state.services
    if services is None or not services.runner.running:
        return JSONResponse({"status": "starting"}, status_code=503)
    if services.runner.degraded or not await _store_answers(services):
        return JSONResponse(
            {"status": "degraded", "seq": services.read.seq},
            status_code=503,
            headers={"Retry-After": RETRY_AFTER_S},
        )
    return JSONResponse({"status": "ok", "seq": services.read.seq})


async def _store_answers(services: Services) -> bool:
    """Whether the event log answers a cheap query now: a request can fail
    on the database before the writer ever sees it (an idempotency key)."""
    try:
        await asyncio.to_thread(services.log.last_seq)
    except Exception:
        return False
    return True


@router.get("/metrics", dependencies=[Depends(allow_anonymous)], response_class=PlainTextResponse)
async def metrics(request: Request) -> Response:
    """Prometheus text exposition of the runner and engine figures."""
    services: Services | None = request.app.state.services
    if services is None:
        return Response("starting\n", status_code=503, media_type="text/plain")
    body = generate_latest(_registry(request, services))
    return Response(body, media_type=CONTENT_TYPE_LATEST)
