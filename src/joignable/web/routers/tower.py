"""The control tower: the supervisor's live page, its WebSocket feed, alert history.

Why: supervisors steer the center from one screen. The live hub it serves
(KPIs, alert rules and throttles of the configuration in force, notifications
from the environment) is built by the composition root (`joignable.bootstrap`)
and reached through `get_services`; this router only reads it.
The page is server-rendered and `static/tower.js` fills it from `/tower/ws`;
supervisor actions go through the REST API with the session's CSRF token.

Notification targets come from the environment (they hold secrets):
`JOIGNABLE_ALERT_WEBHOOK_URL` + `JOIGNABLE_ALERT_WEBHOOK_SECRET`, and
`JOIGNABLE_ALERT_SMTP` (host:port) + `JOIGNABLE_ALERT_EMAIL_TO` (comma
separated) + optional `JOIGNABLE_ALERT_EMAIL_FROM`, `JOIGNABLE_ALERT_SMTP_USER`,
`JOIGNABLE_ALERT_SMTP_PASSWORD` and `JOIGNABLE_ALERT_SMTP_TLS`
(`service/notify.py`'s `targets_from_env`).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, WebSocket
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from joignable.service.live import AgentFilter, Scope, scoped_view
from joignable.web.auth import CSRF_COOKIE, User, require_role
from joignable.web.routers.demo import may_simulate_outage
from joignable.web.state import Services, get_services, templates

router = APIRouter(tags=["control tower"])
supervisor_page = require_role("admin", "supervisor", page=True)
supervisor_api = require_role("admin", "supervisor")
anyone_page = require_role("admin", "supervisor", "agent", page=True)


def _page(
    request: Request, services: Services, template: str, user: User, **extra: Any
) -> HTMLResponse:
    config = services.config
    context = {
        "user": user,
        "csrf_token": request.cookies.get(CSRF_COOKIE, ""),
        "center": config.center.name if config else "joignable",
        "timezone": config.center.timezone if config else "UTC",
        **extra,
    }
    return templates().TemplateResponse(request, template, context)


@router.get("/", include_in_schema=False)
async def home(user: User = Depends(anyone_page)) -> Response:
    """Supervisors land on the control tower, agents on their desk."""
    return RedirectResponse("/desk" if user.role == "agent" else "/tower", status_code=303)


@router.get("/tower", include_in_schema=False)
async def tower_page(
    request: Request,
    user: User = Depends(supervisor_page),
    services: Services = Depends(get_services),
) -> HTMLResponse:
    """The control tower page (filled live by static/tower.js); the demo's outage
    switch only for whom may use it (`may_simulate_outage`)."""
    config = services.config
    channels = sorted({ch.value for q in config.queues for ch in q.channels}) if config else []
    # the move buttons' lists: the queues the user may see (as GET /api/queues), every site
    queues = sorted(q.id for q in config.queues if user.may_see_queue(q)) if config else []
    sites = sorted(s.id for s in config.sites) if config else []
    return _page(
        request, services, "tower.html", user, channels=channels, queues=queues, sites=sites,
        outage_switch=may_simulate_outage(user, services),
    )  # fmt: skip


def view_for(user: User, services: Services) -> Scope | None:
    """What `user` may see of the live picture (None: all of it): the REST API's
    own rules, `User.may_see_agent` and `may_see_queue` on the configuration
    in force (as `web.deps.queue_for` applies it)."""
    if not user.scoped:
        return None
    configurator = services.configurator
    return scoped_view(
        (user.sites, user.outsourcer),
        agent=user.may_see_agent,
        queue=lambda queue_id: user.may_see_queue(configurator.current.queue(queue_id)),
    )


@router.websocket("/tower/ws")
async def tower_feed(
    websocket: WebSocket,
    user: User = Depends(supervisor_api),
    services: Services = Depends(get_services),
) -> None:
    """Live snapshots for a supervisor (session cookie or bearer token); a scoped
    supervisor's show only their part. The page may send
    `{"type": "agents", "find": "...", "state": "..."}` to choose the agents listed."""
    await websocket.accept()
    scope = view_for(user, services)
    await services.live.serve(websocket, scope=scope)


#: a scoped supervisor's alert history is read in pages of growing size, up to this
HISTORY_SCAN_MAX = 20_000


@router.get("/api/alerts")
async def alerts_now(
    user: User = Depends(supervisor_api), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """Active alerts (a scoped supervisor's: those about their part), each with
    the figure it watches now (`value_now`, the number the tower's row shows),
    `since` (when raised) and `held_s`; and the rules in force."""
    hub = services.live
    scope = view_for(user, services)
    active = await hub.alerts_now()
    return {
        "active": [a for a in active if scope is None or scope.sees_alert(a)],
        "deliveries": await _deliveries(services, scope),
        "rules": [
            {"id": r.id, "title": r.describe(), "metric": r.metric, "scope": r.scope.value,
             "scope_id": r.scope_id, "comparison": r.comparison.value, "threshold": r.threshold,
             "clear": r.clear_level, "hold_s": r.hold_s, "severity": r.severity.value,
             "contract": r.contract}
            for r in hub.alerts.rules
        ],
    }  # fmt: skip


async def _deliveries(services: Services, scope: Scope | None) -> dict[str, Any]:
    """The notifications not delivered yet (pending, being sent) or given up
    (failed), latest first, with the outbox's counts by status; a scoped
    supervisor sees the rows about their part, and no counts."""
    deliveries = services.deliveries
    if deliveries is None:
        return {"counts": {}, "unsent": []}
    counts, rows = await asyncio.to_thread(deliveries.unsent)
    if scope is not None:
        counts, rows = {}, [r for r in rows if scope.sees_alert(r.about())]
    return {"counts": counts, "unsent": [r.as_dict() for r in rows]}


@router.get("/api/alerts/history")
async def alert_history(
    limit: int = Query(50, ge=1, le=1000),
    user: User = Depends(supervisor_api),
    services: Services = Depends(get_services),
) -> list[dict[str, Any]]:
    """The latest alert events and throttle decisions, newest first, with their
    delivery outcomes; a scoped supervisor's: the `limit` latest about their part
    (among the latest 20,000)."""
    history = services.alert_history
    scope = view_for(user, services)
    if scope is None:
        return await asyncio.to_thread(history.recent, limit)
    read = limit
    while True:
        rows = await asyncio.to_thread(history.recent, read)
        mine = [row for row in rows if scope.sees_alert(row)]
        if len(mine) >= limit or len(rows) < read or read >= HISTORY_SCAN_MAX:
            return mine[:limit]
        read = min(read * 4, HISTORY_SCAN_MAX)


@router.get("/api/live")
async def live_snapshot(
    find: str = Query("", max_length=100, description="agents listed: text in id, name, site…"),
    state: str = Query("", max_length=100, description="agents listed: in this state"),
    user: User = Depends(supervisor_api),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """The control tower's current snapshot, once (what `/tower/ws` streams); a
    scoped supervisor's shows only their part."""
    hub = services.live
    scope = view_for(user, services)
    return hub.view(hub.snapshot(), scope, AgentFilter.of(find, state))
