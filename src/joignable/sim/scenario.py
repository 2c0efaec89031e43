# Why: a scenario is written by a person, often in a hurry before a crisis. Its
# schema lives in one place, validated with Pydantic so that every mistake is
# reported with the field's path (the loader adds the file and line), and it is
# turned into the routing core's own specs here, so the simulator and the live
# server configure queues and agents the same way. Ids, levels, capacity, time
# zones and a queue's rules are checked by `schema/`, as for the center file.
"""The scenario schema: center, traffic, surges, agent shifts and playbook measures."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from joignable.core.model import (
    DEFAULT_LIMITS,
    AgentSpec,
    Capacity,
    Channel,
    QueueSpec,
)
from joignable.schema.fields import Id, Level, Limits, TimeZone, unknown
from joignable.schema.queue import QueueRules, check_queue, circle_message, overflow_cycles

from .distributions import Distribution, Empirical, Exponential, Fixed, LogNormal
from .flowmodel import FlowModel

_TIME = re.compile(r"^(\d{1,2}):([0-5]\d)(?::([0-5]\d))?$")


def _check_time(value: str) -> str:
    m = _TIME.match(value.strip())
    if not m or int(m.group(1)) > 48:
        raise ValueError("time of day must be HH:MM (00:00 to 48:00)")
    return value.strip()


def _check_share(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError("share must be between 0 and 1")
    return value


def seconds_of_day(value: str) -> float:
    """Seconds after midnight of an "HH:MM[:SS]" string."""
    m = _TIME.match(value.strip())
    if not m:
        raise ValueError(f"bad time of day {value!r}")
    return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0)


TimeOfDay = Annotated[str, AfterValidator(_check_time)]
Share = Annotated[float, AfterValidator(_check_share)]
Skills = dict[Id, Level]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DistSpec(_Strict):
    """A duration distribution in seconds. A bare number means exponential(mean)."""

    dist: Literal["exponential", "lognormal", "empirical", "fixed"] = "exponential"
    mean: NonNegative | None = None
    cv: PositiveFloat | None = None
    values: list[NonNegative] | None = None

    @model_validator(mode="after")
    def _complete(self) -> DistSpec:
        if self.dist == "empirical":
            if not self.values:
                raise ValueError("an empirical distribution needs a non-empty 'values' list")
        elif self.mean is None:
            raise ValueError(f"a {self.dist} distribution needs a 'mean'")
        if self.dist == "lognormal" and self.cv is None:
            raise ValueError("a lognormal distribution needs a 'cv' (std / mean)")
        return self

    def build(self) -> Distribution:
        if self.dist == "empirical":
            return Empirical(tuple(self.values or ()))
        mean = float(self.mean or 0.0)
        if self.dist == "lognormal":
            return LogNormal(mean, float(self.cv or 1.0))
        if self.dist == "fixed":
            return Fixed(mean)
        return Exponential(mean)


def _number_as_exponential(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "exponential", "mean": value}
    return value


Dist = Annotated[DistSpec, BeforeValidator(_number_as_exponential)]


class ChannelModel(_Strict):
    """How customers and agents behave on one channel."""

    handle_time: Dist = DistSpec(dist="exponential", mean=240)
    wrap_time: Dist = DistSpec(dist="fixed", mean=15)
    patience: Dist | None = None  # None: customers never give up
    ring_time: NonNegative = 3.0  # agent's delay before accepting an offer


class QueueModel(QueueRules):
    """A queue of the scenario: the routing rules of the live configuration
    (`schema/queue.py`), the skills its traffic needs by default, and whether
    it starts on standby."""

    skills: Skills = {}
    standby: bool = False

    def build(self, queue_id: str) -> QueueSpec:
        """The routing core's spec. Raises ValueError if the core refuses it."""
        return self.spec(queue_id, standby=self.standby)


