"""The live SLA state: what the last refresh stored, plus time, gives the clock's state now."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskui.domain.calendar import BusinessCalendar
from deskui.domain.enums import SlaState
from deskui.domain.sla import ClockEvent, SlaTargets, evaluate
from deskui.domain.sla_state import live_target_state, live_ticket_state, ticket_state_at

OFFICE = BusinessCalendar.from_config(
    name="office", timezone="Europe/London",
    weekly_hours={d: ["08:00-12:30", "13:30-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
)
ALWAYS = BusinessCalendar.always_open()
MON = datetime(2024, 3, 4, 8)
H = 3600

minutes = st.integers(0, 6 * 24 * 60)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([OFFICE, ALWAYS]),
       st.lists(st.tuples(minutes, st.sampled_from(["pause", "resume", "respond", "resolve", "reopen"])), max_size=6),
       minutes, minutes, st.sampled_from([0.5, 0.75, 0.8]))
def test_stored_clock_plus_time_is_the_clock(calendar, steps, refreshed, later, share):
    """Refreshed at one instant and read at a later one with nothing happening in
    between, the live state equals the exact clock's state at the later instant."""
    events = [ClockEvent(MON, "open")] + [ClockEvent(MON + timedelta(minutes=m), kind) for m, kind in steps]
    at_refresh = MON + timedelta(minutes=refreshed)
    last_event = max(e.at for e in events)
    at_refresh = max(at_refresh, last_event)  # the refresh follows the last change
    now = at_refresh + timedelta(minutes=later)
    targets = SlaTargets(2 * H, 9 * H, warn_share=share)
    stored = evaluate(events, targets, calendar, at_refresh, detail=False)
    exact = evaluate(events, targets, calendar, now, detail=False)
    for kept, truth in zip(stored.targets, exact.targets):
        assert live_target_state(kept.state, kept.warn_at, kept.due_at, now) == truth.state, (kept, truth)


@pytest.mark.parametrize("stored, minutes_later, expected", [
    ("ok", 0, SlaState.OK), ("ok", 45, SlaState.AT_RISK), ("ok", 60, SlaState.AT_RISK), ("ok", 61, SlaState.BREACHED),
    ("at_risk", 10, SlaState.AT_RISK), ("paused", 600, SlaState.PAUSED), ("met", 600, SlaState.MET),
    ("breached", 0, SlaState.BREACHED),
])
def test_a_warning_or_deadline_that_passed_after_the_refresh_counts_now(stored, minutes_later, expected):
    warn, due = MON + timedelta(minutes=45), MON + timedelta(minutes=60)
    assert live_target_state(stored, warn, due, MON + timedelta(minutes=minutes_later)) == expected


def test_ticket_state_is_the_worse_target_while_active_and_met_or_breached_after():
    assert live_ticket_state("open", SlaState.PAUSED, SlaState.AT_RISK) == SlaState.AT_RISK
    assert live_ticket_state("pending", SlaState.MET, SlaState.PAUSED) == SlaState.PAUSED
    assert live_ticket_state("new", SlaState.BREACHED, SlaState.OK) == SlaState.BREACHED
    assert live_ticket_state("resolved", SlaState.MET, SlaState.MET) == SlaState.MET
    assert live_ticket_state("closed", SlaState.BREACHED, SlaState.MET) == SlaState.BREACHED
    assert live_ticket_state("cancelled", SlaState.OK, SlaState.OK) is None
    now = MON + timedelta(hours=1)
    assert ticket_state_at("open", ("met", None, MON), ("ok", now, now + timedelta(hours=3)), now) == SlaState.AT_RISK
