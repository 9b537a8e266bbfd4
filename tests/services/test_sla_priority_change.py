"""Issue 19.3: a breach stays a breach when the priority changes afterwards; the
current priority's policy measures from the opening (deskui.domain.sla_in_force)."""

from __future__ import annotations

from datetime import datetime

from deskui.domain.calendar import BusinessCalendar
from deskui.domain.enums import SlaState
from deskui.domain.sla import ClockEvent, SlaTargets
from deskui.domain.sla_in_force import PolicyInForce, evaluate_in_force
from deskui.reads.ticket import ticket_view
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.store.db import session_scope
from deskui.store.tickets import ticket_record

H = 3600
ALWAYS = BusinessCalendar.always_open()
OPENED = datetime(2026, 11, 16, 7, 0)


def policy(since, name, response_minutes, resolution_hours):
    return PolicyInForce(since, name, SlaTargets(response_minutes * 60, resolution_hours * H), ALWAYS)


def test_lowering_the_priority_after_a_breach_keeps_the_breach(org, frozen_now):
    demo = actor_for(org, "demo")
    t = svc.open_ticket(org, demo, subject="Payroll export fails", requester="ann@example.com", at=OPENED)
    svc.change_priority(org, demo, t.id, priority=2, reason="payroll day", at=OPENED)
    # P2: a first response within 30 minutes, due 07:30; nobody answered. At 08:00 it is lowered to P4,
    # whose 8 h response target (from the opening) would still be running.
    svc.change_priority(org, demo, t.id, priority=4, reason="workaround found", at=datetime(2026, 11, 16, 8, 0))
    with session_scope(org) as s:
        after = ticket_record(s, t.id)
    assert (after.priority, after.response_state, after.response_due_at) == (4, "breached", datetime(2026, 11, 16, 7, 30))
    # The resolution target breached under nobody: the P4 policy measures it, from the opening.
    assert after.resolution_state == "ok"
    lines = "\n".join(ticket_view(org, t.id).sla_lines)
    assert "under policy P2 High, before the priority changed" in lines


def test_the_earliest_breach_wins_and_a_raised_priority_counts_from_the_opening():
    events = [ClockEvent(OPENED, "open")]
    # P3 (4 h response) until 07:10, P1 (15 min) until 09:00, then P4 (8 h).
    in_force = [policy(None, "P3", 240, 24), policy(datetime(2026, 11, 16, 7, 10), "P1", 15, 4),
                policy(datetime(2026, 11, 16, 9, 0), "P4", 480, 72)]
    status = evaluate_in_force(events, in_force, datetime(2026, 11, 16, 10, 0))
    # Under P1, measured from the opening, the response was due 07:15: breached then, and it stays.
    assert status.response.state == SlaState.BREACHED
    assert status.response.breached_at == datetime(2026, 11, 16, 7, 15)
    assert status.response.breached_under == "P1"
    # Resolution: P1's 4 h would have been due at 11:00, after P1 was replaced: P4 measures it, not breached.
    assert status.resolution.state == SlaState.OK and not status.resolution.breached_under
    # Without the change the same clock is simply P4's.
    assert evaluate_in_force(events, in_force[-1:], datetime(2026, 11, 16, 10, 0)).response.state == SlaState.OK
