"""Operations endpoints: /healthz for load balancers, /metrics for Prometheus.

Why here: both answer before the user is known (no credentials) and must say
"starting" (503) rather than fail while the center starts. The figures are
the center's own registry (`service/metrics.py`, built by the bootstrap).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from joignable.web.auth import allow_anonymous
from joignable.web.errors import RETRY_AFTER_S
from joignable.web.state import Services, services_or_none

router = APIRouter(tags=["ops"])


@router.get("/healthz", dependencies=[Depends(allow_anonymous)])
async def healthz(request: Request) -> JSONResponse:
    """200 with the event sequence while the writer runs, 503 otherwise
    (`degraded` while the store is failing and the runner probes it)."""
    services = services_or_none(request)
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
    services = services_or_none(request)
    if services is None:
        return Response("starting\n", status_code=503, media_type="text/plain")
    body = generate_latest(services.metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
