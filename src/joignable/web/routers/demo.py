"""The live demo's switch: `POST /api/demo/outage` multiplies simulated arrivals.

Why a router like the others: the demo's traffic is part of the center the
composition root builds when the settings ask for it (`Settings.demo`), so
its switch is served like any endpoint — 404 on a server without demo
traffic — rather than added to the app by the demo command.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException

from joignable.web.auth import require_role
from joignable.web.state import Services, get_services

router = APIRouter(tags=["demo"])


@router.post("/api/demo/outage", dependencies=[Depends(require_role("admin", "supervisor"))])
async def outage(
    on: bool = Body(..., embed=True), services: Services = Depends(get_services)
) -> dict[str, Any]:
    """Demo only: multiply arrivals (an outage) or go back to normal; 404 when
    the server runs no demo traffic."""
    traffic = services.demo
    if traffic is None:
        raise HTTPException(404, "this server runs no demo traffic")
    traffic.set_outage(on)
    services.live.poke()
    return traffic.section()
