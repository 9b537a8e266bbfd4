"""Pure metric helpers: periods of local days, UTC offsets, targets, assessment, formatting."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from deskui.domain.metrics import (
    BAD, GOOD, HIGHER, LOWER, NEAR, NONE, MetricsConfig, Targets, assess, choose_period, epoch_seconds,
    format_change, format_minutes, format_target, format_value, last_days, local_parts, percentile,
    period_of_days, utc_offsets, zone,
)

NOW = datetime(2026, 11, 16, 9, 0)


def test_period_of_local_days_in_summer_time():
    p = period_of_days(date(2026, 7, 1), date(2026, 7, 3), "Europe/London")
    assert (p.since, p.until, p.days) == (datetime(2026, 6, 30, 23), datetime(2026, 7, 2, 23), 2)
    assert p.previous() == period_of_days(date(2026, 6, 29), date(2026, 7, 1), "Europe/London")
    assert p.label() == "2026-07-01 .. 2026-07-02"


def test_default_period_is_the_last_30_days_with_today():
    p = last_days(NOW, "Europe/London", 30)
    assert (p.first_day, p.last_day) == (date(2026, 10, 18), date(2026, 11, 16))
    # a period across the October change: 30 local days are 30 * 24 + 1 hours
    assert p.until - p.since == timedelta(days=30, hours=1)
    # late evening in New York is already tomorrow in UTC, not locally
    assert last_days(datetime(2026, 11, 17, 3), "America/New_York", 1).first_day == date(2026, 11, 16)


def test_choose_period_from_options():
    tz = "Europe/London"
    assert choose_period(None, None, NOW, tz, 7).first_day == date(2026, 11, 10)
    only_since = choose_period("2026-11-01", None, NOW, tz)
    assert (only_since.first_day, only_since.end_day) == (date(2026, 11, 1), date(2026, 11, 17))
    only_until = choose_period(None, "2026-10-01", NOW, tz)
    assert (only_until.first_day, only_until.end_day) == (date(2026, 9, 1), date(2026, 10, 1))
    future_since = choose_period("2026-12-01", None, NOW, tz)
    assert future_since.days == 1
    with pytest.raises(ValueError, match=r"--since: '1/11/2026' is not a date \(YYYY-MM-DD\)"):
        choose_period("1/11/2026", None, NOW, tz)
    with pytest.raises(ValueError, match=r"--until \(2026-11-01\) must be after --since \(2026-11-02\)"):
        choose_period("2026-11-02", "2026-11-01", NOW, tz)
    with pytest.raises(ValueError, match="timezone: 'Mars/Olympus' is not an IANA time zone"):
        choose_period(None, None, NOW, "Mars/Olympus")


def test_utc_offsets_find_the_transitions_to_the_second():
    offsets = utc_offsets("Europe/London", datetime(2026, 1, 1), datetime(2027, 1, 1))
    assert [o for _, o in offsets] == [0, 3600, 0]
    assert offsets[1][0] == epoch_seconds(datetime(2026, 3, 29, 1))
    assert offsets[2][0] == epoch_seconds(datetime(2026, 10, 25, 1))
    assert utc_offsets("UTC", datetime(2026, 1, 1), datetime(2027, 1, 1)) == [(epoch_seconds(datetime(2026, 1, 1)), 0)]
    # half-hour zones
    assert {o for _, o in utc_offsets("Asia/Kolkata", datetime(2026, 1, 1), datetime(2026, 2, 1))} == {19800}


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2037, 12, 31)),
       st.sampled_from(["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]))
def test_offset_table_agrees_with_zoneinfo(at, tz):
    at = at.replace(microsecond=0)
    offsets = utc_offsets(tz, at - timedelta(days=3), at + timedelta(days=3))
    second = epoch_seconds(at)
    applied = [o for start, o in offsets if start <= second][-1] if second >= offsets[0][0] else offsets[0][1]
    local = at.replace(tzinfo=timezone.utc).astimezone(zone(tz))
    assert applied == local.utcoffset().total_seconds()
    day, weekday, hour = local_parts(at, tz)
    assert (weekday, hour) == (local.weekday(), local.hour)


def test_percentile_matches_percentile_cont_examples():
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert percentile([5, 5, 5], 0.9) == 5


def test_targets_from_config():
    t = Targets.from_mapping({"fcr_rate": 75, "mttr_hours_incident": 6, "csat_satisfied_share": 0.9})
    assert (t.fcr_rate, t.mttr_hours_incident, t.csat_satisfied_share, t.sla_compliance) == (0.75, 6.0, 0.9, 0.95)
    with pytest.raises(ValueError, match="targets: unknown key 'fcr'; allowed: fcr_rate, first_response_minutes_p1_p2"):
        Targets.from_mapping({"fcr": 1})
    with pytest.raises(ValueError, match="targets.fcr_rate: 'high' is not a number >= 0"):
        Targets.from_mapping({"fcr_rate": "high"})
    with pytest.raises(ValueError, match="targets.sla_compliance: 150 is not a share"):
        Targets.from_mapping({"sla_compliance": 150})
    config = MetricsConfig.from_config({}, {"timezone": "UTC", "recurrence_window_days": 14})
    assert (config.timezone, config.window_days, config.default_days) == ("UTC", 14, 30)
    with pytest.raises(ValueError, match="metrics: unknown key 'tz'"):
        MetricsConfig.from_config({}, {"tz": "UTC"})
    with pytest.raises(ValueError, match=r"metrics.default_days: 0 is not a whole number of days \(1-3660\)"):
        MetricsConfig.from_config({}, {"default_days": 0})


def test_assess_against_targets():
    assert assess(0.95, 0.95, HIGHER) == GOOD  # "95 %" meets a 95 % target
    assert assess(0.90, 0.95, HIGHER) == NEAR  # within 10 % of the target
    assert assess(0.80, 0.95, HIGHER) == BAD
    assert assess(29.9, 30, LOWER) == GOOD
    assert assess(30, 30, LOWER) == NEAR  # "< 30 min" is strict
    assert assess(34, 30, LOWER) == BAD
    assert assess(None, 30, LOWER) == NONE


def test_formatting():
    assert format_minutes(42.4) == "42m" and format_minutes(185) == "3h 05m" and format_minutes(3000) == "2d 2h"
    assert format_value(0.8333, "%") == "83.3%" and format_value(None, "h") == "-"
    assert format_value(1234, "") == "1,234" and format_value(4.05, "/5") == "4.05/5"
    assert format_target(0.7, "%", HIGHER) == "≥ 70.0%" and format_target(30, "min", LOWER) == "< 30m"
    assert format_change(0.032, "%") == "+3.2 pt" and format_change(-12, "min") == "-12m"
    assert format_change(0, "") == "±0" and format_change(None, "%") == ""
