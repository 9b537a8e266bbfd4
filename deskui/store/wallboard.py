"""The wallboard's live counts: active tickets by group and by analyst, at risk
and breached by the live SLA rule (deskui.store.sla_live, the queue's own), and
the oldest breaches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES
from deskui.store.metrics import _count_if, _int, at_risk_condition, past_sla_condition
from deskui.store.models import Analyst, Group, Ticket, TicketEvent
from deskui.store.sla_live import breached_at

_ACTIVE = sorted(status.value for status in ACTIVE_STATUSES)


@dataclass(frozen=True)
class GroupLoad:
    group: str | None
    open: int
    unassigned: int
    at_risk: int
    breached: int


@dataclass(frozen=True)
class AnalystLoad:
    username: str
    name: str
    open: int
    at_risk: int
    breached: int


@dataclass(frozen=True)
class Breach:
    id: int
    priority: int
    subject: str
    group: str | None
    assignee: str | None
    breached_at: datetime | None  # the earlier breached target's deadline


@dataclass(frozen=True)
class Wallboard:
    now: datetime
    open: int
    at_risk: int
    breached: int
    unassigned: int
    groups: tuple[GroupLoad, ...]
    analysts: tuple[AnalystLoad, ...]
    oldest_breaches: tuple[Breach, ...]
    marker: int  # max(ticket_events.id): changes whenever anything changes


def change_marker(session: Session) -> int:
    """One cheap question for live refresh: the newest event id."""
    return _int(session.execute(select(func.max(TicketEvent.id))).scalar())


def wallboard(session: Session, *, now: datetime | None = None, breaches: int = 10,
              analysts: int = 12) -> Wallboard:
    """Live counts over active tickets: by group, by analyst, and the oldest breaches."""
    now = now or clock.now()
    past = past_sla_condition(now)
    risk = at_risk_condition(now)
    active = Ticket.status.in_(_ACTIVE)
    group_rows = session.execute(
        select(Group.name, func.count(), _count_if(Ticket.assignee_id.is_(None)), _count_if(risk), _count_if(past))
        .select_from(Ticket).outerjoin(Group, Group.id == Ticket.group_id).where(active)
        .group_by(Group.name).order_by(_count_if(past).desc(), func.count().desc(), Group.name)
    ).all()
    groups = tuple(GroupLoad(name, _int(n), _int(u), _int(r), _int(b)) for name, n, u, r, b in group_rows)
    analyst_rows = session.execute(
        select(Analyst.username, Analyst.name, func.count(), _count_if(risk), _count_if(past))
        .select_from(Ticket).join(Analyst, Analyst.id == Ticket.assignee_id).where(active)
        .group_by(Analyst.username, Analyst.name).order_by(func.count().desc(), Analyst.username).limit(analysts)
    ).all()
    loads = tuple(AnalystLoad(u, name, _int(n), _int(r), _int(b)) for u, name, n, r, b in analyst_rows)
    # The breach instant of a target is its due time; the earlier breached one counts.
    columns = Ticket.__table__.c
    response_at = breached_at("response", now, columns)
    resolution_at = breached_at("resolution", now, columns)
    first_breach = case(
        (response_at.is_(None), resolution_at),
        (resolution_at.is_(None), response_at),
        (response_at <= resolution_at, response_at),
        else_=resolution_at,
    )
    assignee = aliased(Analyst)
    breach_rows = session.execute(
        select(Ticket.id, Ticket.priority, Ticket.subject, Group.name, assignee.username, first_breach.label("b"))
        .outerjoin(Group, Group.id == Ticket.group_id).outerjoin(assignee, assignee.id == Ticket.assignee_id)
        .where(active, past).order_by(first_breach.is_(None), first_breach, Ticket.id).limit(breaches)
    ).all()
    # Every active ticket is in exactly one group row (no group: None), so the rows sum to the totals.
    return Wallboard(
        now=now, open=sum(g.open for g in groups), at_risk=sum(g.at_risk for g in groups),
        breached=sum(g.breached for g in groups), unassigned=sum(g.unassigned for g in groups),
        groups=groups, analysts=loads,
        oldest_breaches=tuple(Breach(*row) for row in breach_rows), marker=change_marker(session),
    )
