"""The queue's read queries (deskui.store.queue_live) on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES
from deskui.services import tickets as svc
from deskui.store.db import session_scope
from deskui.store.models import Analyst, Ticket
from deskui.store.queue import conditions, order_by
from deskui.store.queue_live import (
    analyst_loads, changed_ticket_ids, count_where, iter_ids, latest_event_id, read_ids,
)
from deskui.store.tables import tickets
from queue_support import NOW, actor, build_desk


def test_ids_counts_and_change_marker(org):
    with clock.frozen(NOW):
        ids = build_desk(org)
        where = conditions("", me_id=None, dialect_name=org.dialect.name)
        with session_scope(org) as s:
            expected = list(s.scalars(select(tickets.c.id).where(*where).order_by(*order_by("priority"))))
        assert list(read_ids(org, where, "priority")) == expected
        # Batches (a small first one for the first page) add up to the same list.
        batches = list(iter_ids(org, where, "priority", batch=4, first=2))
        assert len(batches[0]) == 2 and all(len(b) <= 4 for b in batches)
        assert [i for b in batches for i in b] == expected
        assert {b.itemsize for b in batches} == {4}  # 4 MB for a million tickets
        pending = conditions("status:pending", me_id=None, dialect_name=org.dialect.name)
        assert count_where(org, [where, pending]) == [len(expected), 1]

        marker = latest_event_id(org)
        assert marker > 0
        assert changed_ticket_ids(org, marker, marker) == []
        svc.take(org, actor(org, "dokafor"), ids[1])  # a lead: the ticket may be another analyst's
        svc.add_comment(org, actor(org, "akhan"), ids[2], "on it")
        latest = latest_event_id(org)
        assert latest > marker
        assert sorted(changed_ticket_ids(org, marker, latest)) == sorted([ids[1], ids[2]])
        # Too many changes: the caller reloads everything.
        assert changed_ticket_ids(org, 0, latest, limit=3) is None


def test_analyst_loads_count_active_assigned_tickets(org):
    with clock.frozen(NOW):
        ids = build_desk(org)
        svc.take(org, actor(org, "akhan"), ids[7])
    loads = {load.username: load for load in analyst_loads(org)}
    active = [s.value for s in ACTIVE_STATUSES]
    with session_scope(org) as s:
        names = dict(s.execute(select(Analyst.id, Analyst.username)).all())
        rows = s.execute(select(Ticket.assignee_id, Ticket.status)).all()
    counted: dict[str, int] = {}
    for assignee_id, status in rows:
        if assignee_id is not None and status in active:
            counted[names[assignee_id]] = counted.get(names[assignee_id], 0) + 1
    for username, load in loads.items():
        assert load.open_tickets == counted.get(username, 0), username
    # The fixed desk: demo took 3; akhan took 4, resolved one, then took #8.
    assert loads["akhan"].open_tickets == 4 and loads["demo"].open_tickets == 3
