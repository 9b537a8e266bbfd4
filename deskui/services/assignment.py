"""Assignment rules: choosing an analyst of a group when a ticket reaches it.

Round robin or least open load among the group's members who are active, not
away, of the ticket's tier (``tier = "exact"``, or ``"at_least"``) and optionally
of some roles; the first matching rule decides. Applied on open
(``tickets.open_ticket``), when a request is approved, and by
:func:`apply_assignment` for unassigned tickets.

Concurrency: a decision locks the rule's cursor row for the group (``SELECT ...
FOR UPDATE`` on PostgreSQL; SQLite write transactions are already serial) and
claims the ticket with ``WHERE version = seen AND assignee_id IS NULL``, so two
analysts applying automation at once never assign a ticket twice, and round robin
never hands the same turn out twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES
from deskui.domain.permissions import Action
from deskui.services import sla
from deskui.services.actors import SYSTEM, Actor, require, rule_actor
from deskui.services.automation_rules import AssignRule, RuleSet, load_rules
from deskui.services.ticket_history import planning
from deskui.store.db import session_scope, write_session
from deskui.store.models import Analyst, Group, GroupMember, Ticket
from deskui.store.models_ops import RuleCursor
from deskui.store.upsert import insert_ignore

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


def _lock_cursor(session: Session, rule_name: str, group_id: int, now: datetime) -> RuleCursor:
    """The (rule, group) cursor row, locked for this transaction: concurrent decisions
    for the same group queue here and each sees the one before it."""
    insert_ignore(session, RuleCursor.__table__, ["rule_name", "group_id"], rule_name=rule_name, group_id=group_id,
                  updated_at=now)
    return session.scalars(
        select(RuleCursor).where(RuleCursor.rule_name == rule_name, RuleCursor.group_id == group_id)
        .with_for_update().execution_options(populate_existing=True)
    ).one()


def eligible_analysts(session: Session, group_id: int, tier: int, tier_mode: str = "exact",
                      roles: frozenset[str] = frozenset(), exclude: Sequence[int] = ()) -> list[Analyst]:
    stmt = (
        select(Analyst).join(GroupMember, GroupMember.analyst_id == Analyst.id)
        .where(GroupMember.group_id == group_id, Analyst.active.is_(True), Analyst.away.is_(False),
               Analyst.role != "viewer")  # a viewer reads only (domain/permissions.py)
        .order_by(Analyst.id)
    )
    stmt = stmt.where(Analyst.tier == tier) if tier_mode == "exact" else stmt.where(Analyst.tier >= tier)
    if roles:
        stmt = stmt.where(Analyst.role.in_(sorted(roles)))
    if exclude:
        stmt = stmt.where(Analyst.id.not_in(list(exclude)))
    return list(session.scalars(stmt).all())


def open_loads(session: Session, analyst_ids: Sequence[int]) -> dict[int, int]:
    """Active tickets assigned to each analyst (any group): their open load."""
    if not analyst_ids:
        return {}
    return {a: int(n) for a, n in session.execute(
        select(Ticket.assignee_id, func.count()).where(Ticket.assignee_id.in_(list(analyst_ids)),
                                                       Ticket.status.in_(_ACTIVE))
        .group_by(Ticket.assignee_id)).all()}


def pick_analyst(session: Session, rule_name: str, method: str, group_id: int, tier: int, now: datetime, *,
                 tier_mode: str = "exact", roles: frozenset[str] = frozenset(),
                 exclude: Sequence[int] = ()) -> Analyst | None:
    """Choose the next analyst of a group and advance the rule's cursor (locked)."""
    cursor = _lock_cursor(session, rule_name, group_id, now)
    candidates = eligible_analysts(session, group_id, tier, tier_mode, roles, exclude)
    if not candidates:
        return None
    last = cursor.last_analyst_id or 0
    # Rotation order starting after the last one chosen; least open load breaks ties in it,
    # so equal loads still take turns.
    rotation = [a for a in candidates if a.id > last] + [a for a in candidates if a.id <= last]
    if method == "least_open":
        loads = open_loads(session, [a.id for a in candidates])
        chosen = min(rotation, key=lambda a: loads.get(a.id, 0))
    else:
        chosen = rotation[0]
    cursor.last_analyst_id = chosen.id
    cursor.updated_at = now
    session.flush()
    return chosen


