"""The ``sla:`` filter in SQL selects exactly the tickets the domain's live state names."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import select

from deskui.domain.enums import SlaState
from deskui.domain.sla_state import ticket_state_at
from deskui.store.db import session_scope, write_session
from deskui.store.models import Requester, Ticket
from deskui.store.sla_live import ticket_state_is
from deskui.store.tables import tickets

T0 = datetime(2026, 3, 10, 12, 0, 0)
STATUSES = ("new", "open", "pending", "resolved", "closed", "cancelled")
# (stored state, warn_at, due_at) of one target, around T0.
TARGETS = [
    ("ok", None, None), ("ok", T0 + timedelta(hours=1), T0 + timedelta(hours=2)),
    ("ok", T0 - timedelta(hours=1), T0 + timedelta(hours=1)), ("ok", T0 - timedelta(hours=2), T0),
    ("at_risk", T0 - timedelta(hours=1), T0 + timedelta(hours=1)), ("paused", None, None),
    ("paused", T0 - timedelta(hours=1), None), ("met", T0 - timedelta(hours=3), T0 - timedelta(hours=2)),
    ("breached", T0 - timedelta(hours=3), T0 - timedelta(hours=1)),
]
NOWS = (T0 - timedelta(hours=3), T0, T0 + timedelta(minutes=90), T0 + timedelta(days=1))


def test_sql_and_domain_agree_on_every_combination(engine):
    combos = list(itertools.product(STATUSES, TARGETS, TARGETS))
    with write_session(engine) as s:
        person = Requester(email="a@example.com", name="A")
        s.add(person)
        s.flush()
        for n, (status, response, resolution) in enumerate(combos):
            s.add(Ticket(
                subject=f"t{n}", external_ref=f"t{n}", type="incident", status=status, priority=3,
                requester_id=person.id, channel="email", created_at=T0, updated_at=T0,
                response_state=response[0], response_warn_at=response[1], response_due_at=response[2],
                resolution_state=resolution[0], resolution_warn_at=resolution[1], resolution_due_at=resolution[2],
            ))
    reached: set[SlaState] = set()
    with session_scope(engine) as s:
        ids = s.execute(select(tickets.c.id).order_by(tickets.c.id)).scalars().all()
        for now in NOWS:
            expected = {state: set() for state in SlaState}
            for ticket_id, (status, response, resolution) in zip(ids, combos):
                live = ticket_state_at(status, response, resolution, now)
                if live is not None:
                    expected[live].add(ticket_id)
            for state in SlaState:
                found = set(s.execute(select(tickets.c.id).where(ticket_state_is(state, now))).scalars())
                assert found == expected[state], (state, now)
                reached |= {state} if found else set()
    # The grid reaches every state, so the comparison means something.
    assert reached == set(SlaState)
