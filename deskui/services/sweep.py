"""The SLA sweep: refresh every active ticket's SLA cache, then the rules that ride on it.

In the app on a timer (one app of the desk at a time: :func:`claim_sweep`) and by
``deskui sla sweep`` for cron. After each ticket's refresh (:func:`deskui.services.sla.refresh`,
which writes a breach event once) the SLA escalation rules fire
(:mod:`deskui.services.escalation`); then resolved tickets due to close are closed
(:mod:`deskui.services.auto_close`). It sits above tickets, SLA and automation and
nothing below imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES
from deskui.services import sla
from deskui.services.auto_close import auto_close
from deskui.services.automation_rules import rules as load
from deskui.services.escalation import on_sla_refresh
from deskui.store.db import session_scope, write_session
from deskui.store.models import Setting, Ticket
from deskui.store.upsert import insert_ignore


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
    one wins; a holder that dies lets the lease run out. False, too, for a
    PostgreSQL login without the privilege to claim it (a viewer)."""
    now = now or clock.now()
    stamp = now.isoformat(timespec="microseconds")  # ISO text orders as time does
    until = (now + timedelta(seconds=max(0.0, seconds))).isoformat(timespec="microseconds")
    try:
        with write_session(engine) as session:
            insert_ignore(session, Setting.__table__, ["key"], key=SWEEP_LEASE, value="")
            claimed = session.execute(
                update(Setting).where(Setting.key == SWEEP_LEASE, Setting.value <= stamp).values(value=until)
            ).rowcount
    except DBAPIError as exc:
        # A PostgreSQL login that may not write the lease (a viewer: `deskui db grant`)
        # does not sweep; the analysts' apps or cron do.
        if getattr(exc.orig, "sqlstate", None) == "42501":
            return False
        raise
    return claimed == 1


def sweep(engine: Engine, now: datetime | None = None, batch_size: int = 500) -> SweepResult:
    """Refresh the SLA cache of every active ticket, in short write transactions."""
    now = now or clock.now()
    active = [s.value for s in ACTIVE_STATUSES]
    with session_scope(engine) as session:
        ids = session.scalars(select(Ticket.id).where(Ticket.status.in_(active)).order_by(Ticket.id)).all()
    checked = changed = breaches = 0
    rules = load(engine)
    policies: dict = {}  # (priority, type) -> PolicyInfo, for this sweep
    for start in range(0, len(ids), batch_size):
        with write_session(engine) as session:
            batch = ids[start:start + batch_size]
            # One query for the batch's tickets and one for their clock events (not one per ticket).
            events = sla.histories(session, batch)
            for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(batch))).all():
                before = _cache(ticket)
                had_breach = ticket.sla_breach_recorded
                status = sla.refresh(session, ticket, "sla-sweep", now, policies=policies,
                                     history=events[ticket.id])
                on_sla_refresh(session, ticket, status, rules, now)
                after = _cache(ticket)
                checked += 1
                # The SLA cache is derived data, not an analyst's edit: the
                # version stays, so a sweep never makes an analyst's save conflict.
                if before != after:
                    changed += 1
                if ticket.sla_breach_recorded and not had_breach:
                    breaches += 1
    auto_close(engine, rules, now)
    return SweepResult(checked, changed, breaches)
