# Why: business hours decide what every caller hears first; these pin split shifts,
# closures, special days and holidays, and (with hypothesis) the daylight-saving rule
# of `core/hours.py` against a naive minute-by-minute walk of the local clock.
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from joignable.core.hours import (
    Closure,
    Schedule,
    Shift,
    SpecialDay,
    is_open,
    next_closing,
    next_opening,
    status,
)
from joignable.schema.hours import HoursSpec, parse_shift

PARIS = ZoneInfo("Europe/Paris")
SPLIT = (Shift(8 * 60 + 30, 12 * 60 + 30), Shift(13 * 60 + 30, 18 * 60))


def _office(zone: str = "Europe/Paris", **kw: object) -> Schedule:
    week = tuple(SPLIT if d < 5 else () for d in range(7))
    return Schedule(name="office", zone=zone, week=week, **kw)  # type: ignore[arg-type]


def _at(y: int, mo: int, d: int, h: int, mi: int = 0, zone: ZoneInfo = PARIS) -> float:
    return datetime(y, mo, d, h, mi, tzinfo=zone).timestamp()


def test_split_shift_is_closed_at_lunch() -> None:
    s = _office()
    assert is_open(s, _at(2026, 3, 4, 9))  # a Wednesday
    assert not is_open(s, _at(2026, 3, 4, 12, 45))
    assert status(s, _at(2026, 3, 4, 12, 45)).reason == "outside_hours"
    assert next_opening(s, _at(2026, 3, 4, 12, 45)) == _at(2026, 3, 4, 13, 30)
    assert next_closing(s, _at(2026, 3, 4, 9)) == _at(2026, 3, 4, 12, 30)
    assert not is_open(s, _at(2026, 3, 4, 12, 30))  # the end is excluded
    assert is_open(s, _at(2026, 3, 4, 8, 30))  # the start is included


def test_weekend_next_opening_is_monday() -> None:
    s = _office()
    assert next_opening(s, _at(2026, 3, 7, 10)) == _at(2026, 3, 9, 8, 30)


def test_holiday_closure_and_special_day() -> None:
    s = _office(
        holidays={date(2026, 5, 1): "Fête du Travail"},
        closures=(Closure(date(2026, 8, 10), date(2026, 8, 14), "summer closure"),),
        special=(
            SpecialDay(date(2026, 5, 1), (Shift(9 * 60, 12 * 60),), "open on May Day"),
            SpecialDay(date(2026, 8, 12), (), "move"),
        ),
    )
    st_ = status(s, _at(2026, 8, 11, 10))
    assert (st_.open, st_.reason, st_.label) == (False, "closure", "summer closure")
    assert status(s, _at(2026, 8, 12, 10)).reason == "special"  # special beats the closure
    assert status(s, _at(2026, 5, 1, 10)).open  # the special day beats the holiday
    assert not is_open(s, _at(2026, 5, 1, 13, 30))  # the special day's own hours
    assert next_opening(s, _at(2026, 8, 10, 7)) == _at(2026, 8, 17, 8, 30)
    plain = _office(holidays={date(2026, 5, 1): "Fête du Travail"})
    closed = status(plain, _at(2026, 5, 1, 10))
    assert (closed.open, closed.reason, closed.label) == (False, "holiday", "Fête du Travail")


def test_never_open_and_always_open() -> None:
    never = Schedule("never", "UTC", week=((),) * 7)
    assert next_opening(never, 0.0) is None
    always = Schedule("always", "UTC", week=((Shift(0, 1440),),) * 7)
    assert next_closing(always, 0.0) is None
    assert is_open(always, 1e9)


def test_spring_forward_start_in_the_gap_opens_when_the_gap_ends() -> None:
    # 29 March 2026, Paris: 02:00 CET -> 03:00 CEST; 02:30 never happens
    s = Schedule("night", "Europe/Paris", week=((Shift(150, 300),),) * 7)
    gap_end = datetime(2026, 3, 29, 1, 0, tzinfo=UTC).timestamp()  # 03:00 CEST
    assert next_opening(s, _at(2026, 3, 29, 1)) == gap_end
    assert not is_open(s, gap_end - 1)
    assert next_closing(s, gap_end) == _at(2026, 3, 29, 5)


def test_fall_back_ambiguous_end_is_the_first_occurrence() -> None:
    # 25 October 2026, Paris: 03:00 CEST -> 02:00 CET; 02:30 happens twice
    s = Schedule("night", "Europe/Paris", week=((Shift(60, 150),),) * 7)
    first_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC).timestamp()
    assert next_closing(s, _at(2026, 10, 25, 1)) == first_0230
    assert not is_open(s, first_0230 + 3600)  # the second 02:30 (CET): closed
    full = Schedule("day", "Europe/Paris", week=((Shift(0, 1440),),) * 7)
    start = _at(2026, 10, 25, 0)
    assert next_closing(full, start) is None  # back to back, never closes
    assert is_open(full, start + 24.5 * 3600)  # the 25-hour day


