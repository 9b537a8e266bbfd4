"""One history planner, three writers: for the same change, the ticket services, the
importers and the generator write the same events (kind, field, old -> new, detail)
and the same counters. Each writer's own events are left out where only it can
write them: ``imported`` rows and comments for an import (it has no comments), and
the details that name where a change came from (a source's title, a comment id)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from deskui.domain.calendar import BusinessCalendar
from deskui.domain.history import HistoryPlan, TicketState
from deskui.services import bulletins, problems, survey
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.generate_data import CANCEL_REASONS
from deskui.services.generate_org import load_org
from deskui.services.generate_replay import (
    OP_CANCEL, OP_CLOSE, OP_ESCALATE, OP_PENDING, OP_PRIORITY, OP_REASSIGN, OP_REOPEN, OP_REPLY, OP_RESOLVE,
    OP_RESUME, OP_TAKE, ChunkRows, Drawn, Replayer, comment_text,
)
from deskui.services.importers.rows import SourceRow
from deskui.services.importers.writer import TicketWriter
from deskui.services.sweep import sweep
from deskui.store.bulk_generate import TICKET_COLUMNS
from deskui.store.bulletin_queries import bulletin_ref
from deskui.store.db import session_scope
from deskui.store.models import Ticket
from deskui.store.problem_queries import problem_ref
from deskui.store.tickets import events

TITLE = "Legacy"
GROUP, HIGHER = "Network Operations", "Server & Cloud"  # tiers 2 and 3
FIRST, SECOND = "snair", "hlindqvist"  # Network Operations' members, in id order
COUNTERS = ("status", "pending_reason", "tier", "priority", "reopen_count", "reassignment_count",
            "escalation_count")


@pytest.fixture
def desk(org, frozen_now):
    return org


def what(events) -> list[tuple]:
    return [(e.kind, e.field, e.old, e.new, e.detail) for e in events]


def without(history: list[tuple], *kinds: str) -> list[tuple]:
    return [e for e in history if e[0] not in kinds]


# ------------------------------------------------------------------ the three writers

def serviced(engine, changes, **open_args) -> tuple[list[tuple], dict]:
    """Open a ticket through the services, apply ``changes(ticket_id)``; its history and counters."""
    args = dict(subject="VPN drops", requester="ana.ruiz@northwind.example", channel="email", group=GROUP)
    args.update(open_args)
    ticket = svc.open_ticket(engine, actor_for(engine, "demo"), **args)
    changes(ticket.id)
    with session_scope(engine) as s:
        row = s.get(Ticket, ticket.id)
        return what(events(s, ticket.id)), {c: getattr(row, c) for c in COUNTERS}


class FirstChoice:
    """The generator's randomness, made plain: always the first analyst, the first text."""

    def random(self) -> float:
        return 0.0

    def lognormvariate(self, mu: float, sigma: float) -> float:
        return 1.0


def generated(engine, ops, *, end=None, impact="medium", urgency="medium", priority=3, policy=False,
              first_comment_id=1) -> tuple[list[tuple], dict]:
    """Replay a timeline of use-case calls (a minute apart) as the generator does; the rows it writes."""
    org = load_org(engine, 1)
    calendars = {cid: BusinessCalendar.from_config(name=n, timezone=tz, weekly_hours=json.loads(w),
                                                   holidays=json.loads(h), holiday_country=c)
                 for cid, (n, tz, w, h, c) in org.calendars.items()}
    start = datetime(2026, 11, 16, 9, 0)
    replayer = Replayer(org, calendars, end or start + timedelta(hours=1), sqlite=False)
    group = next(g for g, (name, _) in org.groups.items() if name == GROUP)
    drawn = Drawn(kind="incident", channel="email", subject="VPN drops", description="", requester_id=1,
                  requester_name="Ana Ruiz", first_name="Ana", template=org.templates[0], impact=impact,
                  urgency=urgency, priority=priority, group=group, creator=None, intake="intake:email", ci="",
                  policy=replayer.policies[(priority, "incident")] if policy else None)
    rows = ChunkRows()
    timeline = [(start + timedelta(minutes=i + 1), i, op, args) for i, (op, args) in enumerate(ops)]
    replayer.replay(FirstChoice(), rows, 1000, first_comment_id, start, timeline, drawn)
    row = dict(zip(TICKET_COLUMNS, rows.tickets[0]))
    return [tuple(e[4:9]) for e in rows.events], {c: row[c] for c in COUNTERS}


