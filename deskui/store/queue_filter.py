"""Compile a parsed queue query (deskui.domain.query) into SQL conditions.

Every term becomes one condition on the ``tickets`` table; the caller ANDs
them (``select(tickets.c.id).where(*conditions)``). Names (analysts, groups,
categories, requesters) are resolved inside the SQL with ``IN (SELECT id ...)``
subqueries, case-insensitively (``lower()`` on both sides, so SQLite and
PostgreSQL fold the same way for ASCII). A name that matches nothing
selects nothing here; deskui.store.query_names finds such names beforehand, so
the queue and `ticket list` can say so with the closest names.

Each positive condition is two-valued (never SQL NULL), so a negated term
(``-assignee:bob``) is its exact complement: unassigned tickets are "not
assigned to bob".

SLA states are the live ones (``deskui.domain.sla_state``, in SQL by
``deskui.store.sla_live``): ``breached``, ``at_risk``, ``paused``, ``ok`` split
the active tickets with no overlap; ``met`` is a resolved or closed ticket with
no target breached, ``breached`` also takes in the resolved or closed tickets
that breached (the queue shows them only with a ``status:`` term).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Sequence

from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select

from deskui.domain.query import NONE, Age, Query, QueryError, Special, Term
from deskui.store.sla_live import ticket_state_in
from deskui.store.tables import analysts, categories, groups, requesters, tickets


def compile_query(
    query: Query, *, me_id: int | None, now: datetime, dialect_name: str
) -> list[ColumnElement[bool]]:
    """Conditions (to be AND-ed) selecting the tickets ``query`` describes.

    ``me_id`` is the current analyst for ``assignee:me`` (a QueryError if it
    is needed and None); ``now`` (naive UTC, aware is converted) anchors ages
    such as ``created:<7d``; ``dialect_name`` picks the full-text flavour.
    """
    now = _naive_utc(now)
    conditions: list[ColumnElement[bool]] = []
    for term in query.terms:
        condition = _term_condition(term, me_id=me_id, now=now)
        conditions.append(not_(condition) if term.negate else condition)
    if query.words or query.phrases:
        # Imported here: the full-text module is only needed for free text.
        from deskui.store.search import ticket_text_condition

        conditions.append(ticket_text_condition(dialect_name, list(query.words), list(query.phrases)))
    return conditions


def _term_condition(term: Term, *, me_id: int | None, now: datetime) -> ColumnElement[bool]:
    key = term.key
    if key in ("status", "type", "channel"):
        column = {"status": tickets.c.status, "type": tickets.c.type, "channel": tickets.c.channel}[key]
        return column.in_([value.value for value in term.values])
    if key in ("priority", "tier"):
        column = tickets.c.priority if key == "priority" else tickets.c.tier
        return column.in_(list(term.values))
    if key == "sla":
        return ticket_state_in(term.values, now)
    if key == "assignee":
        return _assignee(term, me_id)
    if key == "group":
        return _nullable_in(tickets.c.group_id, term.values, _group_ids)
    if key == "category":
        return _nullable_in(tickets.c.category_id, term.values, _category_ids)
    if key == "requester":
        return _nullable_in(tickets.c.requester_id, term.values, _requester_ids)
    if key == "problem":
        numbers = [value for value in term.values if not isinstance(value, Special)]
        column = tickets.c.problem_id
        return _nullable(column, NONE in term.values, column.in_(numbers) if numbers else None)
    if key == "ci":
        names = [value for value in term.values if not isinstance(value, Special)]
        parts = [tickets.c.ci == ""] if NONE in term.values else []
        if names:
            parts.append(func.lower(tickets.c.ci).in_([func.lower(name) for name in names]))
        return or_(*parts)
    if key in ("created", "updated", "resolved"):
        column = {"created": tickets.c.created_at, "updated": tickets.c.updated_at,
                  "resolved": tickets.c.resolved_at}[key]
        (value,) = term.values
        condition = _time(column, term.op, value, now)
        # resolved_at is NULL on open tickets: keep the condition two-valued.
        return and_(column.is_not(None), condition) if key == "resolved" else condition
    raise QueryError(f"{key}: cannot be used in the queue", term.position)


# ------------------------------------------------------------------ names


def _nullable(column, wants_none: bool, matches: ColumnElement[bool] | None) -> ColumnElement[bool]:
    """``column IS NULL`` (for none) OR a match that is FALSE, never NULL, on NULL."""
    parts = []
    if wants_none:
        parts.append(column.is_(None))
    if matches is not None:
        parts.append(and_(column.is_not(None), matches))
    return or_(*parts) if parts else false()


def _nullable_in(column, values: Sequence, ids_for) -> ColumnElement[bool]:
    names = [value for value in values if not isinstance(value, Special)]
    matches = column.in_(ids_for(names)) if names else None
    return _nullable(column, NONE in values, matches)


def _lowered(names: Sequence[str]) -> list:
    return [func.lower(name) for name in names]


def _assignee(term: Term, me_id: int | None) -> ColumnElement[bool]:
    column = tickets.c.assignee_id
    names = [value for value in term.values if not isinstance(value, Special)]
    matches = []
    if any(value is Special.ME for value in term.values):
        if me_id is None:
            raise QueryError("assignee:me needs to know who you are: start deskui --as USER", term.position)
        matches.append(column == me_id)
    if names:
        matches.append(column.in_(_analyst_ids(names)))
    return _nullable(column, NONE in term.values, or_(*matches) if matches else None)


def _analyst_ids(names: Sequence[str]):
    """By username or full name."""
    a = analysts.c
    return select(a.id).where(or_(func.lower(a.username).in_(_lowered(names)), func.lower(a.name).in_(_lowered(names))))



def _group_ids(names: Sequence[str]):
    return select(groups.c.id).where(func.lower(groups.c.name).in_(_lowered(names)))


def _category_ids(names: Sequence[str]):
    """A category path, its subcategories, or a (sub)category by its own name."""
    parts = []
    for name in names:
        path = name.rstrip("/") or name
        parts.append(func.lower(categories.c.path) == func.lower(path))
        parts.append(func.lower(func.substr(categories.c.path, 1, len(path) + 1)) == func.lower(path + "/"))
        parts.append(func.lower(categories.c.name) == func.lower(path))
    return select(categories.c.id).where(or_(*parts))


def _requester_ids(names: Sequence[str]):
    """By e-mail, by the e-mail's name before the @, or by full name."""
    parts = []
    for name in names:
        parts.append(func.lower(requesters.c.email) == func.lower(name))
        parts.append(func.lower(requesters.c.name) == func.lower(name))
        if "@" not in name:
            parts.append(func.lower(func.substr(requesters.c.email, 1, len(name) + 1)) == func.lower(name + "@"))
    return select(requesters.c.id).where(or_(*parts))