def test_schema_reads_written_hours_and_holidays() -> None:
    spec = HoursSpec.model_validate(
        {
            "zone": "Europe/Paris",
            "week": {"mon": ["08:30-12:30", "13:30-18:00"]},
            "holidays": "FR",
            "closures": [{"from": date(2026, 8, 10), "to": date(2026, 8, 14), "reason": "x"}],
        }
    )
    s = spec.schedule("office")
    assert s.week[0] == SPLIT and s.week[1] == ()
    assert s.holidays[date(2026, 7, 14)] == "National Day"
    moselle = HoursSpec.model_validate({"zone": "Europe/Paris", "holidays": "FR-57"})
    assert date(2026, 4, 3) in moselle.schedule("m").holidays  # Good Friday: Moselle only
    assert date(2026, 4, 3) not in s.holidays
    by = HoursSpec.model_validate({"zone": "Europe/Berlin", "holidays": "DE-BY"})
    assert date(2026, 1, 6) in by.schedule("b").holidays  # Epiphany: Bavaria only
    assert (
        date(2026, 1, 6)
        not in HoursSpec.model_validate({"zone": "Europe/Berlin", "holidays": "DE"})
        .schedule("d")
        .holidays
    )


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"zone": "Europe/Paris", "week": {"mon": ["12:00-08:00"]}}, "ends after it starts"),
        ({"zone": "Europe/Paris", "week": {"mon": ["8h-12h"]}}, "not a shift"),
        ({"zone": "Europe/Paris", "week": {"mon": ["08:00-12:00", "11:00-13:00"]}}, "overlap"),
        ({"zone": "Europe/Paris", "week": {"lun": ["08:00-12:00"]}}, "unknown weekday"),
        ({"zone": "Mars/Olympus"}, "unknown time zone"),
        ({"zone": "UTC", "holidays": "FR-XX"}, "unknown subdivision"),
        ({"zone": "UTC", "holidays": "ZZ"}, "no public holidays"),
    ],
)
def test_schema_refuses_bad_hours(doc: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError) as exc:
        HoursSpec.model_validate(doc)
    assert words in str(exc.value)


def test_parse_shift_allows_24_00_as_an_end() -> None:
    assert parse_shift("22:00-24:00") == Shift(1320, 1440)


# --- properties around daylight-saving changes ------------------------------------

ZONES = ["Europe/Paris", "America/New_York"]
#: minutes 0..1440 in steps of 15, so shifts fall on the DST hour often
minutes = st.integers(0, 96).map(lambda q: q * 15)


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    zone = draw(st.sampled_from(ZONES))
    week = []
    for _ in range(7):
        cuts = sorted(set(draw(st.lists(minutes, max_size=4))))
        pairs = [Shift(a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
        week.append(tuple(pairs))
    return Schedule("prop", zone, tuple(week))


#: instants near the 2026 changes (Paris: 29 March, 25 October; New York: 8 March, 1 November)
CHANGES = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
]
instants = st.tuples(st.sampled_from(CHANGES), st.integers(-36 * 60, 36 * 60)).map(
    lambda p: (p[0] + timedelta(minutes=p[1])).timestamp()
)


def _naive_open(s: Schedule, t: float) -> bool:
    """The rule by brute force: a shift [a, b) of date d is open at t when the local
    clock has shown d at a or later at some instant <= t and has not yet shown d at b
    or later, walked minute by minute over the surrounding 3 days."""
    zone = ZoneInfo(s.zone)
    local = datetime.fromtimestamp(t, zone)
    for d in (local.date() - timedelta(days=1), local.date(), local.date() + timedelta(days=1)):
        for shift in s.day_rule(d)[0]:
            start = _first_shown(zone, d, shift.start)
            end = _first_shown(zone, d, shift.end)
            if start is not None and start <= t and (end is None or t < end):
                return True
    return False


def _first_shown(zone: ZoneInfo, d: date, minute: int) -> float | None:
    target = datetime(d.year, d.month, d.day) + timedelta(minutes=minute)
    base = datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() - 86400
    for m in range(4 * 1440):
        u = base + m * 60
        if datetime.fromtimestamp(u, zone).replace(tzinfo=None) >= target:
            return u
    return None


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(schedules(), instants)
def test_is_open_agrees_with_a_naive_walk(s: Schedule, t: float) -> None:
    t = t - t % 60  # the walk sees whole minutes
    assert is_open(s, t) == _naive_open(s, t)


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(schedules(), instants)
def test_next_opening_is_open_and_nothing_before_it(s: Schedule, t: float) -> None:
    nxt = next_opening(s, t)
    if nxt is None:
        assert all(not shifts for shifts in s.week)
        return
    assert nxt >= t and is_open(s, nxt)
    probe = t
    while probe < min(nxt, t + 3 * 86400):  # every quarter hour up to it is closed
        assert not is_open(s, probe)
        probe += 900


@settings(max_examples=100, deadline=None)
@given(schedules(), instants)
def test_next_closing_is_closed_and_open_until_it(s: Schedule, t: float) -> None:
    nxt = next_closing(s, t)
    if nxt is None:
        return
    assert nxt >= t and not is_open(s, nxt)
    probe = t
    while probe < min(nxt, t + 3 * 86400):
        assert is_open(s, probe)
        probe += 900
