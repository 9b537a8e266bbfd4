"""Problem management: problems from recurring incidents, known errors, resolution.

A problem (``PRB-12``) is the root cause behind one or more incidents. Its
status moves ``new -> investigating -> known_error -> resolved -> closed``;
a known error has a documented workaround, a resolved problem a permanent fix.
Linking an incident writes a ticket event (kind ``linked``, field ``problem``)
and a problem event; the problem's timeline is ``problem_events``.

The reads (problem lists, details, candidate problems from recurring incidents,
known errors a ticket matches) are the read side's: ``deskui.reads.problems``
over ``deskui.store.problem_matching``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Sequence

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import TicketType, allowed
from deskui.domain.permissions import Action
from deskui.domain.text import clean_subject, clean_text
from deskui.errors import ConflictError, NotFound, ValidationError
from deskui.services import tickets as ticket_service
from deskui.services.actors import Actor, require
from deskui.services.directory import analyst_by_username
from deskui.services.ticket_history import noting, touch_ticket
from deskui.store import problem_queries as q
from deskui.store.db import session_scope, write_session
from deskui.store.models import Problem, Ticket
from deskui.store.models_ops import ProblemEvent
from deskui.store.problem_queries import (
    ProblemRecord, problem_ref,
)

__all__ = [
    "ProblemStatus", "create_problem", "link", "unlink", "update_problem", "set_status", "resolve_problem",
    "parse_problem_ref", "problem_ref",
]


class ProblemStatus(StrEnum):
    NEW = "new"
    INVESTIGATING = "investigating"
    KNOWN_ERROR = "known_error"
    RESOLVED = "resolved"
    CLOSED = "closed"


TRANSITIONS: dict[ProblemStatus, frozenset[ProblemStatus]] = {
    ProblemStatus.NEW: frozenset({ProblemStatus.INVESTIGATING, ProblemStatus.KNOWN_ERROR, ProblemStatus.RESOLVED,
                                  ProblemStatus.CLOSED}),
    ProblemStatus.INVESTIGATING: frozenset({ProblemStatus.KNOWN_ERROR, ProblemStatus.RESOLVED, ProblemStatus.CLOSED}),
    ProblemStatus.KNOWN_ERROR: frozenset({ProblemStatus.INVESTIGATING, ProblemStatus.RESOLVED, ProblemStatus.CLOSED}),
    ProblemStatus.RESOLVED: frozenset({ProblemStatus.CLOSED, ProblemStatus.INVESTIGATING}),
    ProblemStatus.CLOSED: frozenset(),
}

# Default recurrence window (DESIGN.md §2) and the span "recent growth" compares.
WINDOW = timedelta(days=30)
RECENT = timedelta(days=7)


def parse_problem_ref(value: str | int) -> int:
    """``12``, ``"12"``, ``"PRB-12"`` or ``"prb12"`` -> 12."""
    if isinstance(value, int):
        return value
    text = str(value).strip().upper().removeprefix("PRB").lstrip("-#")
    if not text.isdigit():
        raise ValidationError(f"problem: {value!r} is not a problem number (e.g. 12 or PRB-12)")
    return int(text)


def _status(value: str) -> ProblemStatus:
    key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return ProblemStatus(key)
    except ValueError:
        raise ValidationError(f"status: {value!r} is not one of {allowed(ProblemStatus)}") from None


def _problem_event(session: Session, problem_id: int, actor: Actor, at: datetime, kind: str, *, field: str = "",
                   old: object = "", new: object = "", detail: str = "", ticket_id: int | None = None) -> None:
    session.add(ProblemEvent(
        problem_id=problem_id, at=at, actor=actor.username, kind=kind, field=field,
        old=("" if old is None else str(old))[:300], new=("" if new is None else str(new))[:300],
        detail=detail, ticket_id=ticket_id, acting_admin=actor.acting_admin[:64] or None,
    ))


# ------------------------------------------------------------------ writes

def create_problem(engine: Engine, actor: Actor, title: str, *, incidents: Sequence[int] = (), root_cause: str = "",
                   workaround: str = "", owner: str | None = None, at: datetime | None = None) -> ProblemRecord:
    """Open a problem, optionally from incidents (e.g. the ones marked in the queue).
    All or nothing: an incident that cannot be linked leaves no problem behind."""
    require(actor, Action.PROBLEMS)
    title = clean_subject(title)
    if not title:
        raise ValidationError("title: a problem needs a title")
    now = at or clock.now()
    with write_session(engine) as session:
        owner_id = analyst_by_username(session, owner).id if owner else (actor.id if actor.is_analyst else None)
        problem = Problem(title=title[:300], status=ProblemStatus.NEW.value, root_cause=clean_text(root_cause).strip(),
                          workaround=clean_text(workaround).strip(), created_at=now, updated_at=now,
                          owner_id=owner_id)
        session.add(problem)
        session.flush()
        _problem_event(session, problem.id, actor, now, "created", detail=title)
        for ticket_id in dict.fromkeys(incidents):
            _link_one(session, problem, ticket_id, actor, now)
        session.flush()
        return q.problem_record(session, problem.id)


def _link_one(session: Session, problem: Problem, ticket_id: int, actor: Actor, now: datetime) -> bool:
    ticket = session.get(Ticket, ticket_id, populate_existing=True)
    if ticket is None:
        raise NotFound(f"ticket #{ticket_id} not found")
    if ticket.type != TicketType.INCIDENT:
        raise ValidationError(f"ticket #{ticket_id} is a {ticket.type}; only incidents link to a problem")
    if ticket.problem_id == problem.id:
        return False
    if ticket.problem_id is not None:
        raise ValidationError(f"ticket #{ticket_id} is already linked to {problem_ref(ticket.problem_id)}; "
                              "unlink it first")
    # A single-statement claim: two people linking the same incident to two problems at once
    # cannot both win.
    claimed = session.execute(
        update(Ticket).where(Ticket.id == ticket_id, Ticket.problem_id.is_(None)).values(problem_id=problem.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ConflictError(f"ticket #{ticket_id} was linked to another problem meanwhile")
    touch_ticket(session, ticket_id, actor, now)
    with noting(session, ticket_id, actor) as plan:
        plan.link(now, "problem", problem_ref(problem.id), problem.title)
    _problem_event(session, problem.id, actor, now, "linked", new=f"#{ticket_id}", detail=ticket.subject,
                   ticket_id=ticket_id)
    problem.updated_at = now
    return True


def _load(session: Session, problem_id: int) -> Problem:
    problem = session.get(Problem, problem_id, populate_existing=True)
    if problem is None:
        raise NotFound(f"problem {problem_ref(problem_id)} not found")
    return problem


def link(engine: Engine, actor: Actor, problem_id: int, ticket_ids: Sequence[int], *,
         at: datetime | None = None) -> ProblemRecord:
    """Link incidents to a problem (already linked to it: no change)."""
    require(actor, Action.PROBLEMS)
    now = at or clock.now()
    with write_session(engine) as session:
        problem = _load(session, problem_id)
        if problem.status == ProblemStatus.CLOSED:
            raise ValidationError(f"{problem_ref(problem_id)} is closed; open a new problem")
        for ticket_id in dict.fromkeys(ticket_ids):
            _link_one(session, problem, ticket_id, actor, now)
        session.flush()
        return q.problem_record(session, problem_id)


def unlink(engine: Engine, actor: Actor, problem_id: int, ticket_ids: Sequence[int], *,
           at: datetime | None = None) -> ProblemRecord:
    require(actor, Action.PROBLEMS)
    now = at or clock.now()
    with write_session(engine) as session:
        problem = _load(session, problem_id)
        for ticket_id in dict.fromkeys(ticket_ids):
            ticket = session.get(Ticket, ticket_id, populate_existing=True)
            if ticket is None:
                raise NotFound(f"ticket #{ticket_id} not found")
            if ticket.problem_id != problem_id:
                raise ValidationError(f"ticket #{ticket_id} is not linked to {problem_ref(problem_id)}")
            session.execute(update(Ticket).where(Ticket.id == ticket_id, Ticket.problem_id == problem_id)
                            .values(problem_id=None).execution_options(synchronize_session=False))
            touch_ticket(session, ticket_id, actor, now)
            with noting(session, ticket_id, actor) as plan:
                plan.unlink(now, "problem", problem_ref(problem_id))
            _problem_event(session, problem_id, actor, now, "unlinked", old=f"#{ticket_id}", detail=ticket.subject,
                           ticket_id=ticket_id)
        problem.updated_at = now
        session.flush()
        return q.problem_record(session, problem_id)


def _mutate_problem(engine: Engine, actor: Actor, problem_id: int, version: int | None, change,
                    at: datetime | None) -> ProblemRecord:
    """Optimistic locking as for tickets: claim ``version`` or raise ConflictError."""
    now = at or clock.now()
    with write_session(engine) as session:
        problem = _load(session, problem_id)
        seen = problem.version
        if version is not None and version != seen:
            raise ConflictError(f"{problem_ref(problem_id)} was changed since you loaded it",
                                fresh=q.problem_record(session, problem_id))
        claimed = session.execute(
            update(Problem).where(Problem.id == problem_id, Problem.version == seen).values(version=seen + 1)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            raise ConflictError(f"{problem_ref(problem_id)} was changed by someone else meanwhile")
        problem.version = seen + 1
        change(session, problem, now)
        problem.updated_at = now
        session.flush()
        return q.problem_record(session, problem_id)


_TEXT_FIELDS = ("title", "root_cause", "workaround", "permanent_fix")


def update_problem(engine: Engine, actor: Actor, problem_id: int, *, title: str | None = None,
                   root_cause: str | None = None, workaround: str | None = None, permanent_fix: str | None = None,
                   owner: str | None = None, version: int | None = None, at: datetime | None = None) -> ProblemRecord:
    """Record root cause, workaround, permanent fix, title or owner (each change an event)."""
    require(actor, Action.PROBLEMS)
    values = {"title": title, "root_cause": root_cause, "workaround": workaround, "permanent_fix": permanent_fix}

    def change(session: Session, problem: Problem, now: datetime) -> None:
        for name in _TEXT_FIELDS:
            value = values[name]
            if value is None:
                continue
            value = clean_subject(value)[:300] if name == "title" else clean_text(value).strip()
            if name == "title" and not value:
                raise ValidationError("title: must not be empty")
            if value != getattr(problem, name):
                _problem_event(session, problem.id, actor, now, "field", field=name, old=getattr(problem, name)[:120],
                               new=value[:120], detail=value)
                setattr(problem, name, value)
        if owner is not None:
            analyst = analyst_by_username(session, owner) if owner else None
            new_id = analyst.id if analyst else None
            if new_id != problem.owner_id:
                _problem_event(session, problem.id, actor, now, "field", field="owner",
                               new=analyst.username if analyst else "")
                problem.owner_id = new_id
        if problem.status == ProblemStatus.KNOWN_ERROR and not problem.workaround:
            raise ValidationError(f"workaround: a known error needs a workaround ({problem_ref(problem.id)})")

    return _mutate_problem(engine, actor, problem_id, version, change, at)


def _check_transition(problem: Problem, target: ProblemStatus) -> None:
    current = ProblemStatus(problem.status)
    if target == current:
        raise ValidationError(f"{problem_ref(problem.id)} is already {current.value}")
    if target not in TRANSITIONS[current]:
        options = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (closed is final)"
        raise ValidationError(f"status: {problem_ref(problem.id)} cannot go from {current.value} to {target.value}; "
                              f"allowed: {options}")
    if target == ProblemStatus.KNOWN_ERROR and not problem.workaround:
        raise ValidationError(f"workaround: record a workaround before {problem_ref(problem.id)} becomes a known error")
    if target == ProblemStatus.RESOLVED and not problem.permanent_fix:
        raise ValidationError(f"permanent_fix: record the permanent fix before resolving {problem_ref(problem.id)}")


def _apply_status(session: Session, problem: Problem, actor: Actor, now: datetime, target: ProblemStatus) -> None:
    _check_transition(problem, target)
    _problem_event(session, problem.id, actor, now, "status", field="status", old=problem.status, new=target.value)
    problem.status = target.value
    if target == ProblemStatus.RESOLVED:
        problem.resolved_at = now
    elif target == ProblemStatus.INVESTIGATING:
        problem.resolved_at = None


def set_status(engine: Engine, actor: Actor, problem_id: int, status: str, *, version: int | None = None,
               at: datetime | None = None) -> ProblemRecord:
    """Move a problem along its workflow (use resolve_problem to resolve with its incidents)."""
    require(actor, Action.PROBLEMS)
    target = _status(status)
    return _mutate_problem(engine, actor, problem_id, version,
                           lambda s, p, now: _apply_status(s, p, actor, now, target), at)


@dataclass(frozen=True)
class ResolveOutcome:
    problem: ProblemRecord
    resolved_incidents: list[int]
    failed: list[tuple[int, str]]


def resolve_problem(engine: Engine, actor: Actor, problem_id: int, *, permanent_fix: str | None = None,
                    resolve_incidents: bool = False, note: str = "", version: int | None = None,
                    at: datetime | None = None) -> ResolveOutcome:
    """Resolve a problem; with ``resolve_incidents`` also resolve its open incidents
    with a note (each incident its own transaction, so one conflict spares the rest)."""
    require(actor, Action.PROBLEMS)

    def change(session: Session, problem: Problem, now: datetime) -> None:
        if permanent_fix is not None and clean_text(permanent_fix).strip() != problem.permanent_fix:
            fix = clean_text(permanent_fix).strip()
            _problem_event(session, problem.id, actor, now, "field", field="permanent_fix", new=fix[:120], detail=fix)
            problem.permanent_fix = fix
        _apply_status(session, problem, actor, now, ProblemStatus.RESOLVED)

    record = _mutate_problem(engine, actor, problem_id, version, change, at)
    done: list[int] = []
    failed: list[tuple[int, str]] = []
    if resolve_incidents:
        notes = clean_text(note).strip() or f"Fixed by problem {record.ref}: {record.permanent_fix}"
        result = ticket_service.bulk(engine, _open_incidents(engine, problem_id), lambda tid: ticket_service.resolve(
            engine, actor, tid, code="solved", notes=notes, at=at))
        done, failed = result.done, result.failed
        if done:
            with write_session(engine) as session:
                _problem_event(session, problem_id, actor, at or clock.now(), "incidents_resolved",
                               detail=f"resolved {len(done)} incident(s): " + ", ".join(f"#{i}" for i in done))
    return ResolveOutcome(record, done, failed)


def _open_incidents(engine: Engine, problem_id: int) -> list[int]:
    with session_scope(engine) as session:
        return q.open_incident_ids(session, problem_id)