#: The keys whose values are names: what each names, and how the filter finds the ids it means.
NAME_LOOKUPS = {
    "assignee": ("analyst", _analyst_ids),
    "group": ("group", _group_ids),
    "category": ("category", _category_ids),
    "requester": ("requester", _requester_ids),
}


# ------------------------------------------------------------------ time


def _time(column, op: str, value: Age | date, now: datetime) -> ColumnElement[bool]:
    if isinstance(value, Age):
        # An age compares with "now - age": younger (<) means a later time.
        cutoff = _shift(now, -value.delta)
        if op == "<":
            return column > cutoff
        if op == "<=":
            return column >= cutoff
        if op == ">":
            return column < cutoff
        if op == ">=":
            return column <= cutoff
        raise QueryError(f"an age needs <, <=, > or >=, not {op!r}")
    # A date is a whole UTC day [start, end).
    start = datetime.combine(value, time())
    end = _shift(start, timedelta(days=1))
    if op == "=":
        return and_(column >= start, column < end)
    if op == "<":
        return column < start
    if op == "<=":
        return column < end
    if op == ">":
        return column >= end
    if op == ">=":
        return column >= start
    raise QueryError(f"a date needs <, <=, >, >= or none, not {op!r}")


def _shift(moment: datetime, delta: timedelta) -> datetime:
    try:
        return moment + delta
    except OverflowError:
        return datetime.max if delta > timedelta(0) else datetime.min


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        return moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment

