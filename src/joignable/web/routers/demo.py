"""The live demo's switch: `POST /api/demo/outage` multiplies simulated arrivals.

Why a router like the others: the demo's traffic is part of the center the
composition root builds when the settings ask for it (`Settings.demo`), so
its switch is served like any endpoint — 404 on a server without demo
traffic — rather than added to the app by the demo command. An outage is the
whole center's: a supervisor scoped to sites or an outsourcer may watch it
but not cause it (403), as the tower page does not offer them the switch
(`may_simulate_outage`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, HTTPException

from joignable.web.auth import User, require_role
from joignable.web.state import Services, get_services

router = APIRouter(tags=["demo"])

SCOPED_REFUSAL = (
    "a supervisor limited to some sites or to one outsourcer may not simulate an outage: "
    "it changes the whole center's traffic (ask an admin or an unscoped supervisor)"
)


def may_simulate_outage(user: User, services: Services) -> bool:
    """Whether `user` gets the demo's outage switch: the server runs demo
    traffic and the user is an admin or an unscoped supervisor."""
    return services.demo is not None and user.role in ("admin", "supervisor") and not user.scoped


@router.post(
    "/api/demo/outage",
    responses={403: {"description": "a scoped supervisor"}, 404: {"description": "no demo"}},
)
async def outage(
    on: bool = Body(..., embed=True),
    user: User = Depends(require_role("admin", "supervisor")),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    """Demo only: multiply arrivals (an outage) or go back to normal. Returns
    the demo's section of the tower; 404 when the server runs no demo traffic,
    403 for a supervisor scoped to sites or an outsourcer."""
    traffic = services.demo
    if traffic is None:
        raise HTTPException(404, "this server runs no demo traffic")
    if not may_simulate_outage(user, services):
        raise HTTPException(403, SCOPED_REFUSAL)
    traffic.set_outage(on)
    services.live.poke()
    return traffic.section()
