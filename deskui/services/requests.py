"""Service requests: a catalogue of request items, approval before fulfilment,
and a fulfilment checklist.

A request is a ticket of type ``request`` with a ``request_details`` row. An item
with approvers opens the ticket with no group and an ``approval`` event
(``requested``): it waits there, its SLA clock not started (``sla.clock_events``
starts it at the ``approved`` event). Approving (one approver for ``approval =
"any"``, every approver for ``"all"``) moves it to the fulfilment group, where the
assignment rules apply; rejecting (a comment is required) cancels it with a public
comment saying why. The checklist can be ticked once the request is approved, and
:func:`fulfil` resolves it (code ``fulfilled``) when every step is done.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Mapping

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import Channel, Level, Status, TicketType, Visibility
from deskui.domain.permissions import Action
from deskui.domain.text import clean_subject, clean_text
from deskui.errors import NotFound, ValidationError
from deskui.services import sla
from deskui.services import tickets as ticket_service
from deskui.store.tickets import priority_matrix
from deskui.services.actors import SYSTEM, Actor, require
from deskui.services.assignment import on_open
from deskui.services.directory import category_by_path, requester_for, routing_group_id
from deskui.services.seed import SeedSource, SeedSummary, unknown_key
from deskui.services.ticket_history import is_member, noting, planning
from deskui.store import request_queries as q
from deskui.store.db import session_scope, write_session
from deskui.store.models import Analyst, Comment, Group, Ticket
from deskui.store.models_ops import CatalogItem, ChecklistItem, RequestApproval, RequestDetail
from deskui.store.records import TicketRecord
from deskui.store.request_queries import (
    APPROVED, NOT_REQUIRED, PENDING, REJECTED, CatalogItemRecord, PendingApproval, RequestView,
)
from deskui.store.tickets import ticket_record

__all__ = ["seed_catalog", "catalog", "submit", "approve", "reject", "tick", "fulfil", "request_view",
           "pending_approvals", "CatalogItemRecord", "RequestView", "PendingApproval"]

_KEY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_ITEM_KEYS = {"key", "name", "description", "category", "group", "impact", "urgency", "approval", "approvers",
              "checklist", "field", "active"}
_FIELD_KEYS = {"name", "label", "required", "choices"}


# ------------------------------------------------------------------ catalogue

def seed_catalog(engine: Engine, path: str | Path, *, now: datetime | None = None, actor: Actor = SYSTEM) -> SeedSummary:
    """Upsert catalogue items by key from TOML ([[item]] with [[item.field]]). All or nothing.
    Items no longer in the file are deactivated (requests keep pointing at them)."""
    require(actor, Action.CATALOGUE)
    src = SeedSource(Path(path))
    summary = SeedSummary("catalog")
    now = now or clock.now()
    with write_session(engine) as session:
        seen: set[str] = set()
        for i, e in enumerate(src.entries("item")):
            values = _item_values(session, src, i, e)
            key = values.pop("key")
            if key in seen:
                raise src.error("item", i, "key", f"item {key!r} is defined twice")
            seen.add(key)
            row = session.scalars(select(CatalogItem).where(CatalogItem.key == key)).first()
            if row is None:
                session.add(CatalogItem(key=key, updated_at=now, **values))
                summary.created += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                row.updated_at = now
                summary.updated += 1
            else:
                summary.unchanged += 1
            summary.names.append(key)
        for row in session.scalars(select(CatalogItem).where(CatalogItem.key.not_in(seen),
                                                             CatalogItem.active.is_(True))).all():
            row.active = False
            row.updated_at = now
    return summary


def _item_values(session: Session, src: SeedSource, i: int, e: dict) -> dict:
    def err(key: str | None, message: str) -> ValidationError:
        return src.error("item", i, key, message)

    def text(key: str, default: str | None = None) -> str:
        value = e.get(key, default)
        if value is None:
            raise err(None, f"missing required field {key!r}")
        if not isinstance(value, str):
            raise err(key, f"must be a string, got {type(value).__name__}")
        return clean_text(value).strip()

    src.check_keys("item", i, e, _ITEM_KEYS)
    key = text("key")
    if not _KEY.fullmatch(key):
        raise err("key", f"{key!r} must be lowercase letters, digits, '.', '_' or '-'")
    category_id = group_id = None
    if e.get("category"):
        try:
            category = category_by_path(session, text("category"))
        except NotFound as exc:
            raise err("category", str(exc)) from None
        category_id = category.id
        group_id = routing_group_id(session, category)
    if e.get("group"):
        name = text("group")
        group = session.scalars(select(Group).where(Group.name == name)).first()
        if group is None:
            known = ", ".join(session.scalars(select(Group.name).order_by(Group.name)).all())
            raise err("group", f"unknown group {name!r}; groups: {known or 'none'}")
        group_id = group.id
    if group_id is None:
        raise err(None, "a fulfilment group is needed: give group, or a category that routes to one")
    levels = [level.value for level in Level]
    impact, urgency = text("impact", "low"), text("urgency", "medium")
    for name, value in (("impact", impact), ("urgency", urgency)):
        if value not in levels:
            raise err(name, f"{value!r} is not one of {', '.join(levels)}")
    mode = text("approval", "any")
    if mode not in ("any", "all"):
        raise err("approval", f"{mode!r} is not one of any, all")
    approvers = e.get("approvers", [])
    if not isinstance(approvers, list) or not all(isinstance(a, str) for a in approvers):
        raise err("approvers", "must be a list of analyst usernames")
    for username in approvers:
        if session.scalars(select(Analyst.id).where(Analyst.username == username)).first() is None:
            raise err("approvers", f"unknown analyst {username!r} (seed analysts first)")
    checklist = e.get("checklist", [])
    if not isinstance(checklist, list) or not all(isinstance(c, str) and c.strip() for c in checklist):
        raise err("checklist", "must be a list of non-empty steps")
    fields = e.get("field", [])
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        raise err("field", "fields are [[item.field]] tables")
    specs = []
    for f in fields:
        bad = [key for key in f if key not in _FIELD_KEYS]
        if bad:
            raise err("field", f"[[item.field]]: {unknown_key(bad[0], _FIELD_KEYS)}")
        name = f.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
            raise err("field", f"field name {name!r} must be lowercase letters, digits and _")
        choices = f.get("choices", [])
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise err("field", f"field {name!r}: choices must be a list of strings")
        specs.append({"name": name, "label": str(f.get("label", name)), "required": bool(f.get("required", False)),
                      "choices": choices})
    active = e.get("active", True)
    if not isinstance(active, bool):
        raise err("active", "must be true or false")
    return dict(
        key=key, name=text("name")[:120], description=text("description", ""), category_id=category_id,
        group_id=group_id, impact=impact, urgency=urgency, approval_mode=mode,
        approvers=json.dumps(approvers), fields=json.dumps(specs), checklist=json.dumps([c.strip() for c in checklist]),
        active=active,
    )


def catalog(engine: Engine, *, include_inactive: bool = False) -> list[CatalogItemRecord]:
    with session_scope(engine) as session:
        return q.catalog_items(session, include_inactive=include_inactive)


def _item_by_key(session: Session, key: str) -> CatalogItem:
    item = session.scalars(select(CatalogItem).where(CatalogItem.key == key.strip().lower(),
                                                     CatalogItem.active.is_(True))).first()
    if item is None:
        keys = session.scalars(select(CatalogItem.key).where(CatalogItem.active.is_(True))
                               .order_by(CatalogItem.key)).all()
        raise NotFound(f"catalogue item {key!r} not found; items: {', '.join(keys) or 'none (deskui seed catalog FILE)'}")
    return item


def _check_answers(item: CatalogItem, answers: Mapping[str, str]) -> dict[str, str]:
    specs = {f["name"]: f for f in json.loads(item.fields)}
    clean: dict[str, str] = {}
    for name, value in answers.items():
        if name not in specs:
            raise ValidationError(f"field {name!r} is not a field of {item.key}; fields: "
                                  f"{', '.join(specs) or 'none'}")
        value = clean_text(str(value), single_line=True).strip()
        choices = specs[name]["choices"]
        if value and choices and value not in choices:
            raise ValidationError(f"field {name}: {value!r} is not one of {', '.join(choices)}")
        clean[name] = value
    missing = [n for n, f in specs.items() if f["required"] and not clean.get(n)]
    if missing:
        raise ValidationError(f"{item.key}: required field(s) missing: {', '.join(missing)}")
    return {n: clean[n] for n in specs if n in clean}  # in the catalogue's order


# ------------------------------------------------------------------ submitting

def submit(engine: Engine, actor: Actor, item_key: str, *, requester: str, answers: Mapping[str, str] | None = None,
           subject: str | None = None, details: str = "", requester_name: str = "", channel: str = "portal",
           at: datetime | None = None) -> TicketRecord:
    """Raise a request for a catalogue item. With approvers it waits for approval
    (no group, no SLA clock); without, it goes straight to the fulfilment group."""
    require(actor, Action.REQUESTS)
    try:
        channel_value = Channel(channel).value
    except ValueError:
        raise ValidationError(f"channel: {channel!r} is not one of {', '.join(c.value for c in Channel)}") from None
    now = at or clock.now()
    with write_session(engine) as session:
        item = _item_by_key(session, item_key)
        values = _check_answers(item, answers or {})
        specs = {f["name"]: f["label"] for f in json.loads(item.fields)}
        approver_ids = list(session.scalars(select(Analyst.id).where(
            Analyst.username.in_(json.loads(item.approvers)), Analyst.active.is_(True))).all())
        needs_approval = bool(json.loads(item.approvers))
        if needs_approval and not approver_ids:
            raise ValidationError(f"{item.key}: none of its approvers is an active analyst; fix the catalogue")
        matrix = priority_matrix(session)
        person = requester_for(session, requester, requester_name)
        group_id = None if needs_approval else item.group_id
        lines = [clean_text(details).strip()] if details.strip() else []
        lines += [f"{specs[name]}: {value}" for name, value in values.items()]
        ticket = Ticket(
            type=TicketType.REQUEST.value, subject=(clean_subject(subject or "") or item.name)[:300],
            description="\n".join(lines), requester_id=person.id, channel=channel_value, category_id=item.category_id,
            impact=item.impact, urgency=item.urgency, priority=matrix.priority(item.impact, item.urgency),
            priority_reason=matrix.reason(item.impact, item.urgency), status=Status.NEW.value, group_id=group_id,
            tier=session.get(Group, group_id).tier if group_id else 1, created_at=now, updated_at=now,
            updated_by=actor.username,
        )
        session.add(ticket)
        session.flush()
        with noting(session, ticket.id, actor) as plan:
            plan.create(now, channel_value, f"catalogue item {item.key}")
        session.add(RequestDetail(ticket_id=ticket.id, item_id=item.id, answers=json.dumps(values),
                                  approval=PENDING if needs_approval else NOT_REQUIRED))
        for position, step in enumerate(json.loads(item.checklist), start=1):
            session.add(ChecklistItem(ticket_id=ticket.id, position=position, text=step[:300]))
        if needs_approval:
            for approver_id in approver_ids:
                session.add(RequestApproval(ticket_id=ticket.id, approver_id=approver_id))
            names = ", ".join(sorted(json.loads(item.approvers)))
            with noting(session, ticket.id, actor) as plan:
                plan.approval(now, "approval", "requested", f"awaiting approval by {names} ({item.approval_mode})")
        else:
            on_open(session, ticket, now)
        session.flush()
        sla.refresh(session, ticket, actor.username, now)
        session.flush()
        return ticket_record(session, ticket.id)


# ------------------------------------------------------------------ approval

def _detail(session: Session, ticket_id: int) -> RequestDetail:
    detail = session.get(RequestDetail, ticket_id, populate_existing=True)
    if detail is None:
        raise ValidationError(f"ticket #{ticket_id} is not a catalogue request")
    return detail


def _decide(engine: Engine, actor: Actor, ticket_id: int, approve: bool, comment: str, version: int | None,
            at: datetime | None) -> TicketRecord:
    comment = ticket_service.checked_body(clean_text(comment or "").strip(), "comment")
    verb = "approve" if approve else "reject"
    require(actor, Action.APPROVALS)
    if not approve and not comment:
        raise ValidationError("comment: say why the request is rejected")
    if not actor.is_analyst:
        raise ValidationError(f"{verb}: only an analyst listed as approver can {verb}")

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        detail = _detail(session, ticket.id)
        if detail.approval != PENDING:
            raise ValidationError(f"request #{ticket.id} is {detail.approval.replace('_', ' ')}; nothing to {verb}")
        mine = session.get(RequestApproval, (ticket.id, actor.id), populate_existing=True)
        if mine is None:
            approvers = session.scalars(select(Analyst.username).join(
                RequestApproval, RequestApproval.approver_id == Analyst.id).where(RequestApproval.ticket_id == ticket.id)
                .order_by(Analyst.username)).all()
            raise ValidationError(f"{verb}: {actor.username} is not an approver of request #{ticket.id}; "
                                  f"approvers: {', '.join(approvers)}")
        if mine.decision != PENDING:
            raise ValidationError(f"{verb}: {actor.username} already {mine.decision} request #{ticket.id}")
        mine.decision = APPROVED if approve else REJECTED
        mine.comment = comment
        mine.decided_at = now
        with noting(session, ticket.id, actor) as plan:
            plan.approval(now, "approver", mine.decision, comment, old=PENDING)
        item = session.get(CatalogItem, detail.item_id)
        if not approve:
            _close_approval(session, detail, actor, now, REJECTED, comment)
            body = f"Request rejected by {actor.name}: {comment}"
            session.add(Comment(ticket_id=ticket.id, author_id=actor.id, author_name=actor.name,
                                visibility=Visibility.PUBLIC.value, body=body, created_at=now))
            session.flush()
            with planning(session, ticket, actor, names=False) as plan:
                plan.change_status(now, Status.CANCELLED.value, note="request rejected")
            return
        session.flush()
        decisions = session.scalars(select(RequestApproval.decision).where(RequestApproval.ticket_id == ticket.id)).all()
        if item.approval_mode == "all" and any(d != APPROVED for d in decisions):
            return  # others still to approve
        _close_approval(session, detail, actor, now, APPROVED, comment)
        # Now it reaches the fulfilment group, and the assignment rules apply there.
        group = session.get(Group, item.group_id)
        if group is not None:
            with planning(session, ticket, actor) as plan:
                plan.route(now, group.id, group.name, group.tier,
                           keeps_assignee=is_member(session, group.id, plan.assignee_id))
            on_open(session, ticket, now)

    return ticket_service.mutate(engine, actor, ticket_id, version, change, at=at)


def _close_approval(session: Session, detail: RequestDetail, actor: Actor, now: datetime, outcome: str,
                    comment: str) -> None:
    detail.approval = outcome
    detail.decided_at = now
    detail.decided_by = actor.username
    with noting(session, detail.ticket_id, actor) as plan:
        plan.approval(now, "approval", outcome, comment, old=PENDING)


def approve(engine: Engine, actor: Actor, ticket_id: int, *, comment: str = "", version: int | None = None,
            at: datetime | None = None) -> TicketRecord:
    return _decide(engine, actor, ticket_id, True, comment, version, at)


def reject(engine: Engine, actor: Actor, ticket_id: int, *, comment: str, version: int | None = None,
           at: datetime | None = None) -> TicketRecord:
    return _decide(engine, actor, ticket_id, False, comment, version, at)


# ------------------------------------------------------------------ fulfilment

def tick(engine: Engine, actor: Actor, ticket_id: int, position: int, *, done: bool = True,
         version: int | None = None, at: datetime | None = None) -> TicketRecord:
    """Tick (or untick) one fulfilment step; only once the request is approved."""
    require(actor, Action.REQUESTS)

    def change(session: Session, ticket: Ticket, now: datetime) -> None:
        detail = _detail(session, ticket.id)
        if detail.approval not in (APPROVED, NOT_REQUIRED):
            raise ValidationError(f"request #{ticket.id} is {detail.approval.replace('_', ' ')}; "
                                  "the checklist opens once it is approved")
        if ticket.status not in (Status.NEW, Status.OPEN, Status.PENDING):
            raise ValidationError(f"request #{ticket.id} is {ticket.status}; reopen it to change the checklist")
        step = session.get(ChecklistItem, (ticket.id, position), populate_existing=True)
        if step is None:
            count = len(session.scalars(select(ChecklistItem.position).where(ChecklistItem.ticket_id == ticket.id)).all())
            raise ValidationError(f"checklist: step {position} does not exist on request #{ticket.id} "
                                  f"(steps 1-{count})" if count else f"request #{ticket.id} has no checklist")
        if step.done == done:
            return
        step.done = done
        step.done_by = actor.username if done else ""
        step.done_at = now if done else None
        with noting(session, ticket.id, actor) as plan:
            plan.checklist(now, position, done, step.text)

    return ticket_service.mutate(engine, actor, ticket_id, version, change, at=at)


def fulfil(engine: Engine, actor: Actor, ticket_id: int, *, notes: str = "", version: int | None = None,
           at: datetime | None = None) -> TicketRecord:
    """Resolve an approved request whose checklist is complete (code ``fulfilled``)."""
    require(actor, Action.RESOLVE)
    view = request_view(engine, ticket_id)
    if not view.approved:
        raise ValidationError(f"request #{ticket_id} is {view.approval.replace('_', ' ')}; it cannot be fulfilled")
    open_steps = [s.position for s in view.checklist if not s.done]
    if open_steps:
        raise ValidationError(f"request #{ticket_id}: checklist step(s) {', '.join(map(str, open_steps))} "
                              "not done yet")
    done = "; ".join(s.text for s in view.checklist)
    notes = clean_text(notes).strip() or (f"Fulfilled: {done}" if done else f"Fulfilled: {view.item_name}")
    return ticket_service.resolve(engine, actor, ticket_id, code="fulfilled", notes=notes, version=version, at=at)


# ------------------------------------------------------------------ reads

def request_view(engine: Engine, ticket_id: int) -> RequestView:
    with session_scope(engine) as session:
        view = q.request_view(session, ticket_id)
        if view is None:
            if session.get(Ticket, ticket_id) is None:
                raise NotFound(f"ticket #{ticket_id} not found")
            raise ValidationError(f"ticket #{ticket_id} is not a catalogue request")
        return view


def pending_approvals(engine: Engine, approver: str | None = None) -> list[PendingApproval]:
    with session_scope(engine) as session:
        approver_id = None
        if approver:
            analyst = session.scalars(select(Analyst).where(Analyst.username == approver)).first()
            if analyst is None:
                raise NotFound(f"analyst {approver!r} not found")
            approver_id = analyst.id
        return q.pending_approvals(session, approver_id)

