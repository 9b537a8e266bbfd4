"""Ticket use cases against a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from deskui.domain.workflow import WorkflowError
from deskui.errors import ConflictError, NotFound, ValidationError
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.store.db import session_scope
from deskui.store.models import Ticket, TicketEvent
from deskui.store.tickets import comments, events, ticket_record


@pytest.fixture
def desk(org, frozen_now):
    return org


def me(engine, username="demo"):
    return actor_for(engine, username)


def open_vpn(engine, **kw):
    args = dict(subject="VPN drops every few minutes", requester="ana.ruiz@northwind.example",
                category="Network/VPN", impact="medium", urgency="medium")
    args.update(kw)
    return svc.open_ticket(engine, me(engine), **args)


def kinds(engine, ticket_id):
    with session_scope(engine) as s:
        return [e.kind for e in events(s, ticket_id)]


def test_open_sets_priority_from_matrix_routing_and_sla(desk, frozen_now):
    t = open_vpn(desk, impact="high", urgency="medium")
    assert t.priority == 2
    assert "impact high x urgency medium" in t.priority_reason
    assert t.group == "Network Operations"
    assert t.status == "new"
    assert t.response_due_at is not None and t.response_due_at > frozen_now
    assert t.resolution_due_at > t.response_due_at
    assert kinds(desk, t.id) == ["created"]


def test_numbers_increase(desk):
    a, b = open_vpn(desk), open_vpn(desk)
    assert b.id > a.id


def test_untrusted_subject_is_cleaned_not_interpreted(desk):
    t = open_vpn(desk, subject="[bold red]x[/] \x1b[2Jcleared\x07")
    assert t.subject == "[bold red]x[/] cleared"


def test_unknown_category_and_group_name_choices(desk):
    with pytest.raises(NotFound, match="category: .Nope. not found; top-level categories: .*Network"):
        open_vpn(desk, category="Nope")
    with pytest.raises(NotFound, match="group: 'Ghosts' not found"):
        open_vpn(desk, group="Ghosts")
    with pytest.raises(ValidationError, match="impact: 'huge' is not one of high, medium, low"):
        open_vpn(desk, impact="huge")


def test_take_assigns_opens_and_records(desk):
    t = open_vpn(desk)
    taken = svc.take(desk, me(desk), t.id, version=t.version)
    assert taken.assignee == "demo" and taken.status == "open"
    assert taken.version == t.version + 1
    assert kinds(desk, t.id)[-2:] == ["status", "assigned"]


def test_reassignment_is_counted(desk):
    t = open_vpn(desk)
    svc.take(desk, me(desk), t.id)
    other = _another_analyst(desk)
    after = svc.assign(desk, me(desk), t.id, other)
    assert after.assignee == other and after.reassignment_count == 1


def test_a_hand_off_through_nobody_is_a_reassignment(desk):
    """Issue 19.2: demo takes it, unassigns it, another analyst takes it: one
    reassignment, counted across the two separate use cases (the unassigned
    ticket remembers its last assignee through its history)."""
    t = open_vpn(desk)
    svc.take(desk, me(desk), t.id)
    assert svc.assign(desk, me(desk), t.id, None).reassignment_count == 0
    other = _another_analyst(desk)
    after = svc.assign(desk, me(desk), t.id, other)
    assert after.assignee == other and after.reassignment_count == 1
    # Unassigned again and back to the same analyst: no new hand-off.
    svc.assign(desk, me(desk), t.id, None)
    assert svc.assign(desk, me(desk), t.id, other).reassignment_count == 1


def _another_analyst(engine):
    from deskui.store.models import Analyst

    with session_scope(engine) as s:
        return s.scalars(select(Analyst.username).where(Analyst.username != "demo").order_by(Analyst.id)).first()


def test_first_public_reply_sets_first_response_only_once(desk, frozen_now):
    t = open_vpn(desk)
    svc.add_comment(desk, me(desk), t.id, "Looking into it", internal=True, at=frozen_now + timedelta(minutes=5))
    assert ticket_record_of(desk, t.id).first_response_at is None
    svc.add_comment(desk, me(desk), t.id, "Hi, please try again now", at=frozen_now + timedelta(minutes=10))
    svc.add_comment(desk, me(desk), t.id, "Any luck?", at=frozen_now + timedelta(minutes=50))
    fresh = ticket_record_of(desk, t.id)
    assert fresh.first_response_at == frozen_now + timedelta(minutes=10)
    assert fresh.response_state == "met"
    assert kinds(desk, t.id).count("first_response") == 1
    with session_scope(desk) as s:
        convo = comments(s, t.id)
    assert [c.visibility for c in convo] == ["internal", "public", "public"]


def ticket_record_of(engine, ticket_id):
    with session_scope(engine) as s:
        return ticket_record(s, ticket_id)


def test_requester_reply_is_not_a_first_response(desk):
    t = open_vpn(desk)
    from deskui.services.actors import system_actor

    svc.add_comment(desk, system_actor("mail"), t.id, "still broken", author_name="Ana Ruiz")
    assert ticket_record_of(desk, t.id).first_response_at is None


def test_workflow_is_enforced(desk):
    t = open_vpn(desk)
    with pytest.raises(WorkflowError, match="pending_reason: required"):
        svc.change_status(desk, me(desk), t.id, "pending")
    with pytest.raises(WorkflowError, match="use resolve"):
        svc.change_status(desk, me(desk), t.id, "resolved")
    with pytest.raises(ValidationError, match="status: 'done' is not one of"):
        svc.change_status(desk, me(desk), t.id, "done")
    with pytest.raises(WorkflowError, match="cannot go from new to closed"):
        svc.close(desk, me(desk), t.id)
    # A failed change writes nothing and keeps the version.
    assert ticket_record_of(desk, t.id).version == t.version
    assert kinds(desk, t.id) == ["created"]


def test_pending_pauses_resolution_clock(desk, frozen_now):
    t = open_vpn(desk)
    paused = svc.change_status(desk, me(desk), t.id, "pending", pending_reason="awaiting_vendor",
                               at=frozen_now + timedelta(hours=1))
    assert paused.status == "pending" and paused.pending_reason == "awaiting_vendor"
    assert paused.resolution_state == "paused" and paused.resolution_due_at is None
    resumed = svc.change_status(desk, me(desk), t.id, "open", at=frozen_now + timedelta(hours=3))
    assert resumed.pending_reason == ""
    # Two business hours pending (Monday 10:00-12:00 London) push the due time by two business hours.
    assert resumed.resolution_due_at == t.resolution_due_at + timedelta(hours=2)


def test_resolve_needs_code_and_notes_then_close(desk):
    t = open_vpn(desk)
    with pytest.raises(WorkflowError, match="resolution_notes: required"):
        svc.resolve(desk, me(desk), t.id, code="solved", notes="  ")
    with pytest.raises(ValidationError, match="resolution_code: 'fixed' is not one of"):
        svc.resolve(desk, me(desk), t.id, code="fixed", notes="done")
    done = svc.resolve(desk, me(desk), t.id, code="solved", notes="Reinstalled the client")
    assert done.status == "resolved" and done.resolved_at is not None
    assert done.resolution_state == "met"
    closed = svc.close(desk, me(desk), t.id)
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(WorkflowError, match="cannot go from closed"):
        svc.reopen(desk, me(desk), t.id, reason="again")


def test_reopen_resumes_and_counts(desk, frozen_now):
    t = open_vpn(desk)
    svc.resolve(desk, me(desk), t.id, code="solved", notes="ok", at=frozen_now + timedelta(hours=1))
    again = svc.reopen(desk, me(desk), t.id, reason="still failing", at=frozen_now + timedelta(hours=5))
    assert again.status == "open" and again.reopen_count == 1 and again.resolved_at is None
    # One business hour was used before the resolution; four hours resolved do not count.
    assert again.resolution_due_at == t.resolution_due_at + timedelta(hours=4)
    with pytest.raises(ValidationError, match="reason"):
        svc.reopen(desk, me(desk), t.id, reason="")


def test_escalate_moves_tier_and_group(desk):
    t = open_vpn(desk)
    svc.take(desk, me(desk), t.id)
    up = svc.escalate(desk, me(desk), t.id, reason="needs firewall change", tier=3, group="Security Operations")
    assert up.tier == 3 and up.group == "Security Operations" and up.escalation_count == 1
    assert up.assignee == ""  # demo is not a member of Security Operations
    with pytest.raises(ValidationError, match="reason"):
        svc.escalate(desk, me(desk), t.id, reason=" ", tier=2)


def test_priority_matrix_and_override(desk):
    t = open_vpn(desk)
    assert t.priority == 3
    matrix = svc.change_priority(desk, me(desk), t.id, impact="high", urgency="high")
    assert matrix.priority == 1
    with pytest.raises(ValidationError, match="needs a reason"):
        svc.change_priority(desk, me(desk), t.id, priority=4)
    override = svc.change_priority(desk, me(desk), t.id, priority=4, reason="CEO says it can wait")
    assert override.priority == 4 and "override by demo: CEO says it can wait" in override.priority_reason
    with session_scope(desk) as s:
        last = events(s, t.id)[-1]
    assert (last.kind, last.old, last.new) == ("priority", "P1", "P4")


def test_stale_version_conflicts_with_fresh_ticket(desk):
    t = open_vpn(desk)
    lead = actor_for(desk, _another_analyst(desk))
    svc.change_status(desk, lead, t.id, "pending", pending_reason="awaiting_requester", version=t.version)
    with pytest.raises(ConflictError) as caught:
        svc.take(desk, me(desk), t.id, version=t.version)
    err = caught.value
    assert err.fresh.status == "pending" and err.fresh.version == t.version + 1
    assert err.changed_by == lead.username
    assert "status new -> pending" in str(err)
    # Nothing of the losing change was written.
    assert ticket_record_of(desk, t.id).assignee == ""


def test_concurrent_updates_one_wins_one_conflicts(desk):
    """Two analysts save the same ticket at the same moment, from the same version."""
    t = open_vpn(desk)
    analysts = ["demo", _another_analyst(desk)]
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def work(username):
        actor = actor_for(desk, username)
        barrier.wait()
        try:
            outcomes[username] = svc.take(desk, actor, t.id, version=t.version)
        except ConflictError as exc:
            outcomes[username] = exc

    threads = [threading.Thread(target=work, args=(u,)) for u in analysts]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    winners = [u for u, o in outcomes.items() if not isinstance(o, ConflictError)]
    losers = [o for o in outcomes.values() if isinstance(o, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1
    final = ticket_record_of(desk, t.id)
    assert final.assignee == winners[0] and final.version == t.version + 1
    assert losers[0].fresh is not None and losers[0].fresh.assignee == winners[0]
    with session_scope(desk) as s:
        assigned = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id,
                                                       TicketEvent.kind == "assigned")).all()
    assert len(assigned) == 1


def test_concurrent_creation_gives_unique_numbers(desk):
    ids: list[int] = []
    lock = threading.Lock()

    def work():
        for _ in range(5):
            rec = open_vpn(desk)
            with lock:
                ids.append(rec.id)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert len(ids) == 20 and len(set(ids)) == 20


def test_comments_never_conflict(desk):
    t = open_vpn(desk)
    svc.change_status(desk, me(desk), t.id, "open", version=t.version)
    # A comment from a screen that loaded version 1 still lands.
    svc.add_comment(desk, me(desk), t.id, "note", internal=True)
    with session_scope(desk) as s:
        assert len(comments(s, t.id)) == 1


def test_sla_breach_event_written_once(desk, frozen_now):
    from deskui.services.sweep import sweep

    t = open_vpn(desk, impact="high", urgency="high")  # P1: 15 min response on 24x7
    later = frozen_now + timedelta(hours=1)
    first = sweep(desk, now=later)
    second = sweep(desk, now=later + timedelta(minutes=5))
    assert first.breaches == 1 and second.breaches == 0
    with session_scope(desk) as s:
        breach = [e for e in events(s, t.id) if e.kind == "sla_breach"]
        row = s.get(Ticket, t.id)
        assert row.response_state == "breached"
    assert [e.field for e in breach] == ["response"]
    assert breach[0].at == frozen_now + timedelta(minutes=15)


def test_bulk_reports_each_ticket(desk):
    a, b = open_vpn(desk), open_vpn(desk)
    svc.resolve(desk, me(desk), b.id, code="solved", notes="ok")
    result = svc.bulk(desk, [a.id, b.id], lambda tid: svc.take(desk, me(desk), tid))
    assert result.done == [a.id]
    assert result.failed[0][0] == b.id and "reopen it first" in result.failed[0][1]


def test_conflict_names_the_change_not_the_breach_recorded_with_it(desk, frozen_now):
    t = open_vpn(desk, impact="high", urgency="high")  # P1: 15 min response
    lead = actor_for(desk, _another_analyst(desk))
    # An hour later the lead's change also records the response breach, after the status event.
    svc.change_status(desk, lead, t.id, "open", at=frozen_now + timedelta(hours=1))
    with session_scope(desk) as s:
        assert events(s, t.id)[-1].kind == "sla_breach"
    with pytest.raises(ConflictError, match=r"status new -> open"):
        svc.take(desk, me(desk), t.id, version=t.version)
