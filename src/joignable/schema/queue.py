# Why: a queue's routing rules are written by people in two kinds of file — the
# center configuration the server applies (`service/config.py`) and the scenarios
# the digital twin runs (`sim/scenario.py`). They are one schema, defined here,
# so the twin can never rehearse a rule that the server would read differently,
# they are checked once (`check_queue`), and they become the routing core's
# `QueueSpec` in one place (decisions 0013, 0019).
"""The routing rules of a queue as written in YAML or JSON, and their core spec."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from joignable.core.model import Channel, OverflowAction, QueueSpec, RoutingStep, Strategy
from joignable.schema.fields import Level, unknown
from joignable.schema.problem import Loc

__all__ = ["QueueRules", "Seconds", "StepRules", "check_queue", "circle_message", "overflow_cycles"]

#: A duration in seconds, up to a week.
Seconds = Annotated[float, Field(ge=0, le=7 * 86400)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class StepRules(_Strict):
    """One routing step: from `after` seconds of waiting, who may take the contact
    (minimum levels on the contact's skills; teams, sites, outsourcers; empty =
    anyone)."""

    after: Seconds = 0.0
    levels: dict[str, Level] = {}
    teams: list[str] = []
    sites: list[str] = []
    outsourcers: list[str] = []


class QueueRules(_Strict):
    """How a queue routes: channels, strategy, priority aging, service-level
    target, maximum wait and standby actions, offer time-outs (per channel if
    needed) and wrap-up time-out, steps;
    and the site and/or outsourcer it belongs to (a queue dedicated to an
    outsourcer's contract), under which its waiting and unanswered contacts count."""

    channels: list[Channel] = Field(min_length=1)
    site: str | None = None  # the site it belongs to: its waiting and unanswered contacts
    outsourcer: str | None = None  # the outsourcer whose contract it serves: the same
    strategy: Strategy = Strategy.LONGEST_IDLE
    aging_per_s: float = Field(0.0, ge=0, le=100)
    sl_seconds: float = Field(20.0, gt=0, le=86400)
    sl_target: float = Field(0.8, ge=0, le=1)
    max_wait: float | None = Field(None, gt=0, le=7 * 86400)
    on_max_wait: OverflowAction = OverflowAction.KEEP
    on_standby: OverflowAction = OverflowAction.KEEP
    overflow_to: str | None = None
    offer_timeout: float = Field(20.0, gt=0, le=3600)
    offer_timeouts: dict[Channel, Annotated[float, Field(gt=0, le=86400)]] = {}
    wrap_up: float = Field(30.0, ge=0, le=3600)
    steps: list[StepRules] = Field(
        default_factory=lambda: [StepRules()], min_length=1, max_length=20
    )

    def spec(self, queue_id: str, *, standby: bool = False) -> QueueSpec:
        """The routing core's spec (`standby` is live state, not a rule).
        Raises ValueError if the core refuses it."""
        steps = tuple(
            RoutingStep(
                after=s.after,
                levels=tuple(sorted(s.levels.items())),
                teams=frozenset(s.teams),
                sites=frozenset(s.sites),
                outsourcers=frozenset(s.outsourcers),
            )
            for s in self.steps
        )
        channels = set(self.channels)
        if OverflowAction.CALLBACK in (self.on_max_wait, self.on_standby):
            channels.add(Channel.CALLBACK)  # a queue that calls back takes its callbacks
        return QueueSpec(
            id=queue_id,
            channels=frozenset(channels),
            steps=steps,
            strategy=self.strategy,
            aging_per_s=self.aging_per_s,
            sl_seconds=self.sl_seconds,
            sl_target=self.sl_target,
            max_wait=self.max_wait,
            on_max_wait=self.on_max_wait,
            on_standby=self.on_standby,
            overflow_to=self.overflow_to,
            offer_timeout=self.offer_timeout,
            offer_timeouts=tuple(sorted(self.offer_timeouts.items())),
            wrap_up=self.wrap_up,
            standby=standby,
            site=self.site,
            outsourcer=self.outsourcer,
        )


def check_queue(
    loc: Loc, queue_id: str, rules: QueueRules, queues: set[str]
) -> list[tuple[Loc, str]]:
    """Problems (location, message) of one queue's rules against the document's
    `queues`: an overflow target that is not a queue or is the queue itself, and
    steps that do not start at 0 s and widen in time. Empty: fine."""
    out: list[tuple[Loc, str]] = []
    if rules.overflow_to is not None:
        if rules.overflow_to == queue_id:
            out.append(((*loc, "overflow_to"), "a queue cannot overflow to itself"))
        elif rules.overflow_to not in queues:
            out.append(((*loc, "overflow_to"), unknown("queue", rules.overflow_to, queues)))
    afters = [s.after for s in rules.steps]
    if afters[0] != 0 or afters != sorted(afters):
        out.append(((*loc, "steps"), "steps must start at 0 s and widen in time"))
    return out


def overflow_cycles(overflow_to: Mapping[str, str | None]) -> dict[str, list[str]]:
    """The circles of overflows among queues (queue → the queue its contacts
    overflow to): a contact would move round one of them forever. Each circle
    of two or more queues once, keyed by its first queue in `overflow_to`'s
    order, as the path that comes back to it (``["chat", "chat2", "chat"]``);
    a queue overflowing to itself is `check_queue`'s problem."""
    found: dict[str, list[str]] = {}
    seen: set[str] = set()
    for start in overflow_to:
        path: list[str] = []
        at: str | None = start
        while at is not None and at in overflow_to and at not in seen and at not in path:
            path.append(at)
            at = overflow_to[at]
        if at is not None and at in path and len(path) - path.index(at) > 1:
            circle = path[path.index(at) :]
            found[min(circle, key=list(overflow_to).index)] = [*circle, circle[0]]
        seen.update(path)
    return {q: _rotate(c, q) for q, c in found.items()}


def _rotate(circle: list[str], first: str) -> list[str]:
    ring = circle[:-1]
    i = ring.index(first)
    ring = ring[i:] + ring[:i]
    return [*ring, first]


def circle_message(circle: list[str]) -> str:
    """The problem of an overflow circle, for the queue it starts from."""
    return (
        f"overflows go round in a circle ({' → '.join(circle)}): a contact would move "
        "between these queues forever; end the chain at a queue without overflow_to"
    )
