"""Migration throttle: "send X % of queue Q's traffic to site S", self-correcting.

Why: when a bank moved traffic to a new site, it sent a share of one queue
there and raised it as the site proved itself; when the new site's customers
started hanging up, the share had to come down at once, without waiting for
someone to notice. This controller does exactly that, as pure code:

* `observe(at, abandoned)` records each contact that left site S's share of
  the queue (answered or abandoned; short abandons are not counted);
* `decide(now)` looks at S's abandonment rate over the last `window_s`
  seconds (only outcomes since the last change count, so every decision sees
  fresh data; it waits for `min_sample` outcomes, or a whole window when the
  share is too small to give that many) and lowers the share by `backoff`
  when the rate exceeds `limit`, or raises it by `step_up` (never above the
  supervisor's target) after S has stayed at or under `healthy` for
  `healthy_for_s` seconds;
* `route(...)` says whether the next arrival of Q goes to S, spreading the
  share evenly (a deterministic accumulator, no random draw).

Every decision is returned as a frozen event; the shell logs it through the
single writer (`ThrottleFacts`, `facts_of` / `decision_of` below), shows and
notifies it. A decision the controller did not make itself — read back from
the log at a restart, or written by another process — is taken with
`adopt`. Nothing here reads a clock.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from ..model import ThrottleFacts


@dataclass(frozen=True, slots=True)
class ThrottleSettings:
    """The controller's rules. Shares are fractions in [0, 1]."""

    queue: str
    site: str
    target: float
    limit: float = 0.10
    healthy: float | None = None  # default: limit / 2
    window_s: float = 300.0
    min_sample: int = 20
    backoff: float = 0.5  # lowered share = share x (1 - backoff)
    step_up: float = 0.05
    min_share: float = 0.0
    healthy_for_s: float = 300.0
    cooldown_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("target", "limit", "backoff", "step_up", "min_share"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise ValueError(f"throttle {self.queue}->{self.site}: {name} must be in [0, 1]")
        if self.healthy is not None and not 0.0 <= self.healthy <= self.limit:
            raise ValueError(f"throttle {self.queue}->{self.site}: healthy must be in [0, limit]")
        if self.min_share > self.target:
            raise ValueError(f"throttle {self.queue}->{self.site}: min_share above target")
        if self.window_s <= 0 or self.healthy_for_s < 0 or self.cooldown_s < 0:
            raise ValueError(f"throttle {self.queue}->{self.site}: durations must be positive")
        if self.min_sample < 1:
            raise ValueError(f"throttle {self.queue}->{self.site}: min_sample must be >= 1")

    @property
    def healthy_level(self) -> float:
        return self.limit / 2 if self.healthy is None else self.healthy


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleEvent:
    at: float
    queue: str
    site: str
    share: float
    previous: float

    @property
    def kind(self) -> str:
        return type(self).__name__

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind}
        for name in self.__dataclass_fields__:
            out[name] = getattr(self, name)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleTargetSet(ThrottleEvent):
    """A supervisor set the share to aim for. The share drops to a lower target
    at once; it climbs to a higher one in steps, as S stays healthy."""

    target: float
    by: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleLowered(ThrottleEvent):
    """S's abandonment rate exceeded the limit: less traffic goes there."""

    abandonment_rate: float
    sample: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleRaised(ThrottleEvent):
    """S stayed healthy long enough: one step more traffic goes there."""

    abandonment_rate: float
    sample: int


@dataclass(frozen=True, slots=True)
class ThrottleStatistics:
    queue: str
    site: str
    share: float
    target: float
    abandonment_rate: float | None
    sample: int
    routed: int
    routed_to_site: int
    lowered: int
    raised: int


