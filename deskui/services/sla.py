"""SLA: the clock events of a ticket, its policy and calendar, and the stored cache.

The state is a pure function of (events, policy, calendar, now) computed by
``deskui.domain.sla.evaluate``; the due times and states stored on the ticket
are a cache for sorting the queue, refreshed on every change and by the sweep
(:mod:`deskui.services.sweep`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import select
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import EventKind, SlaState
from deskui.domain.history import HistoryPlan, TicketState
from deskui.domain.sla import SlaStatus
from deskui.services.ticket_history import add_events
from deskui.store.models import Ticket, TicketEvent
# The clock's reads live in the store, shared with the read side; named here for the writers.
from deskui.store.sla_clock import (  # noqa: F401
    calendar_of, clock_events, evaluate_history, explain_ticket, histories, status_of,
)
from deskui.store.sla_policies import PolicyInfo, policy_for  # noqa: F401 (used by importers)


def refresh(session: Session, ticket: Ticket, actor_name: str = "system", now: datetime | None = None,
            policies: dict | None = None, history: Sequence | None = None) -> SlaStatus | None:
    """Recompute the stored SLA cache of one ticket; write a breach event once per target.

    ``history``: the ticket's clock events as ``deskui.store.sla_clock.histories``
    reads them for a batch (the sweep); without it they are read here, after a flush
    so that events added in this transaction count."""
    now = now or clock.now()
    if history is None:
        session.flush()
    result = status_of(session, ticket, now, detail=False, policies=policies, history=history)
    if result is None:
        ticket.sla_policy_id = None
        ticket.response_due_at = ticket.resolution_due_at = None
        ticket.response_warn_at = ticket.resolution_warn_at = None
        ticket.response_state = ticket.resolution_state = SlaState.OK.value
        return None
    status, info = result
    ticket.sla_policy_id = info.policy_id
    ticket.response_due_at = status.response.due_at
    ticket.resolution_due_at = status.resolution.due_at
    ticket.response_warn_at = status.response.warn_at
    ticket.resolution_warn_at = status.resolution.warn_at
    ticket.response_state = status.response.state.value
    ticket.resolution_state = status.resolution.state.value
    plan = HistoryPlan(TicketState(ticket_id=ticket.id), None, actor_name)
    for target in (status.response, status.resolution):
        if target.breached_at is not None and not _breach_recorded(session, ticket.id, target.name, history):
            plan.sla_breach(min(target.breached_at, now), target.name, info.name)
    if plan.events:
        add_events(session, ticket.id, plan.events)
        ticket.sla_breach_recorded = True
    return status


def _breach_recorded(session: Session, ticket_id: int, target: str, history: Sequence | None = None) -> bool:
    if history is not None:
        return any(e.kind == EventKind.SLA_BREACH and e.field == target for e in history)
    return session.scalars(
        select(TicketEvent.id).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.SLA_BREACH, TicketEvent.field == target
        )
    ).first() is not None
