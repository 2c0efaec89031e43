"""The migration throttles of a running center, fed from the event stream.

Why: `core/routing/throttle.py` decides from outcomes; something must turn engine
events into those outcomes (which contacts went to the throttled site, were
they answered or did they abandon), route new arrivals by the current share
and keep the decisions. The live hub owns one bank and asks it to decide at
every push; `POST /api/contacts` asks it where each new contact goes.

A throttle "queue Q → site S" sends its share of Q's arrivals to queue `Q@S`
(`variant_queue`), a queue of the configuration whose first routing step is
restricted to site S (checked by `service/config.py`).

Every decision is an event of the log (`ThrottleDecided`): the bank's
decisions are *pending* until the single writer has logged them
(`service/throttle_decisions.py` submits them); the bank is a read model of
the runner, so at a restart the replay hands each throttle its logged share
(`ThrottleController.adopt`) and a restart never resets a share the
controller cut, without deciding again. A decision the writer refuses is
taken back (`refused`): the share is what the log says. A configuration
applied live (`configure`) keeps each throttle's controller — its share,
outcomes and routing — and a new target is a `ThrottleTargetSet` decision
like any other.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from joignable.core import events as ev
from joignable.core.codec import to_plain
from joignable.core.model import Channel, EndReason, ThrottleFacts
from joignable.core.routing.runtime import QueueState
from joignable.core.routing.throttle import (
    ThrottleController,
    ThrottleEvent,
    ThrottleSettings,
    decision_of,
    facts_of,
)

RECENT = 30


def variant_queue(queue: str, site: str) -> str:
    """The queue that serves site `site`'s share of queue `queue`: ``queue@site``."""
    return f"{queue}@{site}"