class ThrottleController:
    """One queue → site throttle. Create it with the settings and a start time."""

    def __init__(self, settings: ThrottleSettings, now: float, share: float | None = None) -> None:
        self.settings = settings
        self.target = settings.target
        self.share = settings.target if share is None else _clamp(share)
        self._outcomes: deque[tuple[float, bool]] = deque()
        self._changed_at = now
        self._healthy_since: float | None = None
        self._credit = 0.0
        self._routed = 0
        self._to_site = 0
        self._lowered = 0
        self._raised = 0

    # ------------------------------------------------------------------ inputs

    def observe(self, at: float, abandoned: bool) -> None:
        """One contact of the site's share left the queue: answered or abandoned."""
        self._outcomes.append((at, abandoned))

    def route(self) -> bool:
        """Whether the next arrival of the queue goes to the site. Over n calls,
        the number sent is within one of n x share (even when the share moves)."""
        self._routed += 1
        self._credit += self.share
        if self._credit >= 1.0 - 1e-12:
            self._credit -= 1.0
            self._to_site += 1
            return True
        return False

    def set_target(self, target: float, now: float, by: str = "") -> ThrottleTargetSet:
        """A supervisor's new target share."""
        s = self.settings
        target = _clamp(target)
        previous = self.share
        self.target = target
        if self.share > target or self.share < s.min_share:
            self.share = max(min(self.share, target), min(s.min_share, target))
        self._changed_at = now
        self._healthy_since = None
        self._outcomes.clear()
        return ThrottleTargetSet(
            at=now,
            queue=s.queue,
            site=s.site,
            share=self.share,
            previous=previous,
            target=target,
            by=by,
        )

    def adopt(self, decision: ThrottleEvent) -> None:
        """Take a logged decision this controller did not make (a replay, another
        process): its share, kept within the floor and the target in force (a
        target raised since is reached in steps); the cooldown and the fresh
        outcomes count from the decision, as if it had been made here."""
        floor = min(self.settings.min_share, self.target)
        self.share = min(self.target, max(floor, _clamp(decision.share)))
        self._changed_at = decision.at
        self._healthy_since = None
        self._outcomes.clear()
        if isinstance(decision, ThrottleLowered):
            self._lowered += 1
        elif isinstance(decision, ThrottleRaised):
            self._raised += 1

    # ---------------------------------------------------------------- decision

    def rate(self, now: float) -> tuple[float | None, int]:
        """(abandonment rate, sample) over the outcomes counted at `now`."""
        since = now - self.settings.window_s  # outcomes before the last change are gone
        while self._outcomes and self._outcomes[0][0] < now - self.settings.window_s:
            self._outcomes.popleft()
        sample = abandoned = 0
        for at, gone in self._outcomes:
            if at >= since:
                sample += 1
                abandoned += gone
        return (abandoned / sample if sample else None), sample

    def decide(self, now: float) -> list[ThrottleEvent]:
        """Lower or raise the share if the rules say so; the events of the decision."""
        s = self.settings
        rate, sample = self.rate(now)
        if sample < s.min_sample and now - self._changed_at < s.window_s:
            return []  # too few outcomes yet, and the window is not over
        if rate is None:
            rate = 0.0  # a whole window without a single outcome (share at 0): no harm seen
        cooled = now - self._changed_at >= s.cooldown_s
        if rate > s.limit:
            self._healthy_since = None
            lowered = max(s.min_share, self.share * (1.0 - s.backoff))
            if not cooled or lowered >= self.share:
                return []
            return [self._change(ThrottleLowered, lowered, now, rate, sample)]
        if rate > s.healthy_level:
            self._healthy_since = None
            return []
        if self._healthy_since is None:
            self._healthy_since = now
        if self.share >= self.target or not cooled:
            return []
        if now - self._healthy_since < s.healthy_for_s:
            return []
        raised = min(self.target, self.share + s.step_up)
        return [self._change(ThrottleRaised, raised, now, rate, sample)]

    def statistics(self, now: float) -> ThrottleStatistics:
        rate, sample = self.rate(now)
        return ThrottleStatistics(
            queue=self.settings.queue,
            site=self.settings.site,
            share=self.share,
            target=self.target,
            abandonment_rate=rate,
            sample=sample,
            routed=self._routed,
            routed_to_site=self._to_site,
            lowered=self._lowered,
            raised=self._raised,
        )

    def _change(
        self,
        kind: type[ThrottleLowered] | type[ThrottleRaised],
        share: float,
        now: float,
        rate: float,
        sample: int,
    ) -> ThrottleEvent:
        previous, self.share = self.share, share
        self._changed_at = now
        self._healthy_since = None
        self._outcomes.clear()  # what happened under the old share is not judged again
        if kind is ThrottleLowered:
            self._lowered += 1
        else:
            self._raised += 1
        return kind(
            at=now,
            queue=self.settings.queue,
            site=self.settings.site,
            share=share,
            previous=previous,
            abandonment_rate=rate,
            sample=sample,
        )


def _clamp(share: float) -> float:
    if not math.isfinite(share):
        raise ValueError(f"share must be a finite number, got {share}")
    return min(1.0, max(0.0, share))


def settings_from_dict(data: dict[str, object]) -> ThrottleSettings:
    """`ThrottleSettings` from configuration; raises ValueError naming the field."""
    known = set(ThrottleSettings.__dataclass_fields__)
    where = f"throttle {data.get('queue', '?')}->{data.get('site', '?')}"
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(unknown)}")
    for name in ("queue", "site", "target"):
        if name not in data:
            raise ValueError(f"{where}: {name} is required")
    values: dict[str, object] = {}
    for name, value in data.items():
        if name in ("queue", "site"):
            values[name] = str(value)
        elif name == "min_sample":
            values[name] = int(str(value))
        elif value is None:
            values[name] = None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            values[name] = float(value)
        else:
            raise ValueError(f"{where}: {name} must be a number, got {value!r}")
    return ThrottleSettings(**values)  # type: ignore[arg-type]


def facts_of(event: ThrottleEvent) -> ThrottleFacts:
    """The plain facts of a controller's decision, for a command and the log."""
    return ThrottleFacts(
        kind=event.kind,
        at=event.at,
        queue=event.queue,
        site=event.site,
        share=event.share,
        previous=event.previous,
        target=event.target if isinstance(event, ThrottleTargetSet) else None,
        abandonment_rate=(
            event.abandonment_rate if isinstance(event, ThrottleLowered | ThrottleRaised) else None
        ),
        sample=event.sample if isinstance(event, ThrottleLowered | ThrottleRaised) else 0,
        by=event.by if isinstance(event, ThrottleTargetSet) else "",
    )


def decision_of(facts: ThrottleFacts) -> ThrottleEvent:
    """The controller's decision for logged facts; raises `ValueError` on a
    kind this version does not know."""
    f = facts
    if f.kind == "ThrottleTargetSet":
        target = f.share if f.target is None else f.target
        return ThrottleTargetSet(
            at=f.at, queue=f.queue, site=f.site, share=f.share, previous=f.previous,
            target=target, by=f.by,
        )  # fmt: skip
    kinds: dict[str, type[ThrottleLowered] | type[ThrottleRaised]] = {
        "ThrottleLowered": ThrottleLowered,
        "ThrottleRaised": ThrottleRaised,
    }
    cls = kinds.get(f.kind)
    if cls is not None:
        rate = 0.0 if f.abandonment_rate is None else f.abandonment_rate
        return cls(
            at=f.at, queue=f.queue, site=f.site, share=f.share, previous=f.previous,
            abandonment_rate=rate, sample=f.sample,
        )  # fmt: skip
    raise ValueError(f"unknown throttle decision kind {facts.kind!r}")
