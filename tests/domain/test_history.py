"""The history planner: what each change does to a ticket's state and which events it writes."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta

import pytest

from deskui.domain.enums import EventKind
from deskui.domain.history import (
    STATE_FIELDS, HistoryPlan, PlannedEvent, TicketState, counts_as_reassignment,
)
from deskui.domain.history_import import follow_group, follow_priority, follow_status, keep_source_counters
from deskui.domain.workflow import WorkflowError

T0 = datetime(2026, 11, 16, 9, 0)
T1 = T0 + timedelta(minutes=5)


def plan(**state) -> HistoryPlan:
    return HistoryPlan(TicketState(ticket_id=12, created_at=T0, **state), 3, "ann")


def what(p: HistoryPlan) -> list[tuple]:
    """(kind, field, old, new, detail) of each event planned."""
    return [(e.kind, e.field, e.old, e.new, e.detail) for e in p.events]


def test_the_plan_copies_every_field_of_the_state_and_gives_it_back():
    values = {"ticket_id": 7, "created_at": T0, "status": "pending", "pending_reason": "awaiting_vendor",
              "group_id": 4, "group": "Network Operations", "tier": 2, "assignee_id": 9, "assignee": "bob",
              "first_assignee_id": 8, "last_assignee_id": 9, "impact": "high", "urgency": "low", "priority": 3, "priority_reason": "why",
              "resolution_code": "solved", "resolution_notes": "fixed", "first_response_at": T1,
              "resolved_at": T1, "closed_at": T1, "reopen_count": 1, "reassignment_count": 2,
              "escalation_count": 3, "sla_breach_recorded": True, "resolution_time_unknown": False}
    assert set(values) == set(STATE_FIELDS) == {f.name for f in fields(TicketState)}
    state = TicketState(**values)
    assert HistoryPlan(state).state() == state
    assert HistoryPlan(state, tier=3).state() == TicketState(**{**values, "tier": 3})
    with pytest.raises(AttributeError):
        HistoryPlan(state, statuss="open")


def test_events_say_who_and_when():
    p = plan()
    p.create(T0, "phone")
    p.acting(None, "portal").comment(T1, 5, "public", "It is still broken")
    assert p.events == [
        PlannedEvent(T0, 3, "ann", "created", detail="via phone"),
        PlannedEvent(T1, None, "portal", "comment", "public", detail="It is still broken", comment_id=5),
    ]
    assert all(type(e.kind) is str for e in p.events)  # plain strings: bulk writers hand them on as they are


def test_create_notes_what_else_the_writer_knows():
    p = plan()
    p.create(T0, "portal", "catalogue item laptop")
    assert what(p) == [("created", "", "", "", "via portal; catalogue item laptop")]


# ------------------------------------------------------------------ assignment

def test_the_first_assignment_opens_a_new_ticket_and_is_the_first_assignee():
    p = plan()
    assert p.assign(T1, 9, "bob")
    assert what(p) == [("status", "status", "new", "open", ""), ("assigned", "assignee", "", "bob", "")]
    assert (p.status, p.assignee_id, p.assignee, p.first_assignee_id, p.reassignment_count) == ("open", 9, "bob", 9, 0)


def test_an_import_assignment_keeps_its_source_status():
    p = plan()
    p.assign(T1, 9, "bob", opens=False)
    assert what(p) == [("assigned", "assignee", "", "bob", "")]
    assert p.status == "new"


def test_reassignment_counts_a_hand_off_between_analysts_straight_or_through_nobody():
    """Issue 19.2: A to B, and A to nobody to B, are reassignments; taking a ticket
    nobody had, unassigning, or giving it back to whoever had it last are not."""
    assert counts_as_reassignment(1, 2) and not counts_as_reassignment(None, 2) and not counts_as_reassignment(1, None)
    assert not counts_as_reassignment(1, 1)
    p = plan(status="open", assignee_id=9, assignee="bob", first_assignee_id=9)
    p.assign(T1, 8, "cat")
    assert p.reassignment_count == 1 and p.first_assignee_id == 9
    p.assign(T1, None, "")
    assert p.reassignment_count == 1 and p.last_assignee_id == 8
    p.assign(T1, 8, "cat")  # back to the analyst who had it last: not a hand-off
    assert p.reassignment_count == 1
    p.assign(T1, None, "")
    p.assign(T1, 9, "bob")  # cat, nobody, bob: a hand-off through nobody
    assert p.reassignment_count == 2
    assert [e[2:] for e in what(p)] == [("bob", "cat", ""), ("cat", "", ""), ("", "cat", ""), ("cat", "", ""),
                                        ("", "bob", "")]
    # A plan of an unassigned ticket starts from the last assignee its writer knew.
    q = plan(status="open", first_assignee_id=9, last_assignee_id=9)
    q.assign(T1, 8, "cat")
    assert q.reassignment_count == 1


def test_assigning_the_assignee_again_changes_nothing():
    p = plan(status="open", assignee_id=9, assignee="bob")
    assert not p.assign(T1, 9, "bob")
    assert p.events == []


def test_a_group_move_unassigns_an_assignee_who_is_not_a_member():
    p = plan(status="open", group_id=1, group="Service Desk", assignee_id=9, assignee="bob")
    assert p.set_group(T1, 4, "Network Operations", keeps_assignee=False)
    assert what(p) == [("group", "group", "Service Desk", "Network Operations", ""),
                       ("assigned", "assignee", "bob", "", "")]
    assert p.assignee_id is None and p.reassignment_count == 0
    assert not p.set_group(T1, 4, "Network Operations", keeps_assignee=False)


def test_routing_takes_the_groups_tier_without_escalating():
    p = plan(tier=1)
    p.route(T1, 6, "Server & Cloud", 3, keeps_assignee=True)
    assert (p.tier, p.escalation_count) == (3, 0)
    assert what(p) == [("group", "group", "", "Server & Cloud", "")]


def test_escalation_goes_to_the_tier_given_else_the_groups_when_higher():
    p = plan(tier=2)
    p.escalate(T1, "needs an engineer", tier=3)
    p.escalate(T1, "specialist group", group_tier=1)  # counted, tier stays
    assert what(p) == [("escalated", "tier", "2", "3", "needs an engineer"), ("escalated", "tier", "3", "3", "specialist group")]
    assert (p.tier, p.escalation_count) == (3, 2)
    assert not p.raise_tier(T1, 2, "lower group")
    assert p.escalation_count == 2


# ------------------------------------------------------------------ status

def test_pending_needs_a_reason_and_resuming_clears_it():
    p = plan(status="open")
    with pytest.raises(WorkflowError, match="pending_reason: required"):
        p.change_status(T1, "pending")
    p.change_status(T1, "pending", pending_reason="awaiting_vendor")
    p.change_status(T1, "open", note="vendor answered")
    assert what(p) == [("status", "status", "open", "pending", "awaiting_vendor"),
                       ("status", "status", "pending", "open", "vendor answered")]
    assert p.pending_reason == ""


def test_the_workflow_refuses_what_it_does_not_allow():
    with pytest.raises(WorkflowError, match="cannot go from new to closed"):
        plan().close(T1)
    with pytest.raises(WorkflowError, match="resolution_notes: required"):
        plan(status="open").resolve(T1, "solved", " ")
    with pytest.raises(WorkflowError, match=r"reopen: ticket #12 is pending, only resolved tickets reopen"):
        plan(status="pending").reopen(T1, "why")
    with pytest.raises(WorkflowError, match=r"ticket #12 is closed; reopen it first"):
        plan(status="closed").require_active()
    p = plan(status="closed")
    with pytest.raises(WorkflowError):
        p.reopen(T1, "why")
    assert p.events == [] and p.status == "closed"


def test_resolve_reopen_close():
    p = plan(status="pending", pending_reason="awaiting_requester")
    p.resolve(T1, "solved", "Reset the token.")
    assert (p.status, p.pending_reason, p.resolved_at, p.resolution_code) == ("resolved", "", T1, "solved")
    p.reopen(T1, "still broken")
    assert (p.status, p.resolved_at, p.reopen_count) == ("open", None, 1)
    p.resolve(T1, "workaround", "Use the web client.")
    p.close(T1)
    assert what(p) == [
        ("resolved", "status", "pending", "resolved", "solved: Reset the token."),
        ("reopened", "status", "resolved", "open", "still broken"),
        ("resolved", "status", "open", "resolved", "workaround: Use the web client."),
        ("closed", "status", "resolved", "closed", ""),
    ]
    assert p.closed_at == T1


# ------------------------------------------------------------------ priority, comments, clock

def test_priority_from_the_matrix_an_override_and_a_rule():
    p = plan(status="open", impact="medium", urgency="medium", priority=3)
    p.rerate(T1, "high", "high", 1)
    p.override_priority(T1, 2, "VIP but a workaround exists", by="ann", urgency="low")
    p.raise_priority(T1, "raised by rule x")
    assert what(p) == [
        ("priority", "priority", "P3", "P1", "matrix: impact high x urgency high = P1"),
        ("priority", "priority", "P1", "P2", "override by ann: VIP but a workaround exists"),
        ("priority", "priority", "P2", "P1", "raised by rule x"),
    ]
    assert (p.impact, p.urgency, p.priority_reason) == ("high", "low", "raised by rule x")
    assert not p.raise_priority(T1, "again")


def test_the_first_public_reply_by_an_analyst_stops_the_response_clock_once():
    p = plan(status="open")
    assert not p.comment(T0, 1, "internal", "note", by_analyst=True)
    assert not p.comment(T0, 2, "public", "from the requester")
    assert p.comment(T1, 3, "public", "x" * 200, by_analyst=True)
    assert p.first_response(T1, comment_id=3)
    assert not p.first_response(T1 + timedelta(hours=1), comment_id=4)
    assert what(p)[-2:] == [("comment", "public", "", "", "x" * 120), ("first_response", "", "", "", "comment 3")]
    assert p.first_response_at == T1


def test_breach_links_rules_approvals_checklist_surveys_fields():
    p = plan(status="open")
    p.sla_breach(T1, "response", "P1 Critical")
    p.link(T1, "problem", "PRB-3", "VPN outages")
    p.unlink(T1, "bulletin", "BUL-2")
    p.rule_fired(T1, "assignee", "round robin in Service Desk (tier 1)")
    p.notified(T1, "Network Operations", "notified Network Operations <n@x>: #12")
    p.approval(T1, "approver", "approved", "ok", old="pending")
    p.checklist(T1, 2, True, "Ship the laptop")
    p.checklist(T1, 2, False, "Ship the laptop")
    p.survey(T1, 4, "quick")
    p.field(T1, "alert_state", "warning", "ok", "recovered")
    p.imported(T1, "", "7|2026", "state=2")
    assert p.sla_breach_recorded
    assert what(p) == [
        ("sla_breach", "response", "", "", "response target of P1 Critical breached"),
        ("linked", "problem", "", "PRB-3", "VPN outages"),
        ("linked", "bulletin", "BUL-2", "", "unlinked"),
        ("rule", "assignee", "", "", "round robin in Service Desk (tier 1)"),
        ("notified", "group", "", "Network Operations", "notified Network Operations <n@x>: #12"),
        ("approval", "approver", "pending", "approved", "ok"),
        ("checklist", "step 2", "", "done", "Ship the laptop"),
        ("checklist", "step 2", "done", "", "Ship the laptop"),
        ("field", "survey", "", "4", "quick"),
        ("field", "alert_state", "warning", "ok", "recovered"),
        ("imported", "source_version", "", "7|2026", "state=2"),
    ]
    assert {e.kind for e in p.events} <= {k.value for k in EventKind}


# ------------------------------------------------------------------ imports follow their source

def follow(p, new, **kw):
    args = dict(title="Jira", resolved_at=None, closed_at=None, code="solved", notes="Resolved in Jira.")
    args.update(kw)
    follow_status(p, T1, new, kw.pop("pending_reason", ""), **{k: v for k, v in args.items() if k != "pending_reason"})


def test_an_import_reopens_a_closed_ticket_its_source_reopened():
    p = plan(status="closed", resolved_at=T0, closed_at=T0)
    follow(p, "pending", pending_reason="awaiting_vendor")
    assert what(p) == [("reopened", "status", "closed", "open", "reopened in Jira"),
                       ("status", "status", "open", "pending", "awaiting_vendor")]
    assert (p.closed_at, p.reopen_count) == (None, 1)


def test_an_import_never_goes_back_to_new_and_closes_through_resolved():
    p = plan(status="open")
    follow(p, "new")
    assert p.events == []
    follow(p, "closed", closed_at=T1 + timedelta(hours=1))
    assert what(p) == [("resolved", "status", "open", "resolved", "solved: Resolved in Jira."),
                       ("closed", "status", "resolved", "closed", "")]
    assert p.resolved_at == p.closed_at == T1 + timedelta(hours=1)


def test_an_import_notes_a_new_pending_reason_as_a_field():
    p = plan(status="pending", pending_reason="awaiting_vendor")
    follow(p, "pending", pending_reason="awaiting_change")
    assert what(p) == [("field", "pending_reason", "awaiting_vendor", "awaiting_change", "")]


def test_an_import_writes_levels_when_the_priority_stays_and_priority_when_it_moves():
    p = plan(impact="medium", urgency="medium", priority=3)
    follow_priority(p, T1, "high", "medium", 3, "Jira priority Major")
    follow_priority(p, T1, "high", "high", 1, "Jira priority Blocker")
    assert what(p) == [("field", "impact", "medium", "high", ""),
                       ("priority", "priority", "P3", "P1", "Jira priority Blocker")]


def test_an_import_group_escalates_to_a_higher_tier_and_keeps_the_assignee():
    p = plan(status="open", group_id=1, group="Service Desk", assignee_id=9, assignee="bob")
    follow_group(p, T1, 6, "Server & Cloud", 3, "Jira")
    assert what(p) == [("group", "group", "Service Desk", "Server & Cloud", ""),
                       ("escalated", "tier", "1", "3", "moved to Server & Cloud in Jira")]
    assert p.assignee_id == 9
    keep_source_counters(p, 4, None)
    assert (p.reopen_count, p.reassignment_count) == (4, 0)
