"""The migration throttles of a running center, fed from the event stream.

Why: `core/throttle.py` decides from outcomes; something must turn engine
events into those outcomes (which contacts went to the throttled site, were
they answered or did they abandon) and route new arrivals by the current
share. The live hub owns one bank and asks it to decide at every push.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from joignable.core import events as ev
from joignable.core.model import EndReason
from joignable.core.throttle import ThrottleController, ThrottleEvent, ThrottleSettings

RECENT = 30


class ThrottleBank:
    """The configured migration throttles, fed from the event stream.

    A throttle "queue Q → site S" sends its share of Q's arrivals to the queue
    that serves S (`via`, by default `Q@S`); outcomes of contacts in that queue
    (answered, or abandoned after the short-abandon grace) feed its controller.
    """

    def __init__(
        self, throttles: Iterable[ThrottleSettings], now: float, *, grace_s: float = 5.0
    ) -> None:
        self.controllers = {t.queue: ThrottleController(t, now) for t in throttles}
        self.via = {f"{t.queue}@{t.site}": t.queue for t in throttles_of(self.controllers)}
        self.grace_s = grace_s
        self._tracked: dict[str, tuple[str, float]] = {}  # contact -> (throttled queue, entered)
        self.recent: deque[ThrottleEvent] = deque(maxlen=RECENT)

    def route(self, queue: str) -> str:
        """The queue a new arrival for `queue` should enter."""
        controller = self.controllers.get(queue)
        if controller is None:
            return queue
        settings = controller.settings
        return f"{settings.queue}@{settings.site}" if controller.route() else queue

    def apply(self, event: ev.Event) -> None:
        if isinstance(event, ev.ContactQueued) and event.contact.queue in self.via:
            self._tracked[event.contact.id] = (self.via[event.contact.queue], event.at)
        elif isinstance(event, ev.OfferAccepted):
            tracked = self._tracked.pop(event.contact_id, None)
            if tracked is not None:
                self.controllers[tracked[0]].observe(event.at, False)
        elif isinstance(event, ev.ContactEnded):
            tracked = self._tracked.pop(event.contact_id, None)
            abandoned = event.reason is EndReason.ABANDONED
            if tracked is not None and abandoned and event.at - tracked[1] >= self.grace_s:
                self.controllers[tracked[0]].observe(event.at, True)

    def decide(self, now: float) -> list[ThrottleEvent]:
        out: list[ThrottleEvent] = []
        for controller in self.controllers.values():
            out.extend(controller.decide(now))
        self.recent.extend(out)
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
