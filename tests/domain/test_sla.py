"""The SLA clock: hand-computed tickets, state thresholds, pauses, reopen, and properties."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskui.domain.calendar import BusinessCalendar
from deskui.domain.enums import SlaState
from deskui.domain.sla import (
    ClockEvent,
    SlaTargets,
    evaluate,
    explain,
    format_business_duration,
)

H = 3600
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OFFICE = BusinessCalendar.from_config(
    name="office",
    timezone="UTC",
    weekly_hours={d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
)
LONDON = BusinessCalendar.from_config(
    name="London office",
    timezone="Europe/London",
    weekly_hours={d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    holiday_country="GB-ENG",
)
ALWAYS = BusinessCalendar.always_open()

MON = datetime(2024, 3, 4)  # a Monday
FRI = datetime(2024, 3, 8)


def ev(at: datetime, kind: str, note: str = "") -> ClockEvent:
    return ClockEvent(at, kind, note)


# ---------------------------------------------------------------- hand-computed


def test_friday_four_pm_four_hour_response_due_monday_ten():
    events = [ev(FRI.replace(hour=16), "open")]
    status = evaluate(events, SlaTargets(4 * H, 40 * H), OFFICE, now=FRI.replace(hour=17))
    assert status.response.due_at == datetime(2024, 3, 11, 10)
    assert status.response.elapsed_seconds == 1 * H
    assert status.response.state == SlaState.OK
    # resolution: 40h = 2h Friday + 3 full days (30h) + 8h Thursday -> Thu 16:00
    assert status.resolution.due_at == datetime(2024, 3, 14, 16)


def test_weekend_does_not_count_and_breach_instant_is_exact():
    events = [ev(FRI.replace(hour=16), "open")]
    status = evaluate(events, SlaTargets(4 * H, 40 * H), OFFICE, now=datetime(2024, 3, 11, 12))
    response = status.response
    assert response.elapsed_seconds == 6 * H  # Fri 16-18 + Mon 08-12
    assert response.state == SlaState.BREACHED
    assert response.breached_at == datetime(2024, 3, 11, 10)
    assert response.due_at == datetime(2024, 3, 11, 10)
    assert response.remaining_seconds == -2 * H
    assert response.share == 1.5


def test_response_stops_at_first_respond_only():
    events = [
        ev(MON.replace(hour=9), "open"),
        ev(MON.replace(hour=10), "respond", "first public reply by jdoe"),
        ev(MON.replace(hour=15), "respond", "second reply"),
    ]
    status = evaluate(events, SlaTargets(4 * H, 40 * H), OFFICE, now=MON.replace(hour=17))
    response = status.response
    assert response.stopped_at == MON.replace(hour=10)
    assert response.elapsed_seconds == 1 * H
    assert response.state == SlaState.MET
    assert response.stop_reason == "first public reply by jdoe"
    assert response.due_at == MON.replace(hour=13)  # the due time it had
    assert status.resolution.elapsed_seconds == 8 * H  # resolution keeps running


def test_response_stops_at_resolve_and_does_not_pause():
    events = [
        ev(MON.replace(hour=9), "open"),
        ev(MON.replace(hour=10), "pause", "pending: awaiting_requester"),
        ev(MON.replace(hour=14), "resolve"),
    ]
    status = evaluate(events, SlaTargets(4 * H, 40 * H), OFFICE, now=MON.replace(hour=17))
    assert status.response.elapsed_seconds == 5 * H  # no pause for response
    assert status.response.state == SlaState.BREACHED
    assert status.response.breached_at == MON.replace(hour=13)
    assert status.response.stopped_at == MON.replace(hour=14)
    assert status.resolution.elapsed_seconds == 1 * H  # paused 10-14
    assert status.resolution.state == SlaState.MET


def test_a_cancellation_voids_what_it_stops_but_keeps_a_breach():
    """Issue 19.1: a cancelled ticket's targets were not met. One the cancellation
    stops before its deadline is void (stored as met, left out of compliance, shown
    as not measured); one that had breached before stays breached."""
    opened = MON.replace(hour=9)
    events = [ev(opened, "open"), ev(MON.replace(hour=15), "cancel", "cancelled")]
    status = evaluate(events, SlaTargets(4 * H, 40 * H), OFFICE, now=FRI)
    assert status.response.state == SlaState.BREACHED and not status.response.void  # due 13:00, cancelled 15:00
    assert status.resolution.state == SlaState.MET and status.resolution.void
    lines = explain(status, OFFICE)
    assert any(line.startswith("resolution: not measured (the ticket was cancelled)") for line in lines)
    assert any("response: BREACHED" in line for line in lines)
    # A resolution is met for real: not void.
    resolved = evaluate([ev(opened, "open"), ev(MON.replace(hour=10), "resolve")], SlaTargets(4 * H, 40 * H),
                        OFFICE, now=FRI)
    assert resolved.resolution.state == SlaState.MET and not resolved.resolution.void


def test_reopen_resumes_resolution_where_it_stopped():
    events = [
        ev(MON.replace(hour=8), "open"),
        ev(MON.replace(hour=11), "resolve", "solved"),
        ev(datetime(2024, 3, 6, 9), "reopen", "requester says still broken"),
    ]
    targets = SlaTargets(1 * H, 8 * H)
    status = evaluate(events, targets, OFFICE, now=datetime(2024, 3, 6, 10))
    resolution = status.resolution
    assert resolution.elapsed_seconds == 4 * H  # 3h before resolve + 1h after reopen
    assert resolution.stopped_at is None
    assert resolution.state == SlaState.OK
    assert resolution.due_at == datetime(2024, 3, 6, 14)  # 4h left from 10:00
    # response does not restart on reopen
    assert status.response.stopped_at == MON.replace(hour=11)
    assert status.response.state == SlaState.BREACHED
    # before the reopen it was stopped and met
    before = evaluate(events, targets, OFFICE, now=datetime(2024, 3, 5, 12)).resolution
    assert before.state == SlaState.MET and before.stopped_at == MON.replace(hour=11)
    assert before.elapsed_seconds == 3 * H


def test_holiday_and_dst_in_a_london_ticket():
    # Opened Thu 28 March 2024 16:00 GMT; Good Friday and Easter Monday are holidays,
    # clocks go forward on Sunday 31 March.
    events = [ev(datetime(2024, 3, 28, 16), "open")]
    status = evaluate(events, SlaTargets(4 * H, 40 * H), LONDON, now=datetime(2024, 3, 28, 17))
    # 2h Thursday, then Tuesday 08:00 BST (07:00 UTC) + 2h
    assert status.response.due_at == datetime(2024, 4, 2, 9)


# ---------------------------------------------------------------- states


@pytest.mark.parametrize(
    "hours_elapsed, state",
    [(0.5, SlaState.OK), (2.99, SlaState.OK), (3, SlaState.AT_RISK), (3.99, SlaState.AT_RISK),
     (4, SlaState.AT_RISK),  # the deadline at this very instant has not passed
     (4.0003, SlaState.BREACHED), (5, SlaState.BREACHED)],
)
def test_running_state_thresholds(hours_elapsed, state):
    opened = MON.replace(hour=8)
    events = [ev(opened, "open")]
    now = opened + timedelta(seconds=round(hours_elapsed * H))
    response = evaluate(events, SlaTargets(4 * H, 40 * H, warn_share=0.75), OFFICE, now).response
    assert response.state == state
    assert (response.breached_at is not None) == (state == SlaState.BREACHED)


@pytest.mark.parametrize("hours_to_resolve, state", [(3, SlaState.MET), (4, SlaState.MET), (4.01, SlaState.BREACHED)])
def test_stopped_state_met_up_to_and_including_the_target(hours_to_resolve, state):
    opened = MON.replace(hour=8)
    resolved = opened + timedelta(seconds=round(hours_to_resolve * H))
    events = [ev(opened, "open"), ev(resolved, "resolve")]
    resolution = evaluate(events, SlaTargets(1 * H, 4 * H), OFFICE, now=MON.replace(hour=17)).resolution
    assert resolution.state == state
    assert resolution.due_at == MON.replace(hour=12)
    assert (resolution.breached_at == MON.replace(hour=12)) == (state == SlaState.BREACHED)


def test_paused_state_unless_already_breached():
    opened = MON.replace(hour=8)
    targets = SlaTargets(1 * H, 4 * H)
    early_pause = [ev(opened, "open"), ev(MON.replace(hour=9), "pause", "pending: awaiting_vendor")]
    resolution = evaluate(early_pause, targets, OFFICE, now=MON.replace(hour=17)).resolution
    assert resolution.state == SlaState.PAUSED
    assert resolution.due_at is None
    assert resolution.elapsed_seconds == 1 * H
    late_pause = [ev(opened, "open"), ev(MON.replace(hour=13), "pause", "pending: awaiting_vendor")]
    resolution = evaluate(late_pause, targets, OFFICE, now=MON.replace(hour=17)).resolution
    assert resolution.state == SlaState.BREACHED
    assert resolution.breached_at == MON.replace(hour=12)


def test_pause_at_exactly_now_is_paused():
    opened = MON.replace(hour=8)
    events = [ev(opened, "open"), ev(MON.replace(hour=9), "pause")]
    resolution = evaluate(events, SlaTargets(1 * H, 4 * H), OFFICE, now=MON.replace(hour=9)).resolution
    assert resolution.state == SlaState.PAUSED


def test_unsorted_redundant_and_future_events():
    opened = MON.replace(hour=8)
    events = [
        ev(MON.replace(hour=12), "resume"),
        ev(MON.replace(hour=10), "pause", "pending: awaiting_requester"),
        ev(MON.replace(hour=11), "pause", "again"),  # already paused: no-op
        ev(opened, "open"),
        ev(MON.replace(hour=13), "reopen"),  # not stopped: no-op
        ev(MON.replace(hour=13), "resume"),  # not paused: no-op
        ev(MON.replace(hour=7), "respond"),  # before the open: ignored
        ev(MON.replace(hour=16), "resolve"),  # after now: not yet happened
        ev(opened, "open"),  # second open: no-op
    ]
    status = evaluate(events, SlaTargets(4 * H, 40 * H), OFFICE, now=MON.replace(hour=14))
    assert status.resolution.elapsed_seconds == 4 * H  # 8-10 and 12-14
    assert status.resolution.state == SlaState.OK
    assert status.resolution.stopped_at is None
    assert status.response.elapsed_seconds == 6 * H
    assert evaluate(list(reversed(events)), SlaTargets(4 * H, 40 * H), OFFICE, now=MON.replace(hour=14)) == status


def test_now_before_open_has_not_started():
    opened = MON.replace(hour=10)
    status = evaluate([ev(opened, "open")], SlaTargets(1 * H, 4 * H), OFFICE, now=MON.replace(hour=9))
    assert status.response.elapsed_seconds == 0
    assert status.response.state == SlaState.OK
    assert status.response.due_at == MON.replace(hour=11)


def test_bad_inputs_raise():
    with pytest.raises(ValueError):
        evaluate([], SlaTargets(1, 1), OFFICE, MON)
    with pytest.raises(ValueError, match="kind"):
        evaluate([ev(MON, "open"), ev(MON, "escalate")], SlaTargets(1, 1), OFFICE, MON)
    with pytest.raises(ValueError, match="response_seconds"):
        SlaTargets(0, 10)
    with pytest.raises(ValueError, match="warn_share"):
        SlaTargets(10, 10, warn_share=1.5)
    assert SlaTargets.from_minutes(30, 240) == SlaTargets(1800, 14400)


def test_detail_false_gives_same_figures_without_intervals():
    events = [
        ev(FRI.replace(hour=9), "open"),
        ev(FRI.replace(hour=11), "pause", "pending"),
        ev(datetime(2024, 3, 11, 9), "resume"),
    ]
    targets = SlaTargets(2 * H, 20 * H)
    now = datetime(2024, 3, 12, 15)
    full = evaluate(events, targets, LONDON, now)
    quick = evaluate(events, targets, LONDON, now, detail=False)
    for a, b in zip(full.targets, quick.targets):
        assert b.intervals == ()
        assert (a.elapsed_seconds, a.state, a.due_at, a.breached_at) == (b.elapsed_seconds, b.state, b.due_at, b.breached_at)


# ---------------------------------------------------------------- explain


def test_explain_mentions_outside_hours_holiday_paused_and_breach():
    events = [
        ev(datetime(2024, 3, 28, 16), "open"),
        ev(datetime(2024, 4, 2, 9), "pause", "pending: awaiting_vendor"),
        ev(datetime(2024, 4, 2, 12), "resume"),
    ]
    status = evaluate(events, SlaTargets(4 * H, 16 * H), LONDON, now=datetime(2024, 4, 3, 12))
    text = "\n".join(explain(status, LONDON))
    assert "outside business hours" in text
    assert "Good Friday" in text and "Easter Monday" in text
    assert "paused (pending: awaiting_vendor)" in text
    assert "breached at" in text
    assert "BST" in text and "GMT" in text  # shown in local time
    kinds = [i.kind for i in status.resolution.intervals]
    assert kinds == ["counted", "outside", "counted", "paused", "counted", "outside", "counted"]
    paused = status.resolution.intervals[3]
    assert not paused.counted and paused.business_seconds == 3 * H


def test_explain_in_utc_without_calendar_and_counted_intervals_sum_to_elapsed():
    events = [ev(MON.replace(hour=9), "open"), ev(MON.replace(hour=10, minute=30), "respond", "reply by amy")]
    status = evaluate(events, SlaTargets(4 * H, 40 * H), OFFICE, now=datetime(2024, 3, 5, 9))
    lines = explain(status)
    assert any("response: met" in line and "1h 30m" in line for line in lines)
    assert any("reply by amy" in line for line in lines)
    assert all("UTC" in line for line in lines if "->" in line)
    for target in status.targets:
        assert sum(i.business_seconds for i in target.intervals if i.counted) == target.elapsed_seconds


@pytest.mark.parametrize(
    "seconds, text",
    [(0, "0m"), (30, "<1m"), (45 * 60, "45m"), (3 * H + 20 * 60 + 59, "3h 20m"), (27 * H + 600, "27h 10m"),
     (-90 * 60, "-1h 30m")],
)
def test_format_business_duration(seconds, text):
    assert format_business_duration(seconds) == text


# ---------------------------------------------------------------- properties

times_in_2024 = st.datetimes(datetime(2024, 1, 1), datetime(2024, 12, 1)).map(lambda d: d.replace(second=0, microsecond=0))
calendars = st.sampled_from([OFFICE, LONDON, ALWAYS])


@SETTINGS
@given(calendars, times_in_2024, st.integers(0, 7 * 24 * 60), st.integers(0, 7 * 24 * 60), st.integers(1, 60 * 60))
def test_a_pause_moves_the_due_time_by_the_business_time_it_covered(cal, opened, to_pause, pause_len, target_min):
    targets = SlaTargets(60, target_min * 60)
    pause_at = opened + timedelta(minutes=to_pause)
    resume_at = pause_at + timedelta(minutes=pause_len)
    now = resume_at
    plain = evaluate([ev(opened, "open")], targets, cal, now).resolution
    paused = evaluate(
        [ev(opened, "open"), ev(pause_at, "pause", "pending"), ev(resume_at, "resume")], targets, cal, now
    ).resolution
    covered = cal.business_seconds(pause_at, resume_at)
    plain_due = cal.add_business_seconds(opened, targets.resolution_seconds)
    if plain_due <= pause_at:  # due no later than the pause began: the pause changes nothing
        # A deadline at this very instant has not passed (now == due: no breach yet).
        expected = plain_due if now > plain_due else None
        assert paused.breached_at == plain.breached_at == expected
        return
    assert paused.elapsed_seconds == plain.elapsed_seconds - covered
    assert paused.due_at is not None
    assert cal.business_seconds(plain_due, paused.due_at) == covered
    assert paused.due_at == cal.add_business_seconds(plain_due, covered)


@SETTINGS
@given(calendars, times_in_2024, st.lists(st.tuples(st.integers(0, 3 * 24 * 60), st.sampled_from(
    ["pause", "resume", "respond", "resolve", "reopen"])), max_size=8), st.integers(0, 10 * 24 * 60))
def test_elapsed_is_business_time_of_running_stretches(cal, opened, raw, now_min):
    events = [ev(opened, "open")] + [ev(opened + timedelta(minutes=m), k) for m, k in raw]
    now = opened + timedelta(minutes=now_min)
    status = evaluate(events, SlaTargets(4 * H, 16 * H), cal, now)
    for target in status.targets:
        counted = sum(i.business_seconds for i in target.intervals if i.counted)
        assert counted == target.elapsed_seconds
        assert all(i.business_seconds == 0 for i in target.intervals if i.kind == "outside")
        assert all(i.start < i.end for i in target.intervals)
        assert all(a.end <= b.start for a, b in zip(target.intervals, target.intervals[1:]))
        if target.elapsed_seconds <= target.target_seconds and target.state != SlaState.BREACHED:
            assert target.breached_at is None
        if target.breached_at is not None:
            assert target.state == SlaState.BREACHED
            # the breach instant is where the counted time first reaches the target
            running = [(i.start, i.end) for i in target.intervals if i.counted]
            used = 0.0
            for start, end in running:
                if used + (end - start).total_seconds() >= target.target_seconds:
                    assert target.breached_at == start + timedelta(seconds=target.target_seconds - used)
                    break
                used += (end - start).total_seconds()
    # response never pauses: its elapsed equals business time from open to its stop (or now)
    response = status.response
    assert response.elapsed_seconds == cal.business_seconds(opened, response.stopped_at or now)


def test_a_deadline_at_closing_time_has_passed_once_the_office_is_closed():
    """Due at 18:00 when the office closes: at 18:00 not yet breached; at 18:05 the
    business clock has not moved, but the deadline has passed (the wall clock)."""
    opened = MON.replace(hour=14)
    events = [ev(opened, "open")]
    targets = SlaTargets(4 * H, 40 * H)
    at_close = evaluate(events, targets, OFFICE, MON.replace(hour=18)).response
    assert (at_close.state, at_close.due_at) == (SlaState.AT_RISK, MON.replace(hour=18))
    after = evaluate(events, targets, OFFICE, MON.replace(hour=18, minute=5)).response
    assert (after.state, after.breached_at) == (SlaState.BREACHED, MON.replace(hour=18))
    # Resolved at 18:05: the same verdict once stopped, so a breach seen stays a breach.
    resolved = evaluate(events + [ev(MON.replace(hour=18, minute=5), "resolve")], targets, OFFICE,
                        MON.replace(hour=19)).response
    assert resolved.state == SlaState.BREACHED
    on_time = evaluate(events + [ev(MON.replace(hour=18), "resolve")], targets, OFFICE, MON.replace(hour=19)).response
    assert on_time.state == SlaState.MET
