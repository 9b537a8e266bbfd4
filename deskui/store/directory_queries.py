"""Read queries about the desk's people and reference data, returning frozen records.

Used by the ticket screen's pickers (assign, escalate, canned responses). Each
function takes a session the caller opened in a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlmodel import Session

from deskui.domain.enums import ACTIVE_STATUSES
from deskui.store.models import Analyst, CannedResponse, Group, GroupMember, Ticket
from deskui.store.tickets import requester_comment_ids, ticket_last_event_id  # noqa: F401  (Core; callers import here)

_ACTIVE = sorted(s.value for s in ACTIVE_STATUSES)


@dataclass(frozen=True)
class GroupRecord:
    id: int
    name: str
    tier: int


@dataclass(frozen=True)
class MemberLoad:
    """An analyst and how many active (new, open, pending) tickets they hold."""

    analyst_id: int
    username: str
    name: str
    tier: int
    away: bool
    open_count: int


@dataclass(frozen=True)
class CannedRecord:
    id: int
    name: str
    body: str


@dataclass(frozen=True)
class AnalystRecord:
    id: int
    username: str
    name: str
    email: str


def groups(session: Session) -> list[GroupRecord]:
    rows = session.execute(select(Group.id, Group.name, Group.tier).order_by(Group.tier, Group.name)).all()
    return [GroupRecord(id=i, name=n, tier=t) for i, n, t in rows]


def group_members_with_load(session: Session, group_id: int | None) -> list[MemberLoad]:
    """Active members of a group (every active analyst when ``group_id`` is None),
    least loaded first, then by username."""
    load = func.count(Ticket.id)
    stmt = (
        select(Analyst.id, Analyst.username, Analyst.name, Analyst.tier, Analyst.away, load)
        .outerjoin(Ticket, and_(Ticket.assignee_id == Analyst.id, Ticket.status.in_(_ACTIVE)))
        .where(Analyst.active.is_(True))
        .group_by(Analyst.id, Analyst.username, Analyst.name, Analyst.tier, Analyst.away)
        .order_by(load, Analyst.username)
    )
    if group_id is not None:
        stmt = stmt.join(GroupMember, and_(GroupMember.analyst_id == Analyst.id, GroupMember.group_id == group_id))
    return [
        MemberLoad(analyst_id=i, username=u, name=n, tier=t, away=bool(a), open_count=c)
        for i, u, n, t, a, c in session.execute(stmt).all()
    ]


def canned_responses(session: Session) -> list[CannedRecord]:
    rows = session.execute(select(CannedResponse.id, CannedResponse.name, CannedResponse.body)
                           .order_by(CannedResponse.name)).all()
    return [CannedRecord(id=i, name=n, body=b) for i, n, b in rows]


def analyst_record(session: Session, analyst_id: int | None) -> AnalystRecord | None:
    if analyst_id is None:
        return None
    row = session.get(Analyst, analyst_id)
    if row is None:
        return None
    return AnalystRecord(id=row.id, username=row.username, name=row.name, email=row.email)


@dataclass(frozen=True)
class AnalystListing:
    """One row of ``deskui analyst list``."""

    username: str
    name: str
    email: str
    role: str
    tier: int
    groups: tuple[str, ...]
    active: bool


def analyst_listing(session: Session, username: str | None = None) -> list[AnalystListing]:
    """Every analyst (or the one named), by username, with their groups by name."""
    stmt = select(Analyst).order_by(Analyst.username)
    if username is not None:
        stmt = stmt.where(Analyst.username == username)
    rows = session.scalars(stmt).all()
    groups: dict[int, list[str]] = {}
    for analyst_id, group in session.execute(
            select(GroupMember.analyst_id, Group.name).join(Group, Group.id == GroupMember.group_id)
            .order_by(Group.name)).all():
        groups.setdefault(analyst_id, []).append(group)
    return [AnalystListing(username=a.username, name=a.name, email=a.email, role=a.role, tier=a.tier,
                           groups=tuple(groups.get(a.id, ())), active=bool(a.active)) for a in rows]
