"""Read queries for problems: records, the list with counts, incidents, timeline,
and the raw material for candidate problems and known-error matching.

Every function takes a session (or connection) and returns frozen dataclasses.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Iterator, Sequence

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from deskui.errors import NotFound
from deskui.store.models import Analyst, Category, Problem, Requester, Ticket
from deskui.store.models_ops import ProblemEvent
from deskui.store.tickets import shown_actor

ACTIVE = ("new", "open", "pending")
#: A problem's statuses, in workflow order (deskui.services.problems moves between them).
PROBLEM_STATUSES = ("new", "investigating", "known_error", "resolved", "closed")


def problem_ref(problem_id: int) -> str:
    """How a problem is named to people: ``PRB-12``."""
    return f"PRB-{problem_id}"


@dataclass(frozen=True)
class ProblemRecord:
    id: int
    title: str
    status: str
    root_cause: str
    workaround: str
    permanent_fix: str
    owner: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    version: int

    @property
    def ref(self) -> str:
        return problem_ref(self.id)


@dataclass(frozen=True)
class ProblemSummary:
    """A row of the problem list."""

    id: int
    title: str
    status: str
    owner: str
    incidents: int
    open_incidents: int
    recurrences: int  # linked incidents opened within the window after another one was resolved
    last_incident_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def ref(self) -> str:
        return problem_ref(self.id)


@dataclass(frozen=True)
class LinkedIncident:
    id: int
    subject: str
    status: str
    priority: int
    ci: str
    requester: str
    category: str
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True)
class ProblemEventRecord:
    id: int
    problem_id: int
    at: datetime
    actor: str
    kind: str
    field: str
    old: str
    new: str
    detail: str
    ticket_id: int | None


def _record(problem: Problem, owner: str | None) -> ProblemRecord:
    return ProblemRecord(
        id=problem.id, title=problem.title, status=problem.status, root_cause=problem.root_cause,
        workaround=problem.workaround, permanent_fix=problem.permanent_fix, owner=owner or "",
        created_at=problem.created_at, updated_at=problem.updated_at, resolved_at=problem.resolved_at,
        version=problem.version,
    )


def problem_record(session: Session, problem_id: int) -> ProblemRecord:
    row = session.execute(
        select(Problem, Analyst.username).outerjoin(Analyst, Analyst.id == Problem.owner_id)
        .where(Problem.id == problem_id)
    ).first()
    if row is None:
        raise NotFound(f"problem {problem_ref(problem_id)} not found")
    return _record(*row)


def list_problems(session: Session, *, statuses: Sequence[str] = (), window: timedelta = timedelta(days=30),
                  limit: int = 200) -> list[ProblemSummary]:
    """Problems, most recently updated first, with counts of their incidents."""
    counts = (
        select(
            Ticket.problem_id.label("pid"),
            func.count().label("incidents"),
            func.sum(case((Ticket.status.in_(ACTIVE), 1), else_=0)).label("open_incidents"),
            func.max(Ticket.created_at).label("last_at"),
        )
        .where(Ticket.problem_id.is_not(None))
        .group_by(Ticket.problem_id)
        .subquery()
    )
    stmt = (
        select(Problem, Analyst.username, counts.c.incidents, counts.c.open_incidents, counts.c.last_at)
        .outerjoin(Analyst, Analyst.id == Problem.owner_id)
        .outerjoin(counts, counts.c.pid == Problem.id)
        .order_by(Problem.updated_at.desc(), Problem.id.desc())
        .limit(limit)
    )
    if statuses:
        stmt = stmt.where(Problem.status.in_(list(statuses)))
    rows = session.execute(stmt).all()
    recurrences = recurrence_counts(session, [r[0].id for r in rows], window)
    return [
        ProblemSummary(
            id=p.id, title=p.title, status=p.status, owner=owner or "", incidents=int(n or 0),
            open_incidents=int(o or 0), recurrences=recurrences.get(p.id, 0), last_incident_at=last,
            created_at=p.created_at, updated_at=p.updated_at,
        )
        for p, owner, n, o, last in rows
    ]


def recurrence_counts(session: Session, problem_ids: Sequence[int], window: timedelta) -> dict[int, int]:
    """Per problem: linked incidents opened within ``window`` after an earlier linked
    incident was resolved (DESIGN.md §2 "Recurrence", with the problem as the key)."""
    if not problem_ids:
        return {}
    rows = session.execute(
        select(Ticket.problem_id, Ticket.id, Ticket.created_at, Ticket.resolved_at)
        .where(Ticket.problem_id.in_(list(problem_ids)))
        .order_by(Ticket.problem_id, Ticket.created_at, Ticket.id)
    ).all()
    by_problem: dict[int, list] = defaultdict(list)
    for pid, tid, created, resolved in rows:
        by_problem[pid].append((tid, created, resolved))
    result: dict[int, int] = {}
    for pid, tickets in by_problem.items():
        resolutions = sorted(r for _, _, r in tickets if r is not None)
        count = 0
        for tid, created, _ in tickets:
            # the latest resolution of another incident before this one was opened
            previous = [r for r in resolutions if r <= created]
            if previous and created - previous[-1] <= window:
                count += 1
        result[pid] = count
    return result


def problem_incidents(session: Session, problem_id: int) -> list[LinkedIncident]:
    stmt = (
        select(Ticket.id, Ticket.subject, Ticket.status, Ticket.priority, Ticket.ci, Requester.name,
               Category.path, Ticket.created_at, Ticket.resolved_at)
        .outerjoin(Requester, Requester.id == Ticket.requester_id)
        .outerjoin(Category, Category.id == Ticket.category_id)
        .where(Ticket.problem_id == problem_id)
        .order_by(Ticket.created_at, Ticket.id)
    )
    return [
        LinkedIncident(id=r[0], subject=r[1], status=r[2], priority=r[3], ci=r[4], requester=r[5] or "",
                       category=r[6] or "", created_at=r[7], resolved_at=r[8])
        for r in session.execute(stmt).all()
    ]


def problem_events(session: Session, problem_id: int) -> list[ProblemEventRecord]:
    stmt = select(ProblemEvent).where(ProblemEvent.problem_id == problem_id).order_by(ProblemEvent.id)
    return [
        ProblemEventRecord(id=e.id, problem_id=e.problem_id, at=e.at, actor=shown_actor(e.actor, e.acting_admin), kind=e.kind, field=e.field,
                           old=e.old, new=e.new, detail=e.detail, ticket_id=e.ticket_id)
        for e in session.scalars(stmt).all()
    ]


def problem_stamp(session: Session) -> tuple:
    """A cheap "has anything changed?" value for the problems screen."""
    return tuple(session.execute(
        select(func.count(Problem.id), func.max(Problem.updated_at), func.max(ProblemEvent.id))
        .select_from(Problem).outerjoin(ProblemEvent, ProblemEvent.problem_id == Problem.id)
    ).one())


# ------------------------------------------------------------------ candidates

@dataclass(frozen=True)
class KeyGroup:
    """Unlinked incidents of the window sharing one recurrence key."""

    kind: str  # "ci" | "requester+category"
    ci: str
    requester_id: int | None
    category_id: int | None
    count: int
    recent: int
    previous: int
    first_at: datetime
    last_at: datetime


def recurrence_key_groups(session: Session, *, since: datetime, recent_since: datetime, previous_since: datetime,
                          min_count: int, limit: int) -> list[KeyGroup]:
    """GROUP BY the recurrence key over unlinked incidents opened since ``since``:
    configuration item when there is one, else requester and category."""
    base = [Ticket.type == "incident", Ticket.problem_id.is_(None), Ticket.created_at >= since]
    recent = func.sum(case((Ticket.created_at >= recent_since, 1), else_=0))
    previous = func.sum(case((and_(Ticket.created_at >= previous_since, Ticket.created_at < recent_since), 1),
                             else_=0))
    aggregates = (func.count().label("n"), recent.label("recent"), previous.label("previous"),
                  func.min(Ticket.created_at), func.max(Ticket.created_at))
    by_ci = (
        select(Ticket.ci, *aggregates).where(*base, Ticket.ci != "").group_by(Ticket.ci)
        .having(func.count() >= min_count).order_by(func.count().desc()).limit(limit)
    )
    by_person = (
        select(Ticket.requester_id, Ticket.category_id, *aggregates)
        .where(*base, Ticket.ci == "", Ticket.requester_id.is_not(None), Ticket.category_id.is_not(None))
        .group_by(Ticket.requester_id, Ticket.category_id)
        .having(func.count() >= min_count).order_by(func.count().desc()).limit(limit)
    )
    groups = [KeyGroup("ci", ci, None, None, int(n), int(r or 0), int(p or 0), lo, hi)
              for ci, n, r, p, lo, hi in session.execute(by_ci).all()]
    groups += [KeyGroup("requester+category", "", req, cat, int(n), int(r or 0), int(p or 0), lo, hi)
               for req, cat, n, r, p, lo, hi in session.execute(by_person).all()]
    return groups


def key_group_ticket_ids(session: Session, group: KeyGroup, since: datetime) -> list[int]:
    conditions = [Ticket.type == "incident", Ticket.problem_id.is_(None), Ticket.created_at >= since]
    if group.kind == "ci":
        conditions.append(Ticket.ci == group.ci)
    else:
        conditions += [Ticket.ci == "", Ticket.requester_id == group.requester_id,
                       Ticket.category_id == group.category_id]
    return list(session.scalars(select(Ticket.id).where(*conditions).order_by(Ticket.id)).all())


def unlinked_subjects(session: Session, since: datetime, batch: int = 2000) -> Iterator[tuple[int, str, datetime]]:
    """(id, subject, created_at) of unlinked incidents since ``since``, streamed by id."""
    last = 0
    while True:
        rows = session.execute(
            select(Ticket.id, Ticket.subject, Ticket.created_at)
            .where(Ticket.type == "incident", Ticket.problem_id.is_(None), Ticket.created_at >= since,
                   Ticket.id > last)
            .order_by(Ticket.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from ((r[0], r[1], r[2]) for r in rows)
        last = rows[-1][0]


def names_for(session: Session, requester_ids: Iterable[int], category_ids: Iterable[int]) -> tuple[dict, dict]:
    req = {i: n for i, n in session.execute(
        select(Requester.id, Requester.name).where(Requester.id.in_(list(set(requester_ids))))).all()}
    cat = {i: p for i, p in session.execute(
        select(Category.id, Category.path).where(Category.id.in_(list(set(category_ids))))).all()}
    return req, cat


# ------------------------------------------------------------------ known errors

@dataclass(frozen=True)
class KnownErrorText:
    problem_id: int
    title: str
    workaround: str
    cis: frozenset[str]
    subjects: tuple[str, ...]  # the problem title and its incidents' subjects


def known_error_texts(session: Session, per_problem: int = 50) -> list[KnownErrorText]:
    """Every known error with the CIs and subjects of its incidents (known errors are few)."""
    problems = session.execute(
        select(Problem.id, Problem.title, Problem.workaround).where(Problem.status == "known_error")
        .order_by(Problem.id)
    ).all()
    if not problems:
        return []
    linked: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for pid, subject, ci in session.execute(
        select(Ticket.problem_id, Ticket.subject, Ticket.ci)
        .where(Ticket.problem_id.in_([p[0] for p in problems])).order_by(Ticket.id.desc())
    ).all():
        if len(linked[pid]) < per_problem:
            linked[pid].append((subject, ci))
    return [
        KnownErrorText(problem_id=pid, title=title, workaround=workaround,
                       cis=frozenset(ci for _, ci in linked[pid] if ci),
                       subjects=(title, *(s for s, _ in linked[pid])))
        for pid, title, workaround in problems
    ]


def open_incident_ids(session: Session, problem_id: int) -> list[int]:
    """The problem's incidents still active (new, open, pending), by id."""
    return list(session.scalars(
        select(Ticket.id).where(Ticket.problem_id == problem_id, Ticket.status.in_(ACTIVE)).order_by(Ticket.id)
    ).all())
