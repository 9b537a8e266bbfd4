"""Read queries for service requests: the catalogue, a request's approvals and
checklist, and the approvals waiting for someone. Frozen records only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from deskui.store.models import Analyst, Category, Group, Requester, Ticket
from deskui.store.models_ops import CatalogItem, ChecklistItem, RequestApproval, RequestDetail

NOT_REQUIRED = "not_required"
PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class CatalogItemRecord:
    id: int
    key: str
    name: str
    description: str
    category: str
    group: str
    impact: str
    urgency: str
    approval_mode: str
    approvers: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    checklist: tuple[str, ...]
    active: bool

    @property
    def needs_approval(self) -> bool:
        return bool(self.approvers)


@dataclass(frozen=True)
class ApprovalRecord:
    approver: str
    approver_name: str
    decision: str
    comment: str
    decided_at: datetime | None


@dataclass(frozen=True)
class ChecklistRecord:
    position: int
    text: str
    done: bool
    done_by: str
    done_at: datetime | None


@dataclass(frozen=True)
class RequestView:
    """The catalogue side of one request ticket."""

    ticket_id: int
    item_key: str
    item_name: str
    answers: tuple[tuple[str, str, str], ...]  # (name, label, value)
    approval: str  # not_required | pending | approved | rejected
    approval_mode: str
    decided_at: datetime | None
    decided_by: str
    approvals: tuple[ApprovalRecord, ...]
    checklist: tuple[ChecklistRecord, ...]
    fulfilment_group: str

    @property
    def approved(self) -> bool:
        return self.approval in (APPROVED, NOT_REQUIRED)

    @property
    def checklist_done(self) -> bool:
        return all(step.done for step in self.checklist)

    @property
    def progress(self) -> str:
        return f"{sum(s.done for s in self.checklist)}/{len(self.checklist)}"


@dataclass(frozen=True)
class PendingApproval:
    ticket_id: int
    subject: str
    item_name: str
    requester: str
    created_at: datetime
    approvers: tuple[str, ...]


def _fields(text: str) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(f["name"], f.get("label", f["name"]), bool(f.get("required", False)),
                           tuple(f.get("choices", []))) for f in json.loads(text))


def _item_record(item: CatalogItem, category: str | None, group: str | None) -> CatalogItemRecord:
    return CatalogItemRecord(
        id=item.id, key=item.key, name=item.name, description=item.description, category=category or "",
        group=group or "", impact=item.impact, urgency=item.urgency, approval_mode=item.approval_mode,
        approvers=tuple(json.loads(item.approvers)), fields=_fields(item.fields),
        checklist=tuple(json.loads(item.checklist)), active=item.active,
    )


def _item_select():
    return (select(CatalogItem, Category.path, Group.name)
            .outerjoin(Category, Category.id == CatalogItem.category_id)
            .outerjoin(Group, Group.id == CatalogItem.group_id))


def catalog_items(session: Session, *, include_inactive: bool = False) -> list[CatalogItemRecord]:
    stmt = _item_select().order_by(CatalogItem.name)
    if not include_inactive:
        stmt = stmt.where(CatalogItem.active.is_(True))
    return [_item_record(*row) for row in session.execute(stmt).all()]


def catalog_item(session: Session, item_id: int) -> CatalogItemRecord | None:
    row = session.execute(_item_select().where(CatalogItem.id == item_id)).first()
    return _item_record(*row) if row else None


def request_view(session: Session, ticket_id: int) -> RequestView | None:
    detail = session.get(RequestDetail, ticket_id)
    if detail is None:
        return None
    item = catalog_item(session, detail.item_id)
    answers = json.loads(detail.answers)
    labels = {f.name: f.label for f in item.fields} if item else {}
    approvals = tuple(
        ApprovalRecord(approver=username, approver_name=name, decision=a.decision, comment=a.comment,
                       decided_at=a.decided_at)
        for a, username, name in session.execute(
            select(RequestApproval, Analyst.username, Analyst.name)
            .join(Analyst, Analyst.id == RequestApproval.approver_id)
            .where(RequestApproval.ticket_id == ticket_id).order_by(Analyst.username)).all()
    )
    checklist = tuple(
        ChecklistRecord(position=c.position, text=c.text, done=c.done, done_by=c.done_by, done_at=c.done_at)
        for c in session.scalars(select(ChecklistItem).where(ChecklistItem.ticket_id == ticket_id)
                                 .order_by(ChecklistItem.position)).all()
    )
    return RequestView(
        ticket_id=ticket_id, item_key=item.key if item else "", item_name=item.name if item else "",
        answers=tuple((k, labels.get(k, k), str(v)) for k, v in answers.items()), approval=detail.approval,
        approval_mode=item.approval_mode if item else "any", decided_at=detail.decided_at,
        decided_by=detail.decided_by, approvals=approvals, checklist=checklist,
        fulfilment_group=item.group if item else "",
    )


def pending_approvals(session: Session, approver_id: int | None = None, limit: int = 200) -> list[PendingApproval]:
    """Requests waiting for approval, oldest first (for one approver, or everyone's)."""
    stmt = (
        select(Ticket.id, Ticket.subject, CatalogItem.name, Requester.name, Ticket.created_at)
        .join(RequestDetail, RequestDetail.ticket_id == Ticket.id)
        .join(CatalogItem, CatalogItem.id == RequestDetail.item_id)
        .outerjoin(Requester, Requester.id == Ticket.requester_id)
        .where(RequestDetail.approval == PENDING)
        .order_by(Ticket.created_at, Ticket.id).limit(limit)
    )
    if approver_id is not None:
        stmt = stmt.where(Ticket.id.in_(select(RequestApproval.ticket_id).where(
            RequestApproval.approver_id == approver_id, RequestApproval.decision == PENDING)))
    rows = session.execute(stmt).all()
    waiting: dict[int, list[str]] = {}
    if rows:
        for tid, username in session.execute(
            select(RequestApproval.ticket_id, Analyst.username).join(Analyst, Analyst.id == RequestApproval.approver_id)
            .where(RequestApproval.ticket_id.in_([r[0] for r in rows]), RequestApproval.decision == PENDING)
            .order_by(Analyst.username)
        ).all():
            waiting.setdefault(tid, []).append(username)
    return [PendingApproval(ticket_id=r[0], subject=r[1], item_name=r[2], requester=r[3] or "", created_at=r[4],
                            approvers=tuple(waiting.get(r[0], ()))) for r in rows]