def imported(engine, *changes: dict, now=None, **first) -> tuple[list[tuple], dict]:
    """Import a ticket's rows (the first opens it, each a minute after the one before) as the importers do."""
    start = datetime(2026, 11, 16, 9, 0)
    writer = TicketWriter(engine, label="legacy", title=TITLE, now=now or start + timedelta(minutes=5))
    rows = []
    for i, fields in enumerate([{"group": GROUP, "channel": "email", **first}, *changes]):
        rows.append(SourceRow(line=i + 2, cells=(), columns={}, external_ref="L-1", created_at=start,
                              version=f"{i:04d}", updated_at=start + timedelta(minutes=i), **fields))
    writer.write_batch(rows)
    with session_scope(engine) as s:
        row = s.scalars(select(Ticket).where(Ticket.external_ref == "L-1")).one()
        return without(what(events(s, row.id)), "imported"), {c: getattr(row, c) for c in COUNTERS}


def assign(engine, username):
    return lambda tid: svc.assign(engine, actor_for(engine, "demo"), tid, username)


def then(*steps):
    def run(tid):
        for step in steps:
            step(tid)
    return run


# ------------------------------------------------------------------ one test per change kind

def test_open(desk):
    opened = [("created", "", "", "", "via email")]
    assert serviced(desk, lambda tid: None)[0] == generated(desk, [])[0] == imported(desk)[0] == opened


def test_first_assignment_opens_the_ticket(desk):
    service = serviced(desk, assign(desk, FIRST))
    assert service == generated(desk, [(OP_TAKE, (None,))]) == imported(desk, status="open", assignee=FIRST)
    assert service[0][1:] == [("status", "status", "new", "open", ""), ("assigned", "assignee", "", FIRST, "")]


def test_reassignment(desk):
    service = serviced(desk, then(assign(desk, FIRST), assign(desk, SECOND)))
    assert service == generated(desk, [(OP_TAKE, (None,)), (OP_REASSIGN, ())]) == imported(
        desk, {"assignee": SECOND}, status="open", assignee=FIRST)
    assert service[0][-1] == ("assigned", "assignee", FIRST, SECOND, "")
    assert service[1]["reassignment_count"] == 1


def test_escalation_to_a_higher_tier_group(desk):
    reason = f"moved to {HIGHER} in {TITLE}"  # the import's own reason, given to the others

    def escalate(tid):
        svc.escalate(desk, actor_for(desk, "demo"), tid, reason=reason, group=HIGHER)

    org = load_org(desk, 1)
    higher = next(g for g, (name, _) in org.groups.items() if name == HIGHER)
    service = serviced(desk, escalate)
    assert service == generated(desk, [(OP_ESCALATE, (higher, None, reason))]) == imported(desk, {"group": HIGHER})
    assert service[0][1:] == [("group", "group", GROUP, HIGHER, ""), ("escalated", "tier", "2", "3", reason)]
    assert service[1]["escalation_count"] == 1


def test_pending_and_back(desk):
    def hold(tid):
        svc.change_status(desk, actor_for(desk, "demo"), tid, "pending", pending_reason="awaiting_vendor")
        svc.change_status(desk, actor_for(desk, "demo"), tid, "open")

    service = serviced(desk, then(assign(desk, FIRST), hold))
    assert service == generated(desk, [(OP_TAKE, (None,)), (OP_PENDING, ("awaiting_vendor",)), (OP_RESUME, (None,))]) \
        == imported(desk, {"status": "pending", "pending_reason": "awaiting_vendor"}, {"status": "open"},
                    status="open", assignee=FIRST)
    assert service[0][-2:] == [("status", "status", "open", "pending", "awaiting_vendor"),
                               ("status", "status", "pending", "open", "")]


def test_resolve_reopen_resolve_close(desk):
    at = datetime(2026, 11, 16, 9, 0)
    reason = f"reopened in {TITLE}"

    def lifecycle(tid):
        me = actor_for(desk, "demo")
        svc.resolve(desk, me, tid, code="solved", notes="Reset the token.")
        svc.reopen(desk, me, tid, reason=reason)
        svc.resolve(desk, me, tid, code="workaround", notes="Use the web client.")
        svc.close(desk, me, tid)

    service = serviced(desk, then(assign(desk, FIRST), lifecycle))
    generator = generated(desk, [(OP_TAKE, (None,)), (OP_RESOLVE, ("solved", "Reset the token.")),
                                 (OP_REOPEN, ("intake:email", reason)),
                                 (OP_RESOLVE, ("workaround", "Use the web client.")), (OP_CLOSE, ())])
    importer = imported(
        desk, {"status": "resolved", "resolution_code": "solved", "resolution_notes": "Reset the token.",
               "resolved_at": at + timedelta(minutes=1)},
        {"status": "open"},
        {"status": "resolved", "resolution_code": "workaround", "resolution_notes": "Use the web client.",
         "resolved_at": at + timedelta(minutes=3)},
        {"status": "closed", "closed_at": at + timedelta(minutes=4)}, status="open", assignee=FIRST)
    assert service == generator == importer
    assert [e[0] for e in service[0][3:]] == ["resolved", "reopened", "resolved", "closed"]
    assert service[0][3][4] == "solved: Reset the token." and service[0][4][4] == reason
    assert service[1]["reopen_count"] == 1 and service[1]["status"] == "closed"