class TrafficModel(_Strict):
    """One stream of contacts: a queue, a channel, expected contacts per interval."""

    queue: str
    channel: Channel
    per_interval: dict[TimeOfDay, NonNegative] | list[NonNegative] | None = None
    csv: str | None = None  # file with columns interval_start,volume (relative to the scenario)
    handle_time: Dist | None = None
    wrap_time: Dist | None = None
    patience: Dist | None = None
    skills: Skills | None = None  # default: the queue's
    language: str = ""
    priority: int = 0

    @model_validator(mode="after")
    def _one_source(self) -> TrafficModel:
        if (self.per_interval is None) == (self.csv is None):
            raise ValueError("give exactly one of 'per_interval' and 'csv'")
        return self


class SurgeModel(_Strict):
    start: TimeOfDay
    end: TimeOfDay
    multiplier: PositiveFloat
    channels: list[Channel] = []  # empty: every channel
    queues: list[str] = []  # empty: every queue
    patience_factor: PositiveFloat = 1.0  # customers arriving then wait this much longer


class BreakModel(_Strict):
    at: TimeOfDay
    minutes: PositiveFloat


class ShiftModel(_Strict):
    start: TimeOfDay
    end: TimeOfDay
    breaks: list[BreakModel] = []
    stagger_minutes: NonNegative = 0.0  # agent i takes its breaks i × stagger later (cycling)


class AgentGroupModel(_Strict):
    count: int = Field(ge=0)
    skills: Skills = {}
    languages: list[str] = []
    team: str = ""
    site: str = ""
    outsourcer: str = ""
    queues: list[str] = []  # empty: every queue
    capacity: Limits | None = None
    shift: ShiftModel

    def build(self, agent_id: str, capacity: dict[Channel, int] | None = None) -> AgentSpec:
        limits = dict(capacity if capacity is not None else self.capacity or DEFAULT_LIMITS)
        return AgentSpec(
            id=agent_id,
            name=agent_id,
            skills=tuple(sorted(self.skills.items())),
            languages=frozenset(self.languages),
            team=self.team,
            site=self.site,
            outsourcer=self.outsourcer,
            queues=frozenset(self.queues),
            capacity=Capacity.configured(limits),
        )


class _Measure(_Strict):
    at: TimeOfDay
    until: TimeOfDay | None = None  # None: to the end of the run


class _Scoped(_Measure):
    channels: list[Channel] = []  # empty: every channel
    queues: list[str] = []  # empty: every queue


class IvrMessage(_Scoped):
    """A reassuring IVR message: a share of callers hear their answer and hang up served."""

    kind: Literal["ivr_message"]
    resolve_share: Share


class SelfServiceLink(_Scoped):
    """A share of arrivals take a self-service link (SMS); `success` of them resolve there."""

    kind: Literal["self_service_link"]
    share: Share
    success: Share = 1.0


class CallbackOffer(_Scoped):
    """After `after` seconds of waiting, a callback is offered; `accept_share` take it."""

    kind: Literal["callback_offer"]
    after: NonNegative = 60.0
    accept_share: Share


class PromisedDelay(_Scoped):
    """An auto-reply announces a longer delay: customers wait `factor` times longer."""

    kind: Literal["promised_delay"]
    factor: PositiveFloat


class ChannelStandby(_Measure):
    """The channel is put on standby (contacts wait, no offers) from `at` to `until`."""

    kind: Literal["channel_standby"]
    channel: Channel


class MoveAgents(_Measure):
    """Agents of a group are given another capacity (e.g. chat agents to voice)."""

    kind: Literal["move_agents"]
    group: str
    capacity: Limits
    count: int | None = Field(default=None, ge=0)  # None: the whole group


class Crisis(_Measure):
    """The center's crisis flag is set from `at` to `until`, with its `message`:
    the flows of the scenario branch on it (`{crisis: true}`, `{crisis.message}`)."""

    kind: Literal["crisis"]
    message: str = ""


Measure = Annotated[
    IvrMessage
    | SelfServiceLink
    | CallbackOffer
    | PromisedDelay
    | ChannelStandby
    | MoveAgents
    | Crisis,
    Field(discriminator="kind"),
]


