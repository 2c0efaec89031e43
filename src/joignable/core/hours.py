# Why: "are we open?" decides what a caller hears first, which flow branch runs and
# when a callback may be made, so it must be one pure answer, the same in the server,
# the simulator and `joignable flows test`: the time is an argument (epoch seconds),
# never the clock, and the public holidays arrive as data (the `holidays` package is
# used outside the core, in `joignable.schema.hours`).
"""Business hours: weekly split shifts in a time zone, closures, special days, holidays.

Which rule a local date follows, most specific first: a special opening day (its own
shifts), then an exceptional closure covering the date, then a public holiday, then
the weekly hours of its weekday.

The daylight-saving rule (decision 0025): a shift opens at the first instant at which
the local clock shows its start time or later, and closes at the first instant it
shows its end time or later. So a start inside the spring-forward gap (02:30 in
Europe/Paris on the last Sunday of March) opens when the gap ends (03:00 summer
time), and a time that happens twice on fall-back day means its first occurrence.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "HORIZON_DAYS",
    "Closure",
    "Schedule",
    "Shift",
    "SpecialDay",
    "Status",
    "is_open",
    "next_closing",
    "next_opening",
    "opening_intervals",
    "status",
]

#: How far `next_opening` / `next_closing` look ahead, in days.
HORIZON_DAYS = 400
_DAY = 1440  # minutes


@dataclass(frozen=True, slots=True)
class Shift:
    """One opening of a day, from `start` to `end` minutes after local midnight
    (0 <= start < end <= 1440; 24:00 is 1440)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end <= _DAY:
            raise ValueError(f"a shift must satisfy 00:00 <= start < end <= 24:00 ({self})")

    def __str__(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True, slots=True)
class Closure:
    """An exceptional closure from `first` to `last` (local dates, both included)."""

    first: date
    last: date
    reason: str


@dataclass(frozen=True, slots=True)
class SpecialDay:
    """A date with its own shifts (open on a holiday, shorter hours on 24 December;
    no shifts: closed that day)."""

    day: date
    shifts: tuple[Shift, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a service is open: `week` holds the shifts of Monday..Sunday (7 tuples),
    `zone` the IANA time zone they are written in, `holidays` the public holidays
    (date -> name) the service is closed on."""

    name: str
    zone: str
    week: tuple[tuple[Shift, ...], ...]
    closures: tuple[Closure, ...] = ()
    special: tuple[SpecialDay, ...] = ()
    holidays: Mapping[date, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("week must hold the shifts of 7 days, Monday first")
        ZoneInfo(self.zone)  # raises for an unknown zone

    def day_rule(self, day: date) -> tuple[tuple[Shift, ...], str, str]:
        """The shifts of local date `day`, the kind of rule they come from
        ("special", "closure", "holiday", "week") and its label (reason, name)."""
        for s in self.special:
            if s.day == day:
                return s.shifts, "special", s.reason
        for c in self.closures:
            if c.first <= day <= c.last:
                return (), "closure", c.reason
        name = self.holidays.get(day)
        if name is not None:
            return (), "holiday", name
        return self.week[day.weekday()], "week", ""


@dataclass(frozen=True, slots=True)
class Status:
    """Whether a schedule is open at an instant, and why: `reason` is "open",
    "holiday", "closure", "special" (a special day's hours) or "outside_hours";
    `label` the holiday's name or the closure's reason ("" otherwise)."""

    open: bool
    reason: str
    label: str = ""


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _local(zone: ZoneInfo, day: date, minute: int) -> datetime:
    day = day + timedelta(days=minute // _DAY)
    minute %= _DAY
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)


def _first_instant(zone: ZoneInfo, day: date, minute: int) -> float:
    """The first instant (epoch s) at which the local clock shows `day` at `minute`
    or later: the first of two occurrences, the end of a gap (see the module)."""
    wall = _local(zone, day, minute)
    naive = wall.replace(tzinfo=None)
    found = []
    for fold in (0, 1):
        t = wall.replace(fold=fold).timestamp()
        if datetime.fromtimestamp(t, zone).replace(tzinfo=None) == naive:
            found.append(t)
    if found:
        return min(found)
    # in a gap: the clock jumps over `naive` between these two instants
    lo, hi = sorted(wall.replace(fold=f).timestamp() for f in (0, 1))
    lo_i, hi_i = int(lo), int(hi) + 1
    while lo_i < hi_i:  # the first whole second showing `naive` or later
        mid = (lo_i + hi_i) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= naive:
            hi_i = mid
        else:
            lo_i = mid + 1
    return float(lo_i)


def opening_intervals(schedule: Schedule, day: date) -> list[tuple[float, float]]:
    """The open intervals [start, end) in epoch seconds of local date `day`."""
    return list(_intervals(schedule.zone, day, schedule.day_rule(day)[0]))


@functools.lru_cache(maxsize=8192)
def _intervals(
    zone_name: str, day: date, shifts: tuple[Shift, ...]
) -> tuple[tuple[float, float], ...]:
    """A memo of a pure computation (the same arguments give the same instants): the
    flow engine asks "open?" on every branch, each answer resolving a few days'."""
    zone = ZoneInfo(zone_name)
    return tuple(
        (_first_instant(zone, day, s.start), _first_instant(zone, day, s.end)) for s in shifts
    )


def _local_date(schedule: Schedule, at: float) -> date:
    return datetime.fromtimestamp(at, ZoneInfo(schedule.zone)).date()


def _containing(schedule: Schedule, at: float) -> tuple[float, float] | None:
    day = _local_date(schedule, at)
    for d in (day - timedelta(days=1), day, day + timedelta(days=1)):
        for start, end in opening_intervals(schedule, d):
            if start <= at < end:
                return start, end
    return None


def is_open(schedule: Schedule, at: float) -> bool:
    """Whether `schedule` is open at `at` (epoch seconds)."""
    return _containing(schedule, at) is not None


def status(schedule: Schedule, at: float) -> Status:
    """Open or closed at `at` (epoch seconds), with the reason (see `Status`)."""
    if is_open(schedule, at):
        kind = schedule.day_rule(_local_date(schedule, at))[1]
        return Status(True, "special" if kind == "special" else "open")
    shifts, kind, label = schedule.day_rule(_local_date(schedule, at))
    if kind in ("closure", "holiday") or (kind == "special" and not shifts):
        return Status(False, kind, label)
    return Status(False, "outside_hours")


def next_opening(schedule: Schedule, at: float) -> float | None:
    """The earliest instant >= `at` at which `schedule` is open (`at` itself when it
    is open), or None when it does not open within `HORIZON_DAYS` days."""
    if is_open(schedule, at):
        return at
    first = _local_date(schedule, at) - timedelta(days=1)
    for n in range(HORIZON_DAYS + 2):
        starts = [s for s, e in opening_intervals(schedule, first + timedelta(days=n)) if s >= at]
        if starts:
            return min(starts)
    return None


def next_closing(schedule: Schedule, at: float) -> float | None:
    """The earliest instant >= `at` at which `schedule` is closed (`at` itself when it
    is closed), or None when it stays open for `HORIZON_DAYS` days."""
    end = at
    for _ in range(HORIZON_DAYS * 4):  # back-to-back shifts (22:00-24:00, 00:00-06:00)
        found = _containing(schedule, end)
        if found is None:
            return end
        end = found[1]
    return None
