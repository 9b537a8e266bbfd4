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

from sqlalchemy import ColumnElement, and_, false, not_, or_

from deskui.domain.enums import ACTIVE_STATUSES, SlaState, Status
from deskui.store.tables import tickets

_ACTIVE = sorted(status.value for status in ACTIVE_STATUSES)
_FINISHED = [Status.RESOLVED.value, Status.CLOSED.value]
_RUNNING = [SlaState.OK.value, SlaState.AT_RISK.value]
_TARGETS = {
    "response": (tickets.c.response_state, tickets.c.response_warn_at, tickets.c.response_due_at),
    "resolution": (tickets.c.resolution_state, tickets.c.resolution_warn_at, tickets.c.resolution_due_at),
}


def target_breached(target: str, now: datetime) -> ColumnElement[bool]:
    state, _warn, due = _TARGETS[target]
    return or_(state == SlaState.BREACHED.value,
               and_(state.in_(_RUNNING), due.is_not(None), due <= now))


def target_at_risk(target: str, now: datetime) -> ColumnElement[bool]:
    state, warn, due = _TARGETS[target]
    return and_(state.in_(_RUNNING), or_(due.is_(None), due > now),
                or_(state == SlaState.AT_RISK.value, and_(warn.is_not(None), warn <= now)))


def target_paused(target: str) -> ColumnElement[bool]:
    return _TARGETS[target][0] == SlaState.PAUSED.value


def any_breached(now: datetime) -> ColumnElement[bool]:
    return or_(target_breached("response", now), target_breached("resolution", now))


def ticket_state_is(state: SlaState, now: datetime) -> ColumnElement[bool]:
    """Tickets whose live overall state is ``state`` (see deskui.domain.sla_state)."""
    breached = any_breached(now)
    at_risk = or_(target_at_risk("response", now), target_at_risk("resolution", now))
    paused = or_(target_paused("response"), target_paused("resolution"))
    active = tickets.c.status.in_(_ACTIVE)
    if state is SlaState.MET:
        return and_(tickets.c.status.in_(_FINISHED), not_(breached))
    if state is SlaState.BREACHED:  # active or finished: a breach stays a breach
        return and_(tickets.c.status.in_(_ACTIVE + _FINISHED), breached)
    if state is SlaState.AT_RISK:
        return and_(active, not_(breached), at_risk)
    if state is SlaState.PAUSED:
        return and_(active, not_(breached), not_(at_risk), paused)
    return and_(active, not_(breached), not_(at_risk), not_(paused))


def ticket_state_in(states: Sequence[SlaState], now: datetime) -> ColumnElement[bool]:
    parts = [ticket_state_is(SlaState(state), now) for state in states]
    return or_(*parts) if parts else false()
