"""SLA: the clock events of a ticket, its policy and calendar, and the stored cache.

The state is a pure function of (events, policy, calendar, now) computed by
``deskui.domain.sla.evaluate``; the due times and states stored on the ticket
are a cache for sorting the queue, refreshed on every change and by the sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES, EventKind, SlaState
from deskui.domain.sla import SlaStatus
from deskui.store.db import session_scope, write_session
from deskui.store.models import Setting, Ticket, TicketEvent
# The clock's reads live in the store, shared with the read side; named here for the writers.
from deskui.store.sla_clock import calendar_of, clock_events, explain_ticket, status_of  # noqa: F401
from deskui.store.sla_policies import PolicyInfo, policy_for  # noqa: F401 (used by importers)


def refresh(session: Session, ticket: Ticket, actor_name: str = "system", now: datetime | None = None,
            policies: dict | None = None) -> SlaStatus | None:
    """Recompute the stored SLA cache of one ticket; write a breach event once per target."""
    now = now or clock.now()
    session.flush()
    result = status_of(session, ticket, now, detail=False, policies=policies)
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
    for target in (status.response, status.resolution):
        if target.breached_at is not None and not _breach_recorded(session, ticket.id, target.name):
            session.add(TicketEvent(
                ticket_id=ticket.id, at=min(target.breached_at, now), actor=actor_name,
                kind=EventKind.SLA_BREACH, field=target.name,
                detail=f"{target.name} target of {info.name} breached",
            ))
            ticket.sla_breach_recorded = True
    return status


def _breach_recorded(session: Session, ticket_id: int, target: str) -> bool:
    return session.scalars(
        select(TicketEvent.id).where(
            TicketEvent.ticket_id == ticket_id, TicketEvent.kind == EventKind.SLA_BREACH, TicketEvent.field == target
        )
    ).first() is not None


def _cache(ticket: Ticket) -> tuple:
    return (ticket.response_due_at, ticket.resolution_due_at, ticket.response_warn_at, ticket.resolution_warn_at,
            ticket.response_state, ticket.resolution_state, ticket.sla_breach_recorded)


@dataclass(frozen=True)
class SweepResult:
    checked: int
    changed: int
    breaches: int


SWEEP_LEASE = "sla.sweep_lease"  # settings row: until when the current sweeper holds the sweep


def claim_sweep(engine: Engine, seconds: float, now: datetime | None = None) -> bool:
    """Claim the desk's SLA sweep for ``seconds``; True when the caller should sweep.

    Every running app sweeps on a timer, but one sweep a period is enough for
    the whole desk: twenty analysts' apps each re-reading every active ticket
    each minute would keep the database busy (and, on SQLite, its write lock).
    The claim is one conditional UPDATE, so of apps claiming at once exactly
    one wins; a holder that dies lets the lease run out."""
    now = now or clock.now()
    stamp = now.isoformat(timespec="microseconds")  # ISO text orders as time does
    until = (now + timedelta(seconds=max(0.0, seconds))).isoformat(timespec="microseconds")
    with write_session(engine) as session:
        insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
        session.execute(insert(Setting.__table__).values(key=SWEEP_LEASE, value="")
                        .on_conflict_do_nothing(index_elements=["key"]))
        claimed = session.execute(
            update(Setting).where(Setting.key == SWEEP_LEASE, Setting.value <= stamp).values(value=until)
        ).rowcount
    return claimed == 1


def sweep(engine: Engine, now: datetime | None = None, batch_size: int = 500) -> SweepResult:
    """Refresh the SLA cache of every active ticket, in short write transactions."""
    now = now or clock.now()
    active = [s.value for s in ACTIVE_STATUSES]
    with session_scope(engine) as session:
        ids = session.scalars(select(Ticket.id).where(Ticket.status.in_(active)).order_by(Ticket.id)).all()
    checked = changed = breaches = 0
    from deskui.services import automation  # escalation and auto-close rules ride on the sweep (issue 7)
    rules = automation.rules(engine)
    policies: dict = {}  # (priority, type) -> PolicyInfo, for this sweep
    for start in range(0, len(ids), batch_size):
        with write_session(engine) as session:
            for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(ids[start:start + batch_size]))).all():
                before = _cache(ticket)
                had_breach = ticket.sla_breach_recorded
                status = refresh(session, ticket, "sla-sweep", now, policies=policies)
                automation.on_sla_refresh(session, ticket, status, rules, now)
                after = _cache(ticket)
                checked += 1
                # The SLA cache is derived data, not an analyst's edit: the
                # version stays, so a sweep never makes an analyst's save conflict.
                if before != after:
                    changed += 1
                if ticket.sla_breach_recorded and not had_breach:
                    breaches += 1
    automation.auto_close(engine, rules, now)
    return SweepResult(checked, changed, breaches)
