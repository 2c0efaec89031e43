"""The nouns of a contact center: channels, capacities, queues, routing steps.

Specs are frozen: a queue or an agent *definition* never changes in place; a
supervisor's change is an event carrying a new value. The mutable runtime
records (`Contact`, `Agent`) live in `engine.py`, owned by the single writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Channel(StrEnum):
    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"
    SOCIAL = "social"
    CALLBACK = "callback"


#: Channels served in real time by a person on the line.
SYNCHRONOUS = frozenset({Channel.VOICE, Channel.CALLBACK})
DIGITAL = frozenset({Channel.CHAT, Channel.EMAIL, Channel.SMS, Channel.SOCIAL})


class Strategy(StrEnum):
    """How an agent is chosen among the eligible ones."""

    LONGEST_IDLE = "longest_idle"
    MOST_SKILLED = "most_skilled"
    LEAST_OCCUPIED = "least_occupied"
    ROUND_ROBIN = "round_robin"
    #: least spare flexibility: keep the agents who cover scarce skills free (matching.py)
    LEAST_FLEXIBLE = "least_flexible"


class OverflowAction(StrEnum):
    """What happens to a contact when its queue's maximum wait is reached or the
    queue is put on standby."""

    KEEP = "keep"  # keep waiting in place
    OVERFLOW = "overflow"  # move to another queue (target), keeping the arrival time
    CALLBACK = "callback"  # leave the line, become a callback contact keeping its place
    VOICEMAIL = "voicemail"  # leave a message; the contact ends
    CLOSE = "close"  # played a closing message; the contact ends


class EndReason(StrEnum):
    COMPLETED = "completed"
    ABANDONED = "abandoned"
    CANCELLED = "cancelled"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"
    CLOSED = "closed"


#: Capacity is a budget of units; a contact of a channel costs budget // limit.
CAPACITY_BUDGET = 60

DEFAULT_LIMITS: dict[Channel, int] = {
    Channel.VOICE: 1,
    Channel.CALLBACK: 1,
    Channel.CHAT: 3,
    Channel.EMAIL: 5,
    Channel.SMS: 5,
    Channel.SOCIAL: 5,
}


@dataclass(frozen=True, slots=True)
class Capacity:
    """How many contacts of each channel an agent may hold at once.

    `limits[channel]` is the maximum of that channel alone (0: not served).
    Mixed channels share one budget: a contact costs `budget // limit`, so by
    default a voice call takes the whole budget (exclusive), a chat a third,
    an e-mail a fifth, and 1 chat + 3 e-mails fit together.
    """

    limits: tuple[tuple[Channel, int], ...] = tuple(DEFAULT_LIMITS.items())
    budget: int = CAPACITY_BUDGET

    def limit(self, channel: Channel) -> int:
        for ch, n in self.limits:
            if ch == channel:
                return n
        return 0

    def cost(self, channel: Channel) -> int:
        n = self.limit(channel)
        return self.budget // n if n > 0 else self.budget + 1

    @classmethod
    def of(cls, limits: dict[Channel, int], budget: int = CAPACITY_BUDGET) -> Capacity:
        for ch, n in limits.items():
            if n < 0 or n > budget:
                raise ValueError(f"capacity for {ch} must be 0..{budget}, got {n}")
        return cls(tuple(sorted(limits.items())), budget)

    @classmethod
    def configured(cls, limits: dict[Channel, int]) -> Capacity:
        """A configured capacity: channels not named are not served, except
        callbacks, which follow voice unless named (who takes calls makes
        callbacks — the calls a queue promised when its line was too long)."""
        limits = dict(limits)
        if Channel.VOICE in limits and Channel.CALLBACK not in limits:
            limits[Channel.CALLBACK] = limits[Channel.VOICE]
        return cls.of(limits)

    @classmethod
    def only(cls, *channels: Channel) -> Capacity:
        """Default limits restricted to the given channels."""
        return cls.of({ch: DEFAULT_LIMITS[ch] for ch in channels})


@dataclass(frozen=True, slots=True)
class RoutingStep:
    """One widening step of a queue: from `after` seconds of waiting, the
    eligible agents are those matching this step's scope and levels.

    `levels` overrides the minimum level of the named skills (usually lower);
    skills not named keep the contact's own minimum. `teams`, `sites`,
    `outsourcers` restrict who may answer; empty means anyone.
    """

    after: float = 0.0
    levels: tuple[tuple[str, int], ...] = ()
    teams: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()
    outsourcers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class QueueSpec:
    id: str
    channels: frozenset[Channel] = frozenset(Channel)
    steps: tuple[RoutingStep, ...] = (RoutingStep(),)
    strategy: Strategy = Strategy.LONGEST_IDLE
    aging_per_s: float = 0.0
    sl_seconds: float = 20.0
    sl_target: float = 0.8
    max_wait: float | None = None
    on_max_wait: OverflowAction = OverflowAction.KEEP
    on_standby: OverflowAction = OverflowAction.KEEP
    overflow_to: str | None = None
    offer_timeout: float = 20.0
    #: per-channel offer time-outs (an e-mail may ring longer than a call);
    #: channels not named use `offer_timeout`
    offer_timeouts: tuple[tuple[Channel, float], ...] = ()
    wrap_up: float = 30.0
    standby: bool = False
    site: str | None = None  # for a queue anchored to a site (reports)
    #: for a queue dedicated to an outsourcer's contract: what waits in it, or
    #: leaves it unanswered, counts under that outsourcer (reports, alerts)
    outsourcer: str | None = None

    def timeout_for(self, channel: Channel) -> float:
        """How long an offer of a `channel` contact of this queue rings."""
        for ch, seconds in self.offer_timeouts:
            if ch is channel:
                return seconds
        return self.offer_timeout

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"queue {self.id}: at least one routing step is needed")
        afters = [s.after for s in self.steps]
        if afters[0] != 0 or afters != sorted(afters):
            raise ValueError(f"queue {self.id}: steps must start at 0 s and widen in time order")


@dataclass(frozen=True, slots=True)
class AgentSpec:
    id: str
    name: str = ""
    skills: tuple[tuple[str, int], ...] = ()
    languages: frozenset[str] = frozenset()
    team: str = ""
    site: str = ""
    outsourcer: str = ""
    queues: frozenset[str] = frozenset()  # empty: every queue
    capacity: Capacity = field(default_factory=Capacity)

    def __post_init__(self) -> None:
        for skill, level in self.skills:
            if not 1 <= level <= 10:
                raise ValueError(f"agent {self.id}: skill {skill} level must be 1..10, got {level}")


@dataclass(frozen=True, slots=True)
class ContactSpec:
    """What is known of a contact when it enters a queue."""

    id: str
    channel: Channel
    queue: str
    customer: str = ""
    language: str = ""
    skills: tuple[tuple[str, int], ...] = ()
    priority: int = 0
    attributes: tuple[tuple[str, str], ...] = ()
    arrived_at: float | None = None  # first contact with the center (before the IVR)

    def __post_init__(self) -> None:
        for skill, level in self.skills:
            if not 1 <= level <= 10:
                raise ValueError(
                    f"contact {self.id}: skill {skill} minimum level must be 1..10, got {level}"
                )


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertFacts:
    """What an alert decision says (see `core/alerts/rules.AlertEvent`), in
    plain values so that the event log can hold it. `at` is when the
    evaluator decided; `raised_at` and `reason` are set on a clearing."""

    id: str
    alert_id: str
    at: float
    rule_id: str
    metric: str
    scope: str
    scope_id: str
    severity: str
    value: float | None
    threshold: float
    title: str
    contract: bool = False
    raised_at: float | None = None
    reason: str = ""


#: the kinds of migration-throttle decision (`core/routing/throttle.py`'s event classes)
THROTTLE_KINDS = ("ThrottleLowered", "ThrottleRaised", "ThrottleTargetSet")


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleFacts:
    """What a migration-throttle decision says (see `core/routing/throttle.
    ThrottleEvent`), in plain values so that the event log can hold it: `kind`
    one of `THROTTLE_KINDS`, `at` when the controller decided, the share sent
    from queue `queue` to site `site` (`previous` -> `share`); a cut or a raise
    carries the `abandonment_rate` over `sample` outcomes that caused it, a new
    target its `target` and who set it (`by`)."""

    kind: str
    at: float
    queue: str
    site: str
    share: float
    previous: float
    target: float | None = None
    abandonment_rate: float | None = None
    sample: int = 0
    by: str = ""
