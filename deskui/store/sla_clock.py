"""The SLA clock of a stored ticket: its clock events, policy and calendar, read
from the database (DESIGN.md §2 SLA).

The state is a pure function of (events, policy, calendar, now) computed by
``deskui.domain.sla.evaluate``; this module only gathers its inputs. The writers
(``deskui.services.sla``) store the outcome on the ticket; the read side shows
the explanation.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine

from deskui import clock
from deskui.domain.calendar import BusinessCalendar
from deskui.domain.enums import EventKind, Status
from deskui.domain.sla import ClockEvent, SlaStatus, explain
from deskui.domain.sla_in_force import PolicyInForce, evaluate_in_force
from deskui.errors import NotFound
from deskui.store.sla_policies import PolicyInfo, calendar_from_row, policy_for
from deskui.store.tables import ticket_events, tickets

if TYPE_CHECKING:  # Core at run time: `sla explain` and `ticket show` import no model (issue 15 item 8)
    from sqlmodel import Session

    from deskui.store.models import Calendar, Ticket


def calendar_of(row: Calendar) -> BusinessCalendar:
    return calendar_from_row(row.name, row.timezone, row.weekly_hours, row.holidays, row.holiday_country)


def clock_events(rows) -> list[ClockEvent]:
    """Translate the ticket's history into the SLA clock's events."""
    result: list[ClockEvent] = []
    rows = list(rows)
    # A request that needs approval starts its clock at approval (issue 7, services/requests.py).
    gated = any(e.kind == EventKind.APPROVAL and e.field == "approval" and e.new == "requested" for e in rows)
    for e in rows:
        if e.kind == EventKind.CREATED:
            if not gated:
                result.append(ClockEvent(e.at, "open"))
        elif gated and e.kind == EventKind.APPROVAL and e.field == "approval" and e.new == "approved":
            result.append(ClockEvent(e.at, "open", f"approved by {e.actor}"))
        elif e.kind == EventKind.FIRST_RESPONSE:
            result.append(ClockEvent(e.at, "respond", f"first public reply by {e.actor}"))
        elif e.kind == EventKind.RESOLVED:
            result.append(ClockEvent(e.at, "resolve", f"resolved by {e.actor}"))
        elif e.kind == EventKind.REOPENED:
            result.append(ClockEvent(e.at, "reopen", f"reopened by {e.actor}"))
        elif e.kind == EventKind.STATUS:
            if e.new == Status.PENDING:
                # In words ("pending: awaiting requester"): sla explain and the ticket screen show it.
                result.append(ClockEvent(e.at, "pause", f"pending: {(e.detail or '').replace('_', ' ')}".strip(": ")))
            elif e.old == Status.PENDING and e.new in (Status.OPEN, Status.NEW):
                result.append(ClockEvent(e.at, "resume", f"back to {e.new}"))
            elif e.new == Status.CANCELLED:
                result.append(ClockEvent(e.at, "cancel", "cancelled"))
    return result


def priorities_in_force(rows, current: int) -> list[tuple[datetime | None, int]]:
    """(since, priority) pairs from the history's priority changes: the first from
    the opening (None), then one per change; ``current`` when it never changed."""
    changes = [(e.at, int(e.old.lstrip("P")), int(e.new.lstrip("P"))) for e in rows
               if e.kind == EventKind.PRIORITY and e.field == "priority" and e.old and e.new]
    if not changes:
        return [(None, current)]
    result: list[tuple[datetime | None, int]] = [(None, changes[0][1])]
    for at, _old, new in changes:
        if new != result[-1][1]:
            result.append((at, new))
    return result


def evaluate_history(rows: Sequence, priority: int, lookup: Callable[[int], PolicyInfo | None], now: datetime, *,
                     detail: bool = True) -> tuple[SlaStatus, PolicyInfo] | None:
    """The SLA of a ticket from its history rows (stored events or planned ones):
    measured by the current ``priority``'s policy (``lookup(priority)``), keeping a
    breach that happened under an earlier priority's policy (deskui.domain.sla_in_force).
    None: no policy, or a request whose clock has not started (awaiting approval)."""
    info = lookup(priority)
    if info is None:
        return None
    events = clock_events(rows)
    if not any(e.kind == "open" for e in events):
        return None
    in_force = []
    for since, p in priorities_in_force(rows, priority):
        found = info if p == priority else lookup(p)
        if found is not None:
            in_force.append(PolicyInForce(since, found.name, found.targets, found.calendar))
    if not in_force or in_force[-1].name != info.name:
        in_force.append(PolicyInForce(None, info.name, info.targets, info.calendar))
    return evaluate_in_force(events, in_force, now, detail=detail), info


def _history(session: Session, ticket_id: int):
    e = ticket_events.c
    return session.execute(select(e.id, e.at, e.actor, e.kind, e.field, e.old, e.new, e.detail)
                           .where(e.ticket_id == ticket_id).order_by(e.id)).all()


# The event kinds the clock (clock_events, priorities_in_force) and the breach record read.
CLOCK_KINDS = (EventKind.CREATED, EventKind.APPROVAL, EventKind.FIRST_RESPONSE, EventKind.RESOLVED,
               EventKind.REOPENED, EventKind.STATUS, EventKind.PRIORITY, EventKind.SLA_BREACH)


def histories(session: Session, ticket_ids: Sequence[int]) -> dict[int, list]:
    """{ticket id: its clock-relevant events in id order} for many tickets in one query
    (rows with the attributes the clock reads), for the sweep."""
    result: dict[int, list] = {ticket_id: [] for ticket_id in ticket_ids}
    if not ticket_ids:
        return result
    e = ticket_events.c
    rows = session.execute(
        select(e.ticket_id, e.id, e.at, e.actor, e.kind, e.field, e.old, e.new, e.detail)
        .where(e.ticket_id.in_(list(ticket_ids)), e.kind.in_([str(k.value) for k in CLOCK_KINDS]))
        .order_by(e.ticket_id, e.id))
    for row in rows:
        result[row.ticket_id].append(row)
    return result


def status_of(session: Session, ticket: Ticket, now: datetime | None = None, detail: bool = True,
              policies: dict | None = None, history: Sequence | None = None) -> tuple[SlaStatus, PolicyInfo] | None:
    """The ticket's SLA status and policy; ``policies`` caches the policy per
    (priority, type) across calls (a sweep: 40% of its time was this lookup);
    ``history``: the ticket's clock-relevant events in id order, when the caller
    read them already (the sweep reads a batch's in one query, ``histories``)."""
    key = (ticket.priority, ticket.type)
    if policies is not None and key in policies:
        info = policies[key]
    else:
        info = policy_for(session, *key)
        if policies is not None:
            policies[key] = info
    if info is None:
        return None

    def lookup(p: int) -> PolicyInfo | None:
        if p == ticket.priority:
            return info
        if policies is not None and (p, ticket.type) in policies:
            return policies[(p, ticket.type)]
        return policy_for(session, p, ticket.type)

    rows = _history(session, ticket.id) if history is None else history
    return evaluate_history(rows, ticket.priority, lookup, now or clock.now(), detail=detail)


def explain_ticket(engine: Engine, ticket_id: int, now: datetime | None = None) -> tuple[SlaStatus | None, list[str]]:
    """The SLA status of a ticket and its step-by-step explanation."""
    with engine.connect() as session:
        ticket = session.execute(select(tickets.c.id, tickets.c.priority, tickets.c.type)
                                 .where(tickets.c.id == ticket_id)).first()
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} not found")
        result = status_of(session, ticket, now)
        if result is None:
            return None, [f"#{ticket_id}: no SLA policy for P{ticket.priority} {ticket.type}"]
        status, info = result
        header = [f"#{ticket_id}: policy {info.name} on calendar {info.calendar.name or info.calendar.timezone}"]
        return status, header + explain(status, info.calendar)
