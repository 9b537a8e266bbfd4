"""Auto-close rules: close resolved tickets after N business days of a calendar
(the rule's, else the ticket's SLA calendar, else every day). Run by the sweep."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.engine import Engine

from deskui import clock
from deskui.domain.calendar import BusinessCalendar
from deskui.domain.enums import Status
from deskui.domain.workflow import WorkflowError
from deskui.errors import ConflictError, NotFound
from deskui.services import sla
from deskui.services.actors import rule_actor
from deskui.services.automation_rules import RuleSet, rules
from deskui.services.tickets import close
from deskui.store.db import session_scope
from deskui.store.models import Calendar, SlaPolicy, Ticket


def close_deadline(resolved_at: datetime, days: int, calendar: BusinessCalendar | None) -> datetime:
    """The same local time on the ``days``-th business day after the resolution
    (every day counts without a calendar). Naive UTC in, naive UTC out."""
    if calendar is None:
        return resolved_at + timedelta(days=days)
    local = calendar.local_time(resolved_at)
    day: date = local.date()
    counted = guard = 0
    while counted < days:
        day += timedelta(days=1)
        guard += 1
        if guard > 3700:  # a calendar with no business days at all: never
            return datetime.max
        if not calendar.is_closed_day(day):
            counted += 1
    deadline = datetime.combine(day, local.time(), tzinfo=local.tzinfo)
    return deadline.astimezone(timezone.utc).replace(tzinfo=None)


def auto_close(engine: Engine, ruleset: RuleSet | None = None, now: datetime | None = None,
               limit: int = 500) -> list[int]:
    """Close resolved tickets whose auto-close time has come. Returns the ids closed."""
    now = now or clock.now()
    ruleset = ruleset if ruleset is not None else rules(engine)
    closed: list[int] = []
    for rule in ruleset.auto_close:
        with session_scope(engine) as session:
            stmt = (
                select(Ticket.id, Ticket.resolved_at, SlaPolicy.calendar_id)
                .outerjoin(SlaPolicy, SlaPolicy.id == Ticket.sla_policy_id)
                .where(Ticket.status == Status.RESOLVED.value, Ticket.resolved_at.is_not(None),
                       # N business days are at least N calendar days
                       Ticket.resolved_at <= now - timedelta(days=rule.after_business_days))
                .order_by(Ticket.resolved_at, Ticket.id).limit(limit)
            )
            if rule.types:
                stmt = stmt.where(Ticket.type.in_(sorted(rule.types)))
            rows = session.execute(stmt).all()
            calendars: dict[int, BusinessCalendar] = {}
            for calendar_id in {rule.calendar or c for _, _, c in rows if (rule.calendar or c)}:
                row = session.get(Calendar, calendar_id)
                if row is not None:
                    calendars[calendar_id] = sla.calendar_of(row)
        for ticket_id, resolved_at, calendar_id in rows:
            calendar = calendars.get(rule.calendar or calendar_id or 0)
            if now < close_deadline(resolved_at, rule.after_business_days, calendar):
                continue
            try:
                close(engine, rule_actor(rule.name), ticket_id, at=now)
                closed.append(ticket_id)
            except (WorkflowError, ConflictError, NotFound):
                continue  # reopened or closed by someone else meanwhile
    return closed
