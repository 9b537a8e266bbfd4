"""Business calendars: hand-computed examples, DST, holidays, and properties against a
slow reference that converts every local interval with zoneinfo directly."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from deskui.domain.calendar import ALWAYS, DAY_NAMES, BusinessCalendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOUR = 3600.0
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def office(timezone: str = "UTC", hours=("08:00-18:00",), **kwargs) -> BusinessCalendar:
    """Mon-Fri with the given hours."""
    return BusinessCalendar.from_config(
        name="office", timezone=timezone, weekly_hours={d: list(hours) for d in WEEKDAYS}, **kwargs
    )


def every_day(timezone: str, hours=("09:00-17:00",)) -> BusinessCalendar:
    return BusinessCalendar.from_config(
        name="daily", timezone=timezone, weekly_hours={d: list(hours) for d in DAY_NAMES}
    )


def utc(local: datetime, tz: str) -> datetime:
    """A local wall-clock time (fold=0) as naive UTC."""
    return local.replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------- hand-computed examples


def test_friday_afternoon_four_hour_target_is_due_monday_ten():
    cal = office()
    friday_4pm = datetime(2024, 3, 8, 16, 0)  # a Friday
    assert friday_4pm.weekday() == 4
    assert cal.add_business_seconds(friday_4pm, 4 * HOUR) == datetime(2024, 3, 11, 10, 0)
    assert cal.business_seconds(friday_4pm, datetime(2024, 3, 11, 10, 0)) == 4 * HOUR


def test_friday_afternoon_in_new_york_is_due_monday_ten_local():
    tz = "America/New_York"
    cal = office(tz)
    start = utc(datetime(2024, 3, 8, 16, 0), tz)  # Fri 16:00 EST = 21:00 UTC
    assert start == datetime(2024, 3, 8, 21, 0)
    # Monday 10:00 EDT (DST began on Sunday 10 March) = 14:00 UTC
    assert cal.add_business_seconds(start, 4 * HOUR) == datetime(2024, 3, 11, 14, 0)


def test_split_day_lunch_break_is_not_counted():
    cal = office(hours=("08:00-12:00", "13:00-17:00"))
    monday_11 = datetime(2024, 3, 4, 11, 0)
    assert cal.add_business_seconds(monday_11, 2 * HOUR) == datetime(2024, 3, 4, 14, 0)
    assert cal.business_seconds(datetime(2024, 3, 4, 0), datetime(2024, 3, 5, 0)) == 8 * HOUR
    assert not cal.is_open(datetime(2024, 3, 4, 12, 30))
    assert cal.is_open(datetime(2024, 3, 4, 13, 0))
    assert not cal.is_open(datetime(2024, 3, 4, 17, 0))  # end is exclusive


def test_result_lands_on_closing_time_not_next_opening():
    cal = office()
    monday_8 = datetime(2024, 3, 4, 8, 0)
    assert cal.add_business_seconds(monday_8, 10 * HOUR) == datetime(2024, 3, 4, 18, 0)
    assert cal.add_business_seconds(monday_8, 10 * HOUR + 1) == datetime(2024, 3, 5, 8, 0, 1)


def test_zero_seconds_returns_start_even_when_closed_and_negative_raises():
    cal = office()
    saturday = datetime(2024, 3, 9, 12, 0)
    assert cal.add_business_seconds(saturday, 0) == saturday
    with pytest.raises(ValueError):
        cal.add_business_seconds(saturday, -1)


def test_start_outside_hours_waits_for_next_opening():
    cal = office()
    saturday = datetime(2024, 3, 9, 12, 0)
    assert cal.add_business_seconds(saturday, 60) == datetime(2024, 3, 11, 8, 1)
    assert cal.business_seconds(saturday, datetime(2024, 3, 11, 8, 0)) == 0


def test_five_business_days_over_weeks_and_a_year_boundary():
    cal = office(hours=("09:00-17:00",))
    start = datetime(2024, 12, 20, 9, 0)  # Friday
    # 30 business days of 8h: 6 weeks later, same time
    assert cal.add_business_seconds(start, 30 * 8 * HOUR) == datetime(2025, 1, 30, 17, 0)
    assert cal.business_seconds(start, datetime(2025, 1, 30, 17, 0)) == 30 * 8 * HOUR


def test_long_span_matches_weekly_arithmetic():
    cal = office(hours=("09:00-17:00",))
    start = datetime(2024, 1, 1)  # Monday
    assert cal.business_seconds(start, start + timedelta(weeks=52)) == 52 * 40 * HOUR
    assert cal.weekly_seconds() == 40 * HOUR


def test_open_intervals_merge_across_midnight_for_24x7():
    cal = BusinessCalendar.always_open()
    start, end = datetime(2024, 3, 8, 10), datetime(2024, 3, 12, 3)
    assert list(cal.open_intervals(start, end)) == [(start, end)]


def test_open_intervals_of_office_week():
    cal = office(hours=("09:00-17:00",))
    got = list(cal.open_intervals(datetime(2024, 3, 8, 12), datetime(2024, 3, 11, 10)))
    assert got == [
        (datetime(2024, 3, 8, 12), datetime(2024, 3, 8, 17)),
        (datetime(2024, 3, 11, 9), datetime(2024, 3, 11, 10)),
    ]


def test_weekly_tuple_form_with_midnight_end():
    cal = BusinessCalendar(
        timezone="UTC",
        weekly=(((time(22), time(0)),),) + ((),) * 6,  # Mondays 22:00-24:00 only
    )
    monday = datetime(2024, 3, 4)
    assert cal.business_seconds(monday, monday + timedelta(days=7)) == 2 * HOUR
    assert cal.add_business_seconds(monday, 2 * HOUR) == datetime(2024, 3, 5, 0, 0)
    assert cal.add_business_seconds(monday, 2 * HOUR + 1) == datetime(2024, 3, 11, 22, 0, 1)


# ---------------------------------------------------------------- holidays


def test_explicit_holiday_is_closed():
    cal = office(holidays=["2024-03-11"])  # the Monday
    assert cal.is_closed_day(date(2024, 3, 11))
    assert cal.closed_reason(date(2024, 3, 11)) == "holiday"
    assert cal.add_business_seconds(datetime(2024, 3, 8, 16), 4 * HOUR) == datetime(2024, 3, 12, 10)
    assert cal.business_seconds(datetime(2024, 3, 11), datetime(2024, 3, 12)) == 0
    assert not cal.is_open(datetime(2024, 3, 11, 12))


def test_country_holidays_are_closed():
    cal = office("Europe/London", holiday_country="GB-ENG")
    # Easter 2024: Good Friday 29 March, Easter Monday 1 April (England)
    assert cal.holiday_name(date(2024, 3, 29)) == "Good Friday"
    assert cal.is_closed_day(date(2024, 4, 1))
    assert not cal.is_closed_day(date(2024, 4, 2))
    start = utc(datetime(2024, 3, 28, 16), "Europe/London")
    # Thu 16-18 (2h), then Tuesday 08:00 BST + 2h = 10:00 BST = 09:00 UTC
    assert cal.add_business_seconds(start, 4 * HOUR) == datetime(2024, 4, 2, 9, 0)
    gb = office("Europe/London", holiday_country="GB")
    assert gb.is_closed_day(date(2024, 12, 25)) and gb.is_closed_day(date(2024, 12, 26))
    assert gb.business_seconds(datetime(2024, 12, 23), datetime(2024, 12, 28)) == 3 * 10 * HOUR


def test_weekly_closed_day_reason_and_gap_description():
    cal = office("Europe/London", holiday_country="GB-ENG")
    assert cal.closed_reason(date(2024, 3, 30)) == "no hours on Sat"
    assert cal.closed_reason(date(2024, 3, 28)) is None
    text = cal.describe_gap(datetime(2024, 3, 28, 18), datetime(2024, 4, 2, 7))
    assert "Good Friday" in text and "Easter Monday" in text and "Sat" in text and "Sun" in text
    assert cal.describe_gap(datetime(2024, 4, 2, 17), datetime(2024, 4, 3, 7)) == "outside business hours"


# ---------------------------------------------------------------- time zones and DST

DST_CASES = [
    # zone, date of change, 09:00 local in UTC the day before, the day after
    ("Europe/London", date(2024, 3, 31), time(9), time(8)),
    ("Europe/London", date(2024, 10, 27), time(8), time(9)),
    ("America/New_York", date(2024, 3, 10), time(14), time(13)),
    ("America/New_York", date(2024, 11, 3), time(13), time(14)),
]


@pytest.mark.parametrize("zone, change, before_utc, after_utc", DST_CASES)
def test_nine_to_five_has_eight_hours_either_side_of_dst(zone, change, before_utc, after_utc):
    cal = every_day(zone)
    for offset in range(-3, 4):
        day = change + timedelta(days=offset)
        midnight = utc(datetime.combine(day, time(0)), zone)
        next_midnight = utc(datetime.combine(day + timedelta(days=1), time(0)), zone)
        assert cal.business_seconds(midnight, next_midnight) == 8 * HOUR
        opening = next(iter(cal.open_intervals(utc(datetime.combine(day, time(0)), zone),
                                               utc(datetime.combine(day, time(23, 59)), zone))))
        expected = before_utc if offset < 0 else after_utc
        assert opening[0] == datetime.combine(day, expected)
        assert opening[1] - opening[0] == timedelta(hours=8)


@pytest.mark.parametrize(
    "zone, change, hours",
    [
        ("Europe/London", date(2024, 3, 31), 23),
        ("Europe/London", date(2024, 10, 27), 25),
        ("America/New_York", date(2024, 3, 10), 23),
        ("America/New_York", date(2024, 11, 3), 25),
    ],
)
def test_a_whole_day_open_has_the_real_length_of_a_dst_day(zone, change, hours):
    cal = every_day(zone, hours=("00:00-24:00",))
    lo = utc(datetime.combine(change, time(0)), zone)
    hi = utc(datetime.combine(change + timedelta(days=1), time(0)), zone)
    assert cal.business_seconds(lo, hi) == hours * HOUR
    night = every_day(zone, hours=("00:00-04:00",))
    assert night.business_seconds(lo, hi) == (hours - 20) * HOUR  # 3h in spring, 5h in autumn


def test_interval_inside_the_spring_gap_has_no_business_time():
    cal = every_day("America/New_York", hours=("02:00-03:00",))
    day = datetime(2024, 3, 10)
    assert cal.business_seconds(day, day + timedelta(days=1)) == 0
    assert cal.business_seconds(day - timedelta(days=1), day) == HOUR


@pytest.mark.parametrize("zone, hours, day, expected", [
    # Spring, a start the clock skips: 01:30 London never shows; the wall clock passes it
    # at the change, 01:00 UTC (02:00 BST), not at 01:30 UTC (02:30 BST).
    ("Europe/London", "01:30-06:00", datetime(2026, 3, 29), (datetime(2026, 3, 29, 1), datetime(2026, 3, 29, 5))),
    # Spring, an end the clock skips: 02:30 New York is passed at 03:00 EDT (07:00 UTC).
    ("America/New_York", "00:00-02:30", datetime(2026, 3, 8), (datetime(2026, 3, 8, 5), datetime(2026, 3, 8, 7))),
    # Autumn, a start the clock shows twice: counted from its first showing (01:30 BST).
    ("Europe/London", "01:30-06:00", datetime(2026, 10, 25),
     (datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 6))),
    # Autumn, an end the clock shows twice: counted to its first showing (01:30 EDT).
    ("America/New_York", "00:00-01:30", datetime(2026, 11, 1),
     (datetime(2026, 11, 1, 4), datetime(2026, 11, 1, 5, 30))),
])
def test_a_boundary_in_a_changed_hour_counts_from_when_the_wall_clock_passes_it(zone, hours, day, expected):
    cal = every_day(zone, hours=(hours,))
    lo, hi = day - timedelta(hours=2), day + timedelta(days=1)
    assert list(cal.open_intervals(lo, hi)) == [expected]
    assert cal.business_seconds(lo, hi) == (expected[1] - expected[0]).total_seconds()
    assert cal.add_business_seconds(lo, 60) == expected[0] + timedelta(minutes=1)


def test_hand_computed_across_london_spring_forward():
    cal = office("Europe/London")
    friday_4pm = utc(datetime(2024, 3, 29, 16), "Europe/London")  # GMT: 16:00 UTC
    assert friday_4pm == datetime(2024, 3, 29, 16)
    # Mon 1 April 10:00 BST = 09:00 UTC
    assert cal.add_business_seconds(friday_4pm, 4 * HOUR) == datetime(2024, 4, 1, 9)


# ---------------------------------------------------------------- configuration


def test_from_config_round_trips_and_accepts_both_shapes():
    cal = BusinessCalendar.from_config(
        name="EU",
        timezone="Europe/Berlin",
        weekly_hours={"mon": ["08:00-12:00", "13:00-18:00"], "Friday": [["08:00", "24:00"]], "sat": []},
        holidays=["2024-12-24", "2024-12-31"],
        holiday_country="DE-BY",
    )
    data = cal.to_json_dict()
    assert data["weekly_hours"]["mon"] == [["08:00", "12:00"], ["13:00", "18:00"]]
    assert data["weekly_hours"]["fri"] == [["08:00", "24:00"]]
    assert data["weekly_hours"]["sun"] == []
    assert data["holidays"] == ["2024-12-24", "2024-12-31"]
    assert BusinessCalendar.from_config(**data) == cal
    assert cal.weekly[4] == ((time(8), time(0)),)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"timezone": "Mars/Olympus"}, ["timezone", "Mars/Olympus"]),
        ({"weekly_hours": {"mon": ["25:00-26:00"]}}, ["weekly_hours.mon[0]", "25:00"]),
        ({"weekly_hours": {"mon": ["9-17"]}}, ["weekly_hours.mon[0]", "9"]),
        ({"weekly_hours": {"tue": ["18:00-08:00"]}}, ["weekly_hours.tue[0]", "18:00-08:00"]),
        ({"weekly_hours": {"wed": ["08:00-08:00"]}}, ["weekly_hours.wed[0]", "start"]),
        ({"weekly_hours": {"thu": [["08:00"]]}}, ["weekly_hours.thu[0]"]),
        ({"weekly_hours": {"mon": ["08:00-12:00", "11:00-13:00"]}}, ["mon", "overlap"]),
        ({"weekly_hours": {"funday": ["08:00-12:00"]}}, ["funday"]),
        ({"weekly_hours": {}}, ["weekly hours are empty"]),
        ({"holidays": ["2024-02-30"]}, ["holidays[0]", "2024-02-30"]),
        ({"holiday_country": "XX"}, ["holiday_country", "XX"]),
    ],
)
def test_from_config_errors_name_field_and_value(kwargs, words):
    config = {"name": "bad", "timezone": "UTC", "weekly_hours": {"mon": ["08:00-18:00"]}} | kwargs
    with pytest.raises(ValueError) as info:
        BusinessCalendar.from_config(**config)
    message = str(info.value)
    assert "calendar 'bad'" in message
    for word in words:
        assert word in message


def test_a_calendar_with_no_open_hours_is_refused():
    with pytest.raises(ValueError):
        BusinessCalendar(weekly=((),) * 7)
    with pytest.raises(ValueError):
        BusinessCalendar(weekly=ALWAYS[:6])
    with pytest.raises(ValueError, match="pairs"):
        BusinessCalendar(weekly=((time(9), time(17)),) * 7)  # pairs not wrapped per day


def mondays_only_with_holidays(weeks: int) -> BusinessCalendar:
    return BusinessCalendar(
        weekly=(((time(9), time(10)),),) + ((),) * 6,
        holidays=frozenset(date(2024, 1, 1) + timedelta(weeks=w) for w in range(weeks)),
    )


def test_long_closures_are_skipped_and_a_decade_closed_raises_instead_of_looping():
    start = datetime(2024, 1, 1)
    # every Monday for 100 weeks is a holiday: the first hour after them is found
    cal = mondays_only_with_holidays(100)
    assert cal.add_business_seconds(start, 1) == start + timedelta(weeks=100, hours=9, seconds=1)
    with pytest.raises(ValueError, match="no business hours"):
        mondays_only_with_holidays(600).add_business_seconds(start, 1)


# ---------------------------------------------------------------- properties

ZONES = ["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata"]


@st.composite
def day_hours(draw):
    """0-3 non-overlapping half-hour-aligned intervals, possibly ending at 24:00."""
    points = sorted(draw(st.sets(st.integers(0, 48), max_size=6)))
    if len(points) % 2:
        points = points[:-1]
    spans = []
    for s, e in zip(points[::2], points[1::2]):
        start = time(s // 2, 30 * (s % 2))
        end = time(0) if e == 48 else time(e // 2, 30 * (e % 2))
        spans.append((start, end))
    return tuple(spans)


@st.composite
def calendars(draw):
    weekly = tuple(draw(day_hours()) for _ in range(7))
    assume(any(weekly))
    holidays = draw(st.frozensets(st.dates(date(2023, 12, 1), date(2025, 2, 1)), max_size=12))
    country = draw(st.sampled_from(["", "", "US", "GB-ENG"]))
    return BusinessCalendar(
        timezone=draw(st.sampled_from(ZONES)), weekly=weekly, holidays=holidays, holiday_country=country
    )


instants = st.datetimes(datetime(2024, 1, 1), datetime(2024, 12, 31)).map(lambda d: d.replace(microsecond=0))


def _wall_to_utc(local: datetime) -> datetime:
    """A local wall time as naive UTC; a time the clock skips (spring forward) is the
    instant the wall clock passes it: the change itself (issue 19.4), found plainly
    by walking the skipped hour minute by minute."""
    utc = local.astimezone(timezone.utc)
    if utc.astimezone(local.tzinfo).replace(tzinfo=None) == local.replace(tzinfo=None):
        return utc.replace(tzinfo=None)
    earliest = local.replace(fold=1).astimezone(timezone.utc)  # the offset after the change: earlier in UTC
    probe = earliest
    while probe.astimezone(local.tzinfo).replace(tzinfo=None) < local.replace(tzinfo=None):
        probe += timedelta(minutes=1)
    return probe.replace(tzinfo=None)


def reference_seconds(cal: BusinessCalendar, lo: datetime, hi: datetime) -> float:
    """Slow and plain: convert every local interval of every nearby day with zoneinfo."""
    tz = ZoneInfo(cal.timezone)
    spans = []
    day = (lo - timedelta(days=2)).date()
    while day <= (hi + timedelta(days=2)).date():
        if cal.holiday_name(day) is None:
            for start, end in cal.weekly[day.weekday()]:
                a = datetime.combine(day, start, tzinfo=tz)
                b = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz) if end == time(0) \
                    else datetime.combine(day, end, tzinfo=tz)
                a, b = (_wall_to_utc(x) for x in (a, b))
                if b > a:
                    spans.append((max(a, lo), min(b, hi)))
        day += timedelta(days=1)
    spans = sorted(s for s in spans if s[1] > s[0])
    total, cursor = 0.0, None
    for a, b in spans:  # union
        if cursor is not None and a < cursor:
            a = cursor
        if b > a:
            total += (b - a).total_seconds()
            cursor = b
    return total


@SETTINGS
@given(calendars(), instants, st.integers(0, 60 * 24 * 40))
def test_business_seconds_matches_reference(cal, start, minutes):
    end = start + timedelta(minutes=minutes)
    assert cal.business_seconds(start, end) == reference_seconds(cal, start, end)


@SETTINGS
@given(calendars(), instants, st.integers(1, 60 * 24 * 3))
def test_time_outside_business_hours_never_counts(cal, start, minutes):
    end = start + timedelta(minutes=minutes)
    intervals = list(cal.open_intervals(start, end))
    total = sum((b - a).total_seconds() for a, b in intervals)
    assert total == cal.business_seconds(start, end)
    cursor = start
    for a, b in intervals:
        assert cursor <= a < b <= end
        assert cal.is_open(a) and cal.is_open(b - timedelta(microseconds=1))
        if a > cursor:  # a gap: closed throughout, so it adds nothing
            assert not cal.is_open(cursor) and not cal.is_open(a - timedelta(microseconds=1))
            assert cal.business_seconds(cursor, a) == 0
        cursor = b
    if cursor < end:
        assert cal.business_seconds(cursor, end) == 0
        assert not cal.is_open(cursor)


@SETTINGS
@given(calendars(), instants, st.integers(0, 200 * 3600 * 1_000_000))
def test_add_then_measure_round_trip(cal, start, micros):
    seconds = micros / 1_000_000
    due = cal.add_business_seconds(start, seconds)
    assert due >= start
    assert cal.business_seconds(start, due) == seconds
    if micros:
        # earliest: a microsecond earlier is not enough
        assert cal.business_seconds(start, due - timedelta(microseconds=1)) < seconds


@SETTINGS
@given(calendars(), instants, st.integers(0, 60 * 24 * 30))
def test_measure_then_add_round_trip(cal, start, minutes):
    end = start + timedelta(minutes=minutes)
    seconds = cal.business_seconds(start, end)
    back = cal.add_business_seconds(start, seconds)
    assert back <= end
    assert cal.business_seconds(back, end) == 0  # only closed time lies between
    if cal.is_open(end - timedelta(microseconds=1)) and seconds:
        assert back == end


@SETTINGS
@given(instants, st.integers(0, 10**12))
def test_always_open_is_wall_clock(start, micros):
    cal = BusinessCalendar.always_open()
    delta = timedelta(microseconds=micros)
    assert cal.business_seconds(start, start + delta) == delta.total_seconds()
    assert cal.add_business_seconds(start, delta.total_seconds()) == start + delta
    assert cal.business_seconds(start + delta, start) == 0


@SETTINGS
@given(calendars())
def test_to_json_dict_round_trips(cal):
    assert BusinessCalendar.from_config(**cal.to_json_dict()) == cal