class ThrottleBank:
    """The configured migration throttles, fed from the event stream.

    Outcomes of contacts in a throttle's variant queue `Q@S` (answered, or
    abandoned after the short-abandon grace) feed its controller.
    """

    def __init__(
        self, throttles: Iterable[ThrottleSettings], now: float, *, grace_s: float = 5.0
    ) -> None:
        self.controllers = {t.queue: ThrottleController(t, now) for t in throttles}
        self.via = {variant_queue(t.queue, t.site): t.queue for t in throttles_of(self.controllers)}
        self.grace_s = grace_s
        # contact -> (the controller its outcome feeds, entered): a controller
        # replaced since then (its site changed) is fed harmlessly, not the new one
        self._tracked: dict[str, tuple[ThrottleController, float]] = {}
        self.recent: deque[ThrottleEvent] = deque(maxlen=RECENT)
        # decisions taken here and not yet logged (or refused); the seq of the
        # last logged decision seen (a replay after a store failure repeats them)
        self.pending: dict[ThrottleFacts, ThrottleEvent] = {}
        self._logged_seq = 0

    def snapshot_key(self) -> Any:
        """What this bank starts from, for a snapshot to fit (its controllers
        are made at the clock's time: the state itself differs every start)."""
        return [[to_plain(c.settings) for c in self.controllers.values()], self.grace_s]

    def configure(
        self, throttles: Iterable[ThrottleSettings], now: float, *, by: str = ""
    ) -> list[ThrottleEvent]:
        """Take a new list of throttles (a configuration applied live). A
        throttle of the same queue and site keeps its controller: its share,
        the outcomes it counts and its routing go on under the new settings; a
        new target (or floor) is a `ThrottleTargetSet` decision (the share
        drops to a lower target at once and climbs to a higher one in steps).
        Other throttles start at their target; removed ones stop. Returns the
        decisions (also in `recent`), for the caller to store and tell."""
        out: list[ThrottleEvent] = []
        controllers: dict[str, ThrottleController] = {}
        for settings in throttles:
            controller = self.controllers.get(settings.queue)
            if controller is None or controller.settings.site != settings.site:
                controllers[settings.queue] = ThrottleController(settings, now)
                continue
            before, controller.settings = controller.settings, settings
            if (before.target, before.min_share) != (settings.target, settings.min_share):
                out.append(controller.set_target(settings.target, now, by))
            controllers[settings.queue] = controller
        self.controllers = controllers
        self.via = {variant_queue(t.queue, t.site): t.queue for t in throttles_of(controllers)}
        self._taken(out)
        return out

    def _taken(self, decisions: list[ThrottleEvent]) -> None:
        self.recent.extend(decisions)
        for decision in decisions:
            self.pending[facts_of(decision)] = decision

    def logged(self, event: ev.ThrottleDecided) -> None:
        """A decision is in the log: one of the bank's own (no longer pending),
        or one it did not take (a replay, another process), adopted by its
        throttle's controller — a throttle of the same queue and site — and
        listed among the recent ones."""
        if event.seq and event.seq <= self._logged_seq:
            return  # seen already (the log replayed after a store failure)
        self._logged_seq = event.seq
        if self.pending.pop(event.decision, None) is not None:
            return
        try:
            decision = decision_of(event.decision)
        except ValueError:
            return  # a kind of a later version
        controller = self.controllers.get(decision.queue)
        if controller is None or controller.settings.site != decision.site:
            return  # a throttle no longer configured
        controller.adopt(decision)
        self.recent.append(decision)

    def settled(self, decision: ThrottleEvent) -> None:
        """The writer took the decision without logging it (already the latest)."""
        self.pending.pop(facts_of(decision), None)

    def refused(self, decision: ThrottleEvent) -> None:
        """The writer refused the decision (the store failed): it is taken back —
        the share returns to what it was, if no later decision moved it."""
        if self.pending.pop(facts_of(decision), None) is None:
            return
        controller = self.controllers.get(decision.queue)
        if controller is not None and controller.share == decision.share:
            controller.share = decision.previous
        if decision in self.recent:
            self.recent.remove(decision)

    def route(self, queue: str, accepts: Callable[[str], bool] | None = None) -> str:
        """The queue a new arrival for `queue` should enter: `queue` itself, or
        its site variant `Q@S` for the throttle's share of the arrivals. While
        `accepts(Q@S)` says the variant cannot take the contact (not running, on
        standby, channel not taken), arrivals stay in `queue` and are not counted."""
        controller = self.controllers.get(queue)
        if controller is None:
            return queue
        settings = controller.settings
        target = variant_queue(settings.queue, settings.site)
        if accepts is not None and not accepts(target):
            return queue
        return target if controller.route() else queue

    def apply(self, event: ev.Event) -> None:
        if isinstance(event, ev.ThrottleDecided):
            self.logged(event)
        elif isinstance(event, ev.ContactQueued) and event.contact.queue in self.via:
            controller = self.controllers[self.via[event.contact.queue]]
            self._tracked[event.contact.id] = (controller, event.at)
        elif isinstance(event, ev.OfferAccepted):
            tracked = self._tracked.pop(event.contact_id, None)
            if tracked is not None:
                tracked[0].observe(event.at, False)
        elif isinstance(event, ev.ContactEnded):
            tracked = self._tracked.pop(event.contact_id, None)
            abandoned = event.reason is EndReason.ABANDONED
            if tracked is not None and abandoned and event.at - tracked[1] >= self.grace_s:
                tracked[0].observe(event.at, True)

    def decide(self, now: float) -> list[ThrottleEvent]:
        out: list[ThrottleEvent] = []
        for controller in self.controllers.values():
            out.extend(controller.decide(now))
        self._taken(out)
        return out

    def as_list(self, now: float) -> list[dict[str, Any]]:
        return [
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars_of(c, now).items()}
            for c in self.controllers.values()
        ]


def throttles_of(controllers: dict[str, ThrottleController]) -> list[ThrottleSettings]:
    return [c.settings for c in controllers.values()]


def vars_of(controller: ThrottleController, now: float) -> dict[str, Any]:
    s = controller.statistics(now)
    return {name: getattr(s, name) for name in s.__dataclass_fields__}


def arrival_queue(
    bank: ThrottleBank | None, queues: dict[str, QueueState], queue: str, channel: Channel
) -> str:
    """The queue a new `channel` contact asked for `queue` enters: `queue`, or its
    site variant when a migration throttle sends this one there. The variant must
    be running, not on standby and take the channel; otherwise the contact stays.
    Every way in (the API, the demo's customers) routes through here."""
    asked = queues.get(queue)
    if bank is None or asked is None or channel not in asked.spec.channels:
        return queue  # no throttle, or the engine refuses it anyway

    def accepts(queue_id: str) -> bool:
        state = queues.get(queue_id)
        return state is not None and channel in state.spec.channels and not state.spec.standby

    return bank.route(queue, accepts)
