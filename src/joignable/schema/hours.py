# Why: business hours are written by people ("08:30-12:30") and public holidays come
# from the `holidays` package, which the pure core may not import; this module reads
# the written form, asks the package for the holidays of a country and region, and
# hands the core a plain `Schedule` value (decision 0025).
"""Business hours as written in YAML, and the public holidays by country/region."""

from __future__ import annotations

import functools
import itertools
import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from joignable.core.hours import Closure, Schedule, Shift, SpecialDay
from joignable.schema.fields import TimeZone

__all__ = ["ClosureSpec", "HolidaySpec", "HoursSpec", "SpecialSpec", "public_holidays"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Years of public holidays a schedule carries.
YEARS = range(2020, 2061)
_SHIFT = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def parse_shift(text: str) -> Shift:
    """The Shift written `HH:MM-HH:MM` (24:00 allowed as an end); raises ValueError."""
    m = _SHIFT.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"{text!r} is not a shift like '08:30-12:30'")
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ValueError(f"{text!r}: hours are 00..23 (24:00 as an end), minutes 00..59")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start >= end:
        raise ValueError(f"{text!r}: a shift ends after it starts (split at midnight)")
    return Shift(start, end)


def _shifts(value: list[str]) -> list[str]:
    shifts = sorted((parse_shift(v) for v in value), key=lambda s: s.start)
    for a, b in itertools.pairwise(shifts):
        if b.start < a.end:
            raise ValueError(f"shifts {a} and {b} overlap")
    return value


ShiftList = Annotated[list[str], AfterValidator(_shifts)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClosureSpec(_Strict):
    """An exceptional closure: `from` .. `to` (dates, included) and why."""

    first: date = Field(alias="from")
    last: date = Field(alias="to")
    reason: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> ClosureSpec:
        if self.last < self.first:
            raise ValueError("a closure ends ('to') on or after it starts ('from')")
        return self


class SpecialSpec(_Strict):
    """A special day: its date, its own shifts (none: closed) and why."""

    date: date
    hours: ShiftList = []
    reason: str = Field(min_length=1, max_length=200)


def public_holidays(country: str, subdivision: str | None = None) -> dict[date, str]:
    """The public holidays (date -> name) of `country` (ISO code: FR, DE) and its
    `subdivision` (BY, or a French region code), over `YEARS`. Raises ValueError
    naming an unknown country or subdivision."""
    return dict(_holidays(country, subdivision))


@functools.lru_cache(maxsize=32)
def _holidays(country: str, subdivision: str | None) -> tuple[tuple[date, str], ...]:
    import holidays

    known = holidays.list_supported_countries()
    if country not in known:
        raise ValueError(f"no public holidays known for country {country!r}")
    if subdivision is not None and subdivision not in known[country]:
        subs = ", ".join(known[country][:12])
        raise ValueError(f"unknown subdivision {subdivision!r} of {country} (one of: {subs}…)")
    found = holidays.country_holidays(country, subdiv=subdivision, years=YEARS)
    return tuple(sorted(found.items()))


class HolidaySpec(_Strict):
    """The public holidays a schedule closes on: a country and an optional region."""

    country: str = Field(pattern=r"^[A-Z]{2}$")
    subdivision: str | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _known(self) -> HolidaySpec:
        public_holidays(self.country, self.subdivision)
        return self


def _holiday(value: object) -> object:
    if isinstance(value, str) and "-" in value:  # "DE-BY"
        country, _, sub = value.partition("-")
        return {"country": country, "subdivision": sub}
    if isinstance(value, str):
        return {"country": value}
    return value


class HoursSpec(_Strict):
    """A schedule as written: time zone, weekly shifts by day (`mon`..`sun`, a day
    left out is closed), public holidays (`FR`, `DE-BY` or a mapping), closures and
    special days."""

    zone: TimeZone
    week: dict[str, ShiftList] = {}
    holidays: Annotated[HolidaySpec | None, Field(None)] = None
    closures: list[ClosureSpec] = []
    special: list[SpecialSpec] = []

    @model_validator(mode="before")
    @classmethod
    def _holiday_short(cls, data: object) -> object:
        if isinstance(data, dict) and "holidays" in data:
            data = {**data, "holidays": _holiday(data["holidays"])}
        return data

    @model_validator(mode="after")
    def _days(self) -> HoursSpec:
        bad = sorted(set(self.week) - set(WEEKDAYS))
        if bad:
            raise ValueError(f"unknown weekday {bad[0]!r} (one of {', '.join(WEEKDAYS)})")
        return self

    def schedule(self, name: str) -> Schedule:
        """The core Schedule named `name` (holidays looked up here)."""
        week = tuple(
            tuple(sorted((parse_shift(s) for s in self.week.get(d, [])), key=lambda s: s.start))
            for d in WEEKDAYS
        )
        holidays = (
            public_holidays(self.holidays.country, self.holidays.subdivision)
            if self.holidays
            else {}
        )
        return Schedule(
            name=name,
            zone=self.zone,
            week=week,
            closures=tuple(Closure(c.first, c.last, c.reason) for c in self.closures),
            special=tuple(
                SpecialDay(s.date, tuple(parse_shift(h) for h in s.hours), s.reason)
                for s in self.special
            ),
            holidays=holidays,
        )
