"""The SLA sweep restores every active ticket's stored SLA cache from its own policy."""

from __future__ import annotations

from sqlalchemy import select, update

from deskui.services.sweep import sweep
from deskui.services.actors import SYSTEM
from deskui.services.tickets import open_ticket
from deskui.store.db import session_scope, write_session
from deskui.store.models import SlaPolicy, Ticket


def test_a_sweep_gives_each_ticket_the_policy_of_its_own_priority_and_type(org, frozen_now):
    kinds = ["incident", "request", "incident", "request", "incident"]
    ids = [open_ticket(org, SYSTEM, subject=f"{kind} {n}", requester="ann@example.com", type=kind).id
           for n, kind in enumerate(kinds)]
    with session_scope(org) as s:
        stored = {row.id: tuple(row[1:]) for row in s.execute(
            select(Ticket.id, Ticket.sla_policy_id, Ticket.response_due_at, Ticket.resolution_due_at)
            .where(Ticket.id.in_(ids)))}
        policy_names = dict(s.execute(select(SlaPolicy.id, SlaPolicy.name)).all())
    assert [policy_names[stored[i][0]] for i in ids] == ["P3 Medium", "P3 Request"] * 2 + ["P3 Medium"]
    with write_session(org) as s:  # a stale cache, as after a policy change
        s.execute(update(Ticket).where(Ticket.id.in_(ids)).values(
            sla_policy_id=None, response_due_at=None, resolution_due_at=None))
    result = sweep(org, now=frozen_now)
    assert result.changed >= len(ids)
    with session_scope(org) as s:
        swept = {row.id: tuple(row[1:]) for row in s.execute(
            select(Ticket.id, Ticket.sla_policy_id, Ticket.response_due_at, Ticket.resolution_due_at)
            .where(Ticket.id.in_(ids)))}
    assert swept == stored