def test_cancel(desk):
    note = CANCEL_REASONS[0]  # the generator cancels with a note first

    def cancel(tid):
        svc.add_comment(desk, actor_for(desk, FIRST), tid, note, internal=True)
        svc.change_status(desk, actor_for(desk, FIRST), tid, "cancelled")

    service = serviced(desk, then(assign(desk, FIRST), cancel))
    assert service == generated(desk, [(OP_TAKE, (None,)), (OP_CANCEL, ())])
    assert (without(service[0], "comment"), service[1]) == imported(desk, {"status": "cancelled"}, status="open",
                                                                     assignee=FIRST)
    assert service[0][-1] == ("status", "status", "open", "cancelled", "")


def test_priority_from_the_matrix(desk):
    def rerate(tid):
        svc.change_priority(desk, actor_for(desk, "demo"), tid, impact="high", urgency="high")

    service = serviced(desk, then(assign(desk, FIRST), rerate))
    assert service == generated(desk, [(OP_TAKE, (None,)), (OP_PRIORITY, (("high", "high", 1),))]) == imported(
        desk, {"impact": "high", "urgency": "high"}, status="open", assignee=FIRST)
    assert service[0][-1] == ("priority", "priority", "P3", "P1", "matrix: impact high x urgency high = P1")


def test_first_public_reply(desk):
    analyst = actor_for(desk, FIRST)
    body = comment_text(lambda: 0.0, OP_REPLY, ("first", "vpn"), "Ana", analyst.name)  # what the generator writes
    replied = {}

    def reply(tid):
        replied["id"] = svc.add_comment(desk, analyst, tid, body).id

    service = serviced(desk, then(assign(desk, FIRST), reply))
    assert service == generated(desk, [(OP_TAKE, (None,)), (OP_REPLY, ("first", "vpn"))],
                                first_comment_id=replied["id"])
    assert service[0][-2:] == [("comment", "public", "", "", body[:120]),
                               ("first_response", "", "", "", f"comment {replied['id']}")]
    # An import has no comments: its source says when the first response was.
    history, _ = imported(desk, {"first_response_at": datetime(2026, 11, 16, 9, 2)}, status="open", assignee=FIRST)
    assert history[-1] == ("first_response", "", "", "", f"first response in {TITLE}")


def test_sla_breach_is_written_once_by_each_writer(desk):
    """A P1 nobody answers: its 15-minute response target breaches."""
    later = datetime(2026, 11, 16, 10, 0)
    service = serviced(desk, lambda tid: (sweep(desk, now=later), sweep(desk, now=later)), impact="high",
                       urgency="high")
    generator = generated(desk, [], end=later, impact="high", urgency="high", priority=1, policy=True)
    importer = imported(desk, now=later, impact="high", urgency="high")
    assert service[0] == generator[0] == importer[0] == [
        ("created", "", "", "", "via email"),
        ("sla_breach", "response", "", "", "response target of P1 Critical breached"),
    ]


# ------------------------------------------------------------------ the services' own changes, planned

def test_links_and_surveys_are_what_the_planner_plans(desk, frozen_now):
    me = actor_for(desk, "demo")
    ticket = svc.open_ticket(desk, me, subject="VPN drops", requester="ana.ruiz@northwind.example", group=GROUP)
    problem = problems.create_problem(desk, me, "VPN outages", incidents=[ticket.id])
    problems.unlink(desk, me, problem.id, [ticket.id])
    bulletin = bulletins.post(desk, me, "VPN down in London", ends_at=frozen_now + timedelta(hours=2))
    bulletins.link(desk, me, bulletin.id, ticket.id)
    svc.resolve(desk, me, ticket.id, code="solved", notes="Reset the token.")
    survey.record_survey(desk, ticket.id, 4, comment="quick")
    plan = HistoryPlan(TicketState(ticket_id=ticket.id))
    plan.link(frozen_now, "problem", problem_ref(problem.id), "VPN outages")
    plan.unlink(frozen_now, "problem", problem_ref(problem.id))
    plan.link(frozen_now, "bulletin", bulletin_ref(bulletin.id), "VPN down in London")
    plan.survey(frozen_now, 4, "quick")
    with session_scope(desk) as s:
        stored = without(what(events(s, ticket.id)), "created", "resolved")
    assert stored == what(plan.events)