class Scenario(_Strict):
    name: str = "scenario"
    description: str = ""
    date: dt.date = dt.date(2024, 1, 15)
    timezone: TimeZone = "UTC"
    open: TimeOfDay = "08:00"
    close: TimeOfDay = "20:00"
    drain_minutes: NonNegative = 120.0
    interval_minutes: Literal[5, 10, 15, 30, 60] = 15
    sl_seconds: PositiveFloat = 20.0
    short_abandon_seconds: NonNegative = 5.0
    channels: dict[Channel, ChannelModel] = {}
    queues: dict[Id, QueueModel] = Field(min_length=1)
    traffic: list[TrafficModel] = Field(min_length=1)
    surges: list[SurgeModel] = []
    agents: dict[Id, AgentGroupModel] = Field(min_length=1)
    measures: list[Measure] = []
    flows: list[FlowModel] = []  # the first that covers a traffic stream is walked

    def epoch(self) -> float:
        """Virtual time origin: the scenario's date at 00:00 in its time zone."""
        midnight = dt.datetime.combine(self.date, dt.time(), zoneinfo.ZoneInfo(self.timezone))
        return midnight.timestamp()

    def channel(self, channel: Channel) -> ChannelModel:
        return self.channels.get(channel) or ChannelModel()


#: A cross-field fault before it is located: (location, message); the loader adds file and line.
Finding = tuple[tuple[str | int, ...], str]


def check_references(s: Scenario) -> list[Finding]:
    """Cross-field checks Pydantic cannot do field by field: names that must exist,
    times in order, and specs the routing core must accept."""
    out: list[Finding] = []
    t_open, t_close = seconds_of_day(s.open), seconds_of_day(s.close)
    if t_close <= t_open:
        out.append((("close",), "close must be after open"))
    for qid, circle in overflow_cycles({k: q.overflow_to for k, q in s.queues.items()}).items():
        out.append((("queues", qid, "overflow_to"), circle_message(circle)))
    for qid, q in s.queues.items():
        found = check_queue(("queues", qid), qid, q, set(s.queues))
        out += found
        if found:
            continue
        try:
            q.build(qid)
        except ValueError as exc:
            out.append((("queues", qid), str(exc)))
    for i, t in enumerate(s.traffic):
        if t.queue not in s.queues:
            out.append((("traffic", i, "queue"), unknown("queue", t.queue, set(s.queues))))
        elif t.channel not in s.queues[t.queue].channels:
            out.append((("traffic", i, "channel"), f"queue {t.queue} does not take {t.channel}"))
    for i, sg in enumerate(s.surges):
        if seconds_of_day(sg.end) <= seconds_of_day(sg.start):
            out.append((("surges", i, "end"), "end must be after start"))
        out += _unknown_queues(s, ("surges", i, "queues"), sg.queues)
    for gid, g in s.agents.items():
        if seconds_of_day(g.shift.end) <= seconds_of_day(g.shift.start):
            out.append((("agents", gid, "shift", "end"), "end must be after start"))
        out += _unknown_queues(s, ("agents", gid, "queues"), g.queues)
    for i, m in enumerate(s.measures):
        if m.until is not None and seconds_of_day(m.until) <= seconds_of_day(m.at):
            out.append((("measures", i, "until"), "until must be after at"))
        if isinstance(m, MoveAgents) and m.group not in s.agents:
            out.append((("measures", i, "group"), unknown("agent group", m.group, set(s.agents))))
        if isinstance(m, _Scoped):
            out += _unknown_queues(s, ("measures", i, "queues"), m.queues)
    return out


def _unknown_queues(s: Scenario, path: tuple[str | int, ...], names: list[str]) -> list[Finding]:
    return [
        ((*path, j), unknown("queue", name, set(s.queues)))
        for j, name in enumerate(names)
        if name not in s.queues
    ]
