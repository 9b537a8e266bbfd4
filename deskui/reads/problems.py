"""Problem reads for the problems screen and `deskui problem list|show|candidates|
known-errors`: the list with incident counts and recurrence, one problem with
its incidents and timeline, the candidate problems, and the known errors an
incident matches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Sequence

from sqlalchemy.engine import Engine

from deskui import clock
from deskui.errors import ValidationError
from deskui.store import problem_matching as matching
from deskui.store import problem_queries as q
from deskui.store.db import session_scope
from deskui.store.problem_matching import WINDOW, Candidate, KnownErrorMatch
from deskui.store.problem_queries import (
    ACTIVE, PROBLEM_STATUSES, LinkedIncident, ProblemEventRecord, ProblemRecord, ProblemSummary,
)
from deskui.store.tickets import ticket_record

__all__ = [
    "Candidate", "KnownErrorMatch", "LinkedIncident", "OPEN_STATUSES", "PROBLEM_STATUSES", "ProblemDetail",
    "ProblemEventRecord", "ProblemRecord", "ProblemSummary", "ProblemsOverview", "WINDOW", "candidates",
    "known_errors", "list_problems", "open_incidents", "overview", "problem_detail",
]

#: The problems still being worked on.
OPEN_STATUSES = ("new", "investigating", "known_error")


def _check_statuses(statuses: Sequence[str]) -> None:
    for status in statuses:
        key = str(status).strip().lower().replace("-", "_").replace(" ", "_")
        if key not in PROBLEM_STATUSES:
            raise ValidationError(f"status: {status!r} is not one of {', '.join(PROBLEM_STATUSES)}")


def list_problems(engine: Engine, *, statuses: Sequence[str] = (), limit: int = 200,
                  window: timedelta = WINDOW) -> list[ProblemSummary]:
    """Problems, most recently updated first, with their incident counts and recurrences."""
    _check_statuses(statuses)
    with session_scope(engine) as session:
        return q.list_problems(session, statuses=statuses, window=window, limit=limit)


@dataclass(frozen=True)
class ProblemDetail:
    problem: ProblemRecord
    incidents: list[LinkedIncident]
    events: list[ProblemEventRecord]
    recurrences: int

    @property
    def open_incident_ids(self) -> list[int]:
        return [i.id for i in self.incidents if i.status in ACTIVE]


def problem_detail(engine: Engine, problem_id: int, *, window: timedelta = WINDOW) -> ProblemDetail:
    """One problem with its incidents and timeline; ``NotFound`` for no such problem."""
    with session_scope(engine) as session:
        record = q.problem_record(session, problem_id)
        return ProblemDetail(
            problem=record, incidents=q.problem_incidents(session, problem_id),
            events=q.problem_events(session, problem_id),
            recurrences=q.recurrence_counts(session, [problem_id], window).get(problem_id, 0),
        )


def open_incidents(engine: Engine, problem_id: int) -> list[int]:
    """The incidents a resolution of the problem offers to resolve."""
    with session_scope(engine) as session:
        return q.open_incident_ids(session, problem_id)


def candidates(engine: Engine, *, window: timedelta = WINDOW, min_count: int = 3, limit: int = 20,
               now: datetime | None = None) -> list[Candidate]:
    """Groups of unlinked incidents that look like one problem, by count and recent growth."""
    with session_scope(engine) as session:
        return matching.candidates(session, now or clock.now(), window=window, min_count=min_count, limit=limit)


def known_errors(engine: Engine, ticket_id: int) -> list[KnownErrorMatch]:
    """Known errors a ticket matches, best first; ``NotFound`` for no such ticket."""
    with session_scope(engine) as session:
        return matching.known_errors_for(session, ticket_record(session, ticket_id))


@dataclass(frozen=True)
class ProblemsOverview:
    """The problems screen's two lists."""

    problems: tuple[ProblemSummary, ...]
    candidates: tuple[Candidate, ...]


def overview(engine: Engine, *, include_closed: bool = False) -> ProblemsOverview:
    """Open problems (all of them with ``include_closed``) and the candidate problems."""
    problems = list_problems(engine, statuses=() if include_closed else OPEN_STATUSES)
    return ProblemsOverview(tuple(problems), tuple(candidates(engine)))