def _group_label(session: Session, group_id: int | None) -> str:
    group = session.get(Group, group_id) if group_id else None
    return group.name if group else "no group"


def _assign_with(session: Session, ticket: Ticket, rule: AssignRule, now: datetime) -> Analyst | None:
    actor = rule_actor(rule.name)
    analyst = pick_analyst(session, rule.name, rule.method, ticket.group_id, ticket.tier, now,
                           tier_mode=rule.tier, roles=rule.roles)
    how = rule.method.replace("_", " ")
    tier = f"tier {ticket.tier}" + ("+" if rule.tier == "at_least" else "")
    where = _group_label(session, ticket.group_id)
    with planning(session, ticket, actor) as plan:
        if analyst is None:
            plan.rule_fired(now, "assignee", f"{how}: no available analyst in {where} ({tier})")
        else:
            plan.rule_fired(now, "assignee", f"{how} in {where} ({tier})")
            plan.assign(now, analyst.id, analyst.username)  # the one assignment rule (new -> open, counters)
    return analyst


def matching_assign_rule(ruleset: RuleSet, ticket: Ticket) -> AssignRule | None:
    return next((r for r in ruleset.assign if r.matches(ticket)), None)


def on_open(session: Session, ticket: Ticket, now: datetime) -> None:
    """Hook of ``tickets.open_ticket`` (and of a request reaching its group):
    assign an unassigned active ticket by the first matching assign rule."""
    if ticket.assignee_id is not None or ticket.group_id is None or ticket.status not in _ACTIVE:
        return
    rule = matching_assign_rule(load_rules(session), ticket)
    if rule is not None:
        session.flush()
        _assign_with(session, ticket, rule, now)


@dataclass(frozen=True)
class AssignOutcome:
    assigned: list[tuple[int, str]] = field(default_factory=list)  # (ticket, analyst username)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (ticket, why)


class _Skip(Exception):
    pass


def apply_assignment(engine: Engine, ticket_ids: Sequence[int] | None = None, *, limit: int = 500,
                     now: datetime | None = None, actor: Actor = SYSTEM) -> AssignOutcome:
    """Apply assign rules to unassigned active tickets (all of them, or the ids given).
    Each ticket is its own transaction; a ticket someone else assigned meanwhile is skipped.
    Running the rules by hand is an admin's (``actor``); the rules act as themselves."""
    require(actor, Action.RULES)
    now = now or clock.now()
    if ticket_ids is None:
        with session_scope(engine) as session:
            ticket_ids = list(session.scalars(
                select(Ticket.id).where(Ticket.assignee_id.is_(None), Ticket.group_id.is_not(None),
                                        Ticket.status.in_(_ACTIVE)).order_by(Ticket.id).limit(limit)).all())
    assigned: list[tuple[int, str]] = []
    skipped: list[tuple[int, str]] = []
    for ticket_id in ticket_ids:
        try:
            with write_session(engine) as session:
                ticket = session.get(Ticket, ticket_id, populate_existing=True)
                if ticket is None:
                    raise _Skip("not found")
                if ticket.assignee_id is not None:
                    raise _Skip("already assigned")
                if ticket.status not in _ACTIVE or ticket.group_id is None:
                    raise _Skip(f"{ticket.status}, group {_group_label(session, ticket.group_id)}")
                rule = matching_assign_rule(load_rules(session), ticket)
                if rule is None:
                    raise _Skip("no assign rule matches")
                seen = ticket.version
                claimed = session.execute(
                    update(Ticket).where(Ticket.id == ticket_id, Ticket.version == seen, Ticket.assignee_id.is_(None))
                    .values(version=seen + 1).execution_options(synchronize_session=False))
                if claimed.rowcount != 1:
                    raise _Skip("changed by someone else meanwhile")
                ticket.version = seen + 1
                analyst = _assign_with(session, ticket, rule, now)
                if analyst is None:
                    raise _Skip("no available analyst")
                ticket.updated_at = now
                ticket.updated_by = rule_actor(rule.name).username
                sla.refresh(session, ticket, ticket.updated_by, now)
                assigned.append((ticket_id, analyst.username))
        except _Skip as why:
            skipped.append((ticket_id, str(why)))
    return AssignOutcome(assigned, skipped)
