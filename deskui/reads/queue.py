"""The live queue's read side: a view's query and the analyst's filter become
ordered ticket ids, pages of rows, view counts and "what changed since".

The queue screen holds a :class:`QueueSource` and calls it from thread
workers; it never sees SQL. A :class:`QueueQuery` is compiled once per filter
(its conditions stay opaque to the screen) and reused by every read of it.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import Iterator, Sequence

from deskui import clock
from deskui.domain.calendar import BusinessCalendar
from deskui.domain.enums import Status
from deskui.domain.query import QueryError, Term, parse_query, shown_statuses
from deskui.reads.queue_rows import QueueRow
from deskui.store.queue import SORTS, conditions, list_queue
from deskui.store.queue_live import changed_ticket_ids, count_where, id_array, iter_ids, latest_event_id, queue_lines

__all__ = ["SORTS", "QueryError", "QueueQuery", "QueueSource", "check_names", "first_page", "id_array",
           "shown_label"]

# The query keys whose values are names looked up in the database.
NAMED_KEYS = ("assignee", "group", "category", "requester")
# The live SLA counts the status bar shows after the views' own counts.
SLA_COUNT_QUERIES = ("sla:at_risk", "sla:breached")


@dataclass(frozen=True)
class QueueQuery:
    """A compiled query: the text it came from and its conditions (opaque)."""

    text: str
    where: tuple


class QueueSource:
    """Every read the queue screen makes, for one analyst on one database.
    Thread-safe: workers call it concurrently."""

    def __init__(self, engine, me_id: int | None) -> None:
        self._engine = engine
        self._me_id = me_id
        self._calendars: dict[tuple[int, str], BusinessCalendar | None] = {}
        self._lock = Lock()

    def compile(self, view_query: str, filter_text: str = "", now: datetime | None = None) -> QueueQuery:
        """The view's query narrowed by the analyst's filter. Raises QueryError;
        its position points into ``filter_text`` (what the analyst typed)."""
        parse_query(filter_text)
        text = f"{view_query} {filter_text}".strip()
        try:
            where = conditions(text, me_id=self._me_id, now=now or clock.now(),
                               dialect_name=self._engine.dialect.name)
        except QueryError:
            raise
        except Exception as exc:  # a filter must never crash the app
            raise QueryError(f"cannot use this filter: {exc}") from None
        return QueueQuery(text, tuple(where))

    # ------------------------------------------------------------ ids

    def check_names(self, query: QueueQuery) -> str:
        """The names of ``query`` that match nothing, with the closest (:func:`check_names`)."""
        return check_names(self._engine, query.text)

    def mark(self) -> int:
        """The change marker: the newest ticket event's id (0 on an empty desk)."""
        return latest_event_id(self._engine)

    def changed_since(self, after: int, upto: int) -> list[int] | None:
        """Tickets changed in (after, upto]; None when so many changed that a full re-read is cheaper."""
        return changed_ticket_ids(self._engine, after, upto)

    def stream_ids(self, query: QueueQuery, sort: str, first: int | None = None) -> Iterator[array]:
        """The matching ids in order, in batches (the first of ``first`` ids)."""
        return iter_ids(self._engine, query.where, sort, first=first)

    def ids(self, query: QueueQuery, sort: str) -> array:
        ids = id_array()
        for chunk in self.stream_ids(query, sort):
            ids.extend(chunk)
        return ids

    # ------------------------------------------------------------ rows, counts

    def rows(self, ids: Sequence[int]) -> list[QueueRow]:
        """Rows for ``ids`` in that order (missing ids skipped), with their SLA calendars."""
        return [QueueRow.from_line(line, self._calendar(line.priority, line.type))
                for line in queue_lines(self._engine, ids)]

    def counts(self, view_queries: Sequence[str]) -> list[int | None]:
        """The count of each saved view's query, then at-risk and breached
        (None where a query does not parse)."""
        now = clock.now()
        wheres, usable = [], []
        for text in [*view_queries, *SLA_COUNT_QUERIES]:
            try:
                wheres.append(self.compile(text, now=now).where)
                usable.append(True)
            except QueryError:
                usable.append(False)
        numbers = iter(count_where(self._engine, wheres))
        return [next(numbers) if ok else None for ok in usable]

    def _calendar(self, priority: int, ticket_type: str) -> BusinessCalendar | None:
        key = (priority, ticket_type)
        with self._lock:
            if key in self._calendars:
                return self._calendars[key]
        from deskui.store.sla_policies import policy_for

        with self._engine.connect() as conn:
            info = policy_for(conn, priority, ticket_type)
        calendar = info.calendar if info is not None else None
        with self._lock:
            self._calendars[key] = calendar
        return calendar


def check_names(engine, query_text: str) -> str:
    """One line naming each analyst, group, category or requester of the query that
    matches nothing, with the closest names; empty when every name means something."""
    query = parse_query(query_text or "")
    if not any(term.key in NAMED_KEYS for term in query.terms):
        return ""  # nothing to look up (and nothing more to import on the app's start)
    from deskui.store.query_names import unknown_names

    parts = []
    for unknown in unknown_names(engine, query):
        term = Term(unknown.key, (unknown.name,)).to_text()
        line = f"{term} matches no {unknown.kind}"
        if unknown.closest:
            quoted = unknown.kind in ("group", "category")
            names = [Term(unknown.key, (c,)).to_text().split(":", 1)[1] if quoted else c for c in unknown.closest]
            line += f"; closest: {', '.join(names)}"
        else:
            line += "; none is close"
        parts.append(line)
    return "; ".join(parts)


def first_page(engine, query_text: str = "", *, sort: str = "sla", limit: int = 50, include_inactive: bool = False,
               me_id: int | None = None, check: bool = False) -> list:
    """The queue's first ``limit`` tickets as records (`deskui ticket list`): the
    same query language, default and order as the queue screen. With ``check``, a
    name that matches nothing is a QueryError naming the closest ones."""
    if check and (problem := check_names(engine, query_text)):
        raise QueryError(problem)
    return list_queue(engine, query_text, sort=sort, limit=limit, include_inactive=include_inactive, me_id=me_id)


def shown_label(view_name: str, view_query: str, filter_text: str) -> str:
    """What the queue shows, for the status line: the view's name; "<view>, filtered"
    when the filter keeps to the view's statuses; else "Filtered: " and the statuses
    shown ("Filtered: resolved"), so a filter never shows closed tickets under "All open"."""
    if not filter_text.strip():
        return view_name
    try:
        before = shown_statuses(parse_query(view_query))
        after = shown_statuses(parse_query(f"{view_query} {filter_text}"))
    except QueryError:
        return view_name  # not applied: the list is still the view's
    if after == before:
        return f"{view_name}, filtered"
    if after == frozenset(Status):
        return "Filtered: any status"
    return "Filtered: " + (", ".join(s.value for s in Status if s in after) or "no status")
