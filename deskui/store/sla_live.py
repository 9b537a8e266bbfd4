"""The live SLA state (deskui.domain.sla_state) stated in SQL, for filters and counts.

``deskui.domain.sla_state`` decides the rule; this module says the same thing as
conditions on the ``tickets`` table so the ``sla:`` filter, the view counts and
the wallboard select exactly the tickets the queue's SLA cell colours that way
(``tests/store/test_sla_live.py`` checks the two against each other). Every
condition is two-valued (never SQL NULL), so a negated term is its complement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Sequence

from sqlalchemy import ColumnElement, and_, case, false, not_, or_

from deskui.domain.enums import ACTIVE_STATUSES, SlaState, Status
from deskui.store.tables import tickets

_ACTIVE = sorted(status.value for status in ACTIVE_STATUSES)
_FINISHED = [Status.RESOLVED.value, Status.CLOSED.value]
_RUNNING = [SlaState.OK.value, SlaState.AT_RISK.value]


def _target(columns, target: str) -> tuple:
    """(state, warn_at, due_at) columns of a target. ``columns``: the ticket columns
    the caller's statement selects from (the lightweight ``tables.tickets`` by
    default; the ORM table for statements built on the models, so one statement
    never names the table twice)."""
    c = tickets.c if columns is None else columns
    return getattr(c, f"{target}_state"), getattr(c, f"{target}_warn_at"), getattr(c, f"{target}_due_at")


def target_breached(target: str, now: datetime, columns=None) -> ColumnElement[bool]:
    state, _warn, due = _target(columns, target)
    return or_(state == SlaState.BREACHED.value,
               and_(state.in_(_RUNNING), due.is_not(None), due < now))


def breached_at(target: str, now: datetime, columns=None) -> ColumnElement:
    """The instant the target breached (its deadline), NULL when it has not."""
    due = _target(columns, target)[2]
    return case((target_breached(target, now, columns), due), else_=None)


def target_at_risk(target: str, now: datetime, columns=None) -> ColumnElement[bool]:
    state, warn, due = _target(columns, target)
    return and_(state.in_(_RUNNING), or_(due.is_(None), due >= now),
                or_(state == SlaState.AT_RISK.value, and_(warn.is_not(None), warn <= now)))


def target_paused(target: str, columns=None) -> ColumnElement[bool]:
    return _target(columns, target)[0] == SlaState.PAUSED.value


def any_breached(now: datetime, columns=None) -> ColumnElement[bool]:
    return or_(target_breached("response", now, columns), target_breached("resolution", now, columns))


def ticket_state_is(state: SlaState, now: datetime, columns=None) -> ColumnElement[bool]:
    """Tickets whose live overall state is ``state`` (see deskui.domain.sla_state)."""
    c = tickets.c if columns is None else columns
    breached = any_breached(now, columns)
    at_risk = or_(target_at_risk("response", now, columns), target_at_risk("resolution", now, columns))
    paused = or_(target_paused("response", columns), target_paused("resolution", columns))
    active = c.status.in_(_ACTIVE)
    if state is SlaState.MET:
        return and_(c.status.in_(_FINISHED), not_(breached))
    if state is SlaState.BREACHED:  # active or finished: a breach stays a breach
        return and_(c.status.in_(_ACTIVE + _FINISHED), breached)
    if state is SlaState.AT_RISK:
        return and_(active, not_(breached), at_risk)
    if state is SlaState.PAUSED:
        return and_(active, not_(breached), not_(at_risk), paused)
    return and_(active, not_(breached), not_(at_risk), not_(paused))


def ticket_state_in(states: Sequence[SlaState], now: datetime, columns=None) -> ColumnElement[bool]:
    parts = [ticket_state_is(SlaState(state), now, columns) for state in states]
    return or_(*parts) if parts else false()
