"""Automation rules, applied by the services so the CLI, the app and imports behave alike.

Rules come from a TOML file (``deskui seed rules FILE``, see sample_data/rules.toml)
and live in ``automation_rules``. Three kinds:

- ``assign``: assignment when a ticket reaches a group (on open, on approval of a
  request, or by :func:`apply_assignment` for unassigned tickets). Round robin or
  least open load among the group's members who are active, not away, of the
  ticket's tier (``tier = "exact"``, or ``"at_least"``) and optionally of some roles.
  The first matching rule decides. Called from ``tickets.open_ticket``.
- ``sla_escalation``: when a target reaches the warning share (``when = "at_risk"``)
  or breaches (``"breached"``): notify the group, move to another group, assign,
  raise the priority one step. Fires once per ticket and trigger, even with two
  sweeps at once (``rule_firings`` primary key). Called from ``sla.sweep``.
- ``auto_close``: close resolved tickets after N business days of the calendar
  (the rule's, else the ticket's SLA calendar, else every day). Run by ``sla.sweep``.

Every effect is a ticket event whose actor is ``rule:NAME``.

Concurrency: an assignment decision locks the rule's cursor row for the group
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write transactions are already
serial) and claims the ticket with ``WHERE version = seen AND assignee_id IS NULL``,
so two analysts applying automation at once never assign a ticket twice, and
round robin never hands the same turn out twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.calendar import BusinessCalendar
from deskui.domain.enums import ACTIVE_STATUSES, EventKind, Role, SlaState, Status, TicketType
from deskui.domain.sla import SlaStatus
from deskui.domain.workflow import WorkflowError
from deskui.errors import ConflictError, NotFound, ValidationError
from deskui.services import sla
from deskui.services.ops_events import NOTIFIED, RULE, rule_actor, ticket_event
from deskui.services.seed import SeedSummary, _Source
from deskui.store.db import session_scope, write_session
from deskui.store.models import Analyst, Calendar, Group, GroupMember, SlaPolicy, Ticket
from deskui.store.models_ops import AutomationRule, Notification, RuleCursor, RuleFiring

KINDS = ("assign", "sla_escalation", "auto_close")
METHODS = ("round_robin", "least_open")
TIER_MODES = ("exact", "at_least")
WHEN = ("at_risk", "breached")
TARGETS = ("response", "resolution", "either")
_ACTIVE = [s.value for s in ACTIVE_STATUSES]
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")


# ------------------------------------------------------------------ rules

@dataclass(frozen=True)
class AssignRule:
    name: str
    method: str = "round_robin"
    groups: frozenset[int] = frozenset()  # empty: every group
    types: frozenset[str] = frozenset()  # empty: every type
    tier: str = "exact"
    roles: frozenset[str] = frozenset()  # empty: every role

    def matches(self, ticket: Ticket) -> bool:
        return ((not self.groups or ticket.group_id in self.groups)
                and (not self.types or ticket.type in self.types))


@dataclass(frozen=True)
class EscalationRule:
    name: str
    when: str = "at_risk"
    target: str = "resolution"
    priorities: frozenset[int] = frozenset()
    groups: frozenset[int] = frozenset()
    types: frozenset[str] = frozenset()
    notify: bool = False
    notify_group: int | None = None
    raise_priority: bool = False
    reassign_group: int | None = None
    assign: str | None = None  # round_robin | least_open: (re)assign within the ticket's group
    tier: str = "exact"
    roles: frozenset[str] = frozenset()

    def matches(self, ticket: Ticket) -> bool:
        return ((not self.priorities or ticket.priority in self.priorities)
                and (not self.groups or ticket.group_id in self.groups)
                and (not self.types or ticket.type in self.types))


@dataclass(frozen=True)
class AutoCloseRule:
    name: str
    after_business_days: int = 3
    calendar: int | None = None
    types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class RuleSet:
    assign: tuple[AssignRule, ...] = ()
    escalation: tuple[EscalationRule, ...] = ()
    auto_close: tuple[AutoCloseRule, ...] = ()
    # Per-load memo (one sweep): the firings already recorded for active tickets, read once,
    # so a sweep does not try an insert for every ticket that stays at risk or breached.
    memo: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def empty(self) -> bool:
        return not (self.assign or self.escalation or self.auto_close)


@dataclass(frozen=True)
class RuleInfo:
    """A stored rule for listings."""

    name: str
    kind: str
    enabled: bool
    position: int
    config: dict


def load_rules(session: Session) -> RuleSet:
    """The enabled rules in file order, group and calendar names resolved to ids."""
    rows = session.scalars(select(AutomationRule).where(AutomationRule.enabled.is_(True))
                           .order_by(AutomationRule.position, AutomationRule.id)).all()
    if not rows:
        return RuleSet()
    groups = {n.lower(): i for i, n in session.execute(select(Group.id, Group.name)).all()}
    calendars = {n: i for i, n in session.execute(select(Calendar.id, Calendar.name)).all()}
    assign, escalation, auto_close = [], [], []

    def gids(names) -> frozenset[int]:
        return frozenset(groups[n.lower()] for n in names if n.lower() in groups)

    for row in rows:
        c = json.loads(row.config)
        if row.kind == "assign":
            assign.append(AssignRule(row.name, c.get("method", "round_robin"), gids(c.get("groups", [])),
                                     frozenset(c.get("types", [])), c.get("tier", "exact"),
                                     frozenset(c.get("roles", []))))
        elif row.kind == "sla_escalation":
            escalation.append(EscalationRule(
                row.name, c.get("when", "at_risk"), c.get("target", "resolution"), frozenset(c.get("priorities", [])),
                gids(c.get("groups", [])), frozenset(c.get("types", [])), bool(c.get("notify", False)),
                groups.get((c.get("notify_group") or "").lower()), bool(c.get("raise_priority", False)),
                groups.get((c.get("reassign_group") or "").lower()), c.get("assign"), c.get("tier", "exact"),
                frozenset(c.get("roles", [])),
            ))
        elif row.kind == "auto_close":
            auto_close.append(AutoCloseRule(row.name, int(c.get("after_business_days", 3)),
                                            calendars.get(c.get("calendar") or ""), frozenset(c.get("types", []))))
    return RuleSet(tuple(assign), tuple(escalation), tuple(auto_close))


def rules(engine: Engine) -> RuleSet:
    with session_scope(engine) as session:
        return load_rules(session)


def list_rules(engine: Engine) -> list[RuleInfo]:
    with session_scope(engine) as session:
        return [RuleInfo(r.name, r.kind, r.enabled, r.position, json.loads(r.config)) for r in session.scalars(
            select(AutomationRule).order_by(AutomationRule.position, AutomationRule.id)).all()]


# ------------------------------------------------------------------ seeding

_COMMON_KEYS = {"name", "kind", "enabled", "groups", "types"}
_KEYS = {
    "assign": _COMMON_KEYS | {"method", "tier", "roles"},
    "sla_escalation": _COMMON_KEYS | {"when", "target", "priorities", "notify", "notify_group", "raise_priority",
                                      "reassign_group", "assign", "tier", "roles"},
    "auto_close": _COMMON_KEYS | {"after_business_days", "calendar"},
}


def _rule_config(session: Session, src: _Source, i: int, e: dict) -> tuple[str, str, bool, dict]:
    def err(key: str | None, message: str) -> ValidationError:
        return src.error("rule", i, key, message)

    name = e.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise err("name" if "name" in e else None,
                  f"name {name!r} must be 1-40 lowercase letters, digits, '.', '_' or '-'")
    kind = e.get("kind")
    if kind not in KINDS:
        raise err("kind" if "kind" in e else None, f"kind {kind!r} is not one of {', '.join(KINDS)}")
    unknown = sorted(set(e) - _KEYS[kind])
    if unknown:
        raise err(unknown[0], f"unknown option {unknown[0]!r} for a {kind} rule; options: "
                              f"{', '.join(sorted(_KEYS[kind]))}")
    enabled = e.get("enabled", True)
    if not isinstance(enabled, bool):
        raise err("enabled", "must be true or false")
    group_names = {n.lower(): n for n in session.scalars(select(Group.name)).all()}

    def group(key: str, value) -> str:
        if not isinstance(value, str) or value.lower() not in group_names:
            raise err(key, f"unknown group {value!r}; groups: {', '.join(sorted(group_names.values())) or 'none'}")
        return group_names[value.lower()]

    def choice(key: str, options: Sequence[str], default: str | None) -> str | None:
        value = e.get(key, default)
        if value is None and default is None:
            return None
        if value not in options:
            raise err(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def str_list(key: str, options: Sequence[str] | None = None) -> list:
        value = e.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise err(key, "must be a list of strings")
        for v in value:
            if options is not None and v not in options:
                raise err(key, f"{v!r} is not one of {', '.join(options)}")
        return value

    config: dict = {}
    if "groups" in e:
        config["groups"] = [group("groups", g) for g in str_list("groups")]
    if "types" in e:
        config["types"] = str_list("types", [t.value for t in TicketType])
    if kind in ("assign", "sla_escalation"):
        if "roles" in e:
            config["roles"] = str_list("roles", [r.value for r in Role])
        config["tier"] = choice("tier", TIER_MODES, "exact")
    if kind == "assign":
        config["method"] = choice("method", METHODS, "round_robin")
    elif kind == "sla_escalation":
        config["when"] = choice("when", WHEN, "at_risk")
        config["target"] = choice("target", TARGETS, "resolution")
        priorities = e.get("priorities", [])
        if not isinstance(priorities, list) or not all(p in (1, 2, 3, 4) and not isinstance(p, bool)
                                                       for p in priorities):
            raise err("priorities", f"{priorities!r} must be a list of 1, 2, 3, 4")
        config["priorities"] = priorities
        for flag in ("notify", "raise_priority"):
            value = e.get(flag, False)
            if not isinstance(value, bool):
                raise err(flag, "must be true or false")
            config[flag] = value
        for key in ("notify_group", "reassign_group"):
            if key in e:
                config[key] = group(key, e[key])
        assign = choice("assign", METHODS, None)
        if assign:
            config["assign"] = assign
        if not (config["notify"] or config["raise_priority"] or "reassign_group" in config or assign):
            raise err(None, "an sla_escalation rule needs an action: notify, raise_priority, reassign_group "
                            "or assign")
    else:
        days = e.get("after_business_days")
        if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= 365:
            raise err("after_business_days" if "after_business_days" in e else None,
                      f"after_business_days {days!r} must be a whole number from 1 to 365")
        config["after_business_days"] = days
        if "calendar" in e:
            names = session.scalars(select(Calendar.name)).all()
            if e["calendar"] not in names:
                raise err("calendar", f"unknown calendar {e['calendar']!r}; calendars: {', '.join(names) or 'none'}")
            config["calendar"] = e["calendar"]
    return name, kind, enabled, config


def seed_rules(engine: Engine, path: str | Path, *, now: datetime | None = None) -> SeedSummary:
    """Make the stored rules equal to the file (rules not in it are removed). All or nothing."""
    src = _Source(Path(path))
    summary = SeedSummary("rules")
    now = now or clock.now()
    with write_session(engine) as session:
        seen: set[str] = set()
        for i, e in enumerate(src.entries("rule")):
            name, kind, enabled, config = _rule_config(session, src, i, e)
            if name in seen:
                raise src.error("rule", i, "name", f"rule {name!r} is defined twice")
            seen.add(name)
            text = json.dumps(config, sort_keys=True)
            row = session.scalars(select(AutomationRule).where(AutomationRule.name == name)).first()
            if row is None:
                session.add(AutomationRule(name=name, kind=kind, enabled=enabled, position=i, config=text,
                                           updated_at=now))
                summary.created += 1
            elif (row.kind, row.enabled, row.position, row.config) != (kind, enabled, i, text):
                row.kind, row.enabled, row.position, row.config, row.updated_at = kind, enabled, i, text, now
                summary.updated += 1
            else:
                summary.unchanged += 1
            summary.names.append(name)
        gone = session.scalars(select(AutomationRule.name).where(AutomationRule.name.not_in(seen))).all()
        if gone:
            session.execute(delete(RuleCursor).where(RuleCursor.rule_name.in_(gone)))
            session.execute(delete(AutomationRule).where(AutomationRule.name.in_(gone)))
    return summary


# ------------------------------------------------------------------ choosing an analyst

def _insert(session: Session):
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert


def _lock_cursor(session: Session, rule_name: str, group_id: int, now: datetime) -> RuleCursor:
    """The (rule, group) cursor row, locked for this transaction: concurrent decisions
    for the same group queue here and each sees the one before it."""
    session.execute(_insert(session)(RuleCursor.__table__).values(rule_name=rule_name, group_id=group_id, updated_at=now)
                    .on_conflict_do_nothing(index_elements=["rule_name", "group_id"]))
    return session.scalars(
        select(RuleCursor).where(RuleCursor.rule_name == rule_name, RuleCursor.group_id == group_id)
        .with_for_update().execution_options(populate_existing=True)
    ).one()


def eligible_analysts(session: Session, group_id: int, tier: int, tier_mode: str = "exact",
                      roles: frozenset[str] = frozenset(), exclude: Sequence[int] = ()) -> list[Analyst]:
    stmt = (
        select(Analyst).join(GroupMember, GroupMember.analyst_id == Analyst.id)
        .where(GroupMember.group_id == group_id, Analyst.active.is_(True), Analyst.away.is_(False))
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
    from deskui.services.tickets import _set_assignee  # the one assignment path (events, status new -> open)

    actor = rule_actor(rule.name)
    analyst = pick_analyst(session, rule.name, rule.method, ticket.group_id, ticket.tier, now,
                           tier_mode=rule.tier, roles=rule.roles)
    how = rule.method.replace("_", " ")
    tier = f"tier {ticket.tier}" + ("+" if rule.tier == "at_least" else "")
    if analyst is None:
        ticket_event(session, ticket.id, actor, now, RULE, field="assignee",
                     detail=f"{how}: no available analyst in {_group_label(session, ticket.group_id)} ({tier})")
        return None
    ticket_event(session, ticket.id, actor, now, RULE, field="assignee",
                 detail=f"{how} in {_group_label(session, ticket.group_id)} ({tier})")
    _set_assignee(session, ticket, actor, now, analyst)
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
                     now: datetime | None = None) -> AssignOutcome:
    """Apply assign rules to unassigned active tickets (all of them, or the ids given).
    Each ticket is its own transaction; a ticket someone else assigned meanwhile is skipped."""
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


# ------------------------------------------------------------------ SLA escalation

def _qualifies(state: SlaState | str, when: str) -> bool:
    if when == "breached":
        return state == SlaState.BREACHED
    return state in (SlaState.AT_RISK, SlaState.BREACHED)  # a breach is past the warning share too


def on_sla_refresh(session: Session, ticket: Ticket, status: SlaStatus | None, ruleset: RuleSet,
                   now: datetime) -> list[str]:
    """Hook of ``sla.sweep`` after a ticket's SLA refresh: fire matching escalation rules
    once per trigger. Returns the names of the rules that fired."""
    if status is None or not ruleset.escalation or ticket.status not in _ACTIVE:
        return []
    fired: list[str] = []
    for rule in ruleset.escalation:
        if not rule.matches(ticket):
            continue
        names = ("response", "resolution") if rule.target == "either" else (rule.target,)
        for name in names:
            target = getattr(status, name)
            if _qualifies(target.state, rule.when):
                trigger = f"{rule.when}:{'any' if rule.target == 'either' else name}"
                if (rule.name, ticket.id, trigger) not in _known_firings(session, ruleset) and \
                        _fire(session, ticket, rule, trigger, target, now):
                    fired.append(rule.name)
                break
    return fired


def _known_firings(session: Session, ruleset: RuleSet) -> set[tuple[str, int, str]]:
    if "fired" not in ruleset.memo:
        ruleset.memo["fired"] = {tuple(r) for r in session.execute(
            select(RuleFiring.rule_name, RuleFiring.ticket_id, RuleFiring.trigger)
            .join(Ticket, Ticket.id == RuleFiring.ticket_id).where(Ticket.status.in_(_ACTIVE))).all()}
    return ruleset.memo["fired"]


def _fire(session: Session, ticket: Ticket, rule: EscalationRule, trigger: str, target, now: datetime) -> bool:
    from deskui.services.tickets import _set_assignee, _set_group

    actor = rule_actor(rule.name)
    try:
        with session.begin_nested():
            # rowcount of an INSERT is only kept when asked for (and on the Core table).
            once = session.execute(_insert(session)(RuleFiring.__table__).values(
                rule_name=rule.name, ticket_id=ticket.id, trigger=trigger, at=now,
            ).on_conflict_do_nothing(index_elements=["rule_name", "ticket_id", "trigger"])
                .execution_options(preserve_rowcount=True))
            if once.rowcount != 1:
                raise _Skip("fired before")
            seen = ticket.version
            claimed = session.execute(update(Ticket).where(Ticket.id == ticket.id, Ticket.version == seen)
                                      .values(version=seen + 1).execution_options(synchronize_session=False))
            if claimed.rowcount != 1:
                raise _Skip("changed meanwhile; the next sweep tries again")
            ticket.version = seen + 1
            state = str(target.state).replace("_", " ")
            ticket_event(session, ticket.id, actor, now, RULE, field=target.name, new=str(target.state),
                         detail=f"{target.name} target {state} ({target.share:.0%} of business time used)")
            if rule.notify:
                _notify(session, ticket, rule, actor, now, f"#{ticket.id} P{ticket.priority} {target.name} "
                        f"target {state}: {ticket.subject}")
            if rule.reassign_group and rule.reassign_group != ticket.group_id:
                group = session.get(Group, rule.reassign_group)
                _set_group(session, ticket, actor, now, group)
                if group.tier > ticket.tier:
                    ticket_event(session, ticket.id, actor, now, EventKind.ESCALATED.value, field="tier",
                                 old=ticket.tier, new=group.tier, detail=f"rule {rule.name}: {target.name} {state}")
                    ticket.tier = group.tier
                    ticket.escalation_count += 1
            if rule.assign and ticket.group_id is not None:
                exclude = [ticket.assignee_id] if ticket.assignee_id else []
                analyst = pick_analyst(session, rule.name, rule.assign, ticket.group_id, ticket.tier, now,
                                       tier_mode=rule.tier, roles=rule.roles, exclude=exclude)
                if analyst is not None:
                    _set_assignee(session, ticket, actor, now, analyst)
            if rule.raise_priority and ticket.priority > 1:
                old = ticket.priority
                ticket.priority = old - 1
                ticket.priority_reason = f"raised by rule {rule.name}: {target.name} target {state}"
                ticket_event(session, ticket.id, actor, now, EventKind.PRIORITY.value, field="priority",
                             old=f"P{old}", new=f"P{ticket.priority}", detail=ticket.priority_reason)
            ticket.updated_at = now
            ticket.updated_by = actor.username
            sla.refresh(session, ticket, actor.username, now)
            session.flush()
    except _Skip:
        return False
    return True


def _notify(session: Session, ticket: Ticket, rule: EscalationRule, actor, now: datetime, message: str) -> None:
    group_id = rule.notify_group or ticket.group_id
    group = session.get(Group, group_id) if group_id else None
    recipient = (group.email or group.name) if group else "service desk"
    session.add(Notification(at=now, rule_name=rule.name, ticket_id=ticket.id, group_id=group_id,
                             recipient=recipient, message=message))
    ticket_event(session, ticket.id, actor, now, NOTIFIED, field="group", new=group.name if group else "",
                 detail=f"notified {group.name if group else 'the desk'} <{recipient}>: {message}"[:2000])


# ------------------------------------------------------------------ auto-close

def close_deadline(resolved_at: datetime, days: int, calendar: BusinessCalendar | None) -> datetime:
    """The same local time on the ``days``-th business day after the resolution
    (every day counts without a calendar). Naive UTC in, naive UTC out."""
    if calendar is None:
        return resolved_at + timedelta(days=days)
    local = calendar.local_time(resolved_at)
    day: date = local.date()
    counted = guard = 0
    while counted < days:
        day += timedelta(days=1)
        guard += 1
        if guard > 3700:  # a calendar with no business days at all: never
            return datetime.max
        if not calendar.is_closed_day(day):
            counted += 1
    deadline = datetime.combine(day, local.time(), tzinfo=local.tzinfo)
    return deadline.astimezone(timezone.utc).replace(tzinfo=None)


def auto_close(engine: Engine, ruleset: RuleSet | None = None, now: datetime | None = None,
               limit: int = 500) -> list[int]:
    """Close resolved tickets whose auto-close time has come. Returns the ids closed."""
    from deskui.services.tickets import close

    now = now or clock.now()
    ruleset = ruleset if ruleset is not None else rules(engine)
    closed: list[int] = []
    for rule in ruleset.auto_close:
        with session_scope(engine) as session:
            stmt = (
                select(Ticket.id, Ticket.resolved_at, SlaPolicy.calendar_id)
                .outerjoin(SlaPolicy, SlaPolicy.id == Ticket.sla_policy_id)
                .where(Ticket.status == Status.RESOLVED.value, Ticket.resolved_at.is_not(None),
                       # N business days are at least N calendar days
                       Ticket.resolved_at <= now - timedelta(days=rule.after_business_days))
                .order_by(Ticket.resolved_at, Ticket.id).limit(limit)
            )
            if rule.types:
                stmt = stmt.where(Ticket.type.in_(sorted(rule.types)))
            rows = session.execute(stmt).all()
            calendars: dict[int, BusinessCalendar] = {}
            for calendar_id in {rule.calendar or c for _, _, c in rows if (rule.calendar or c)}:
                row = session.get(Calendar, calendar_id)
                if row is not None:
                    calendars[calendar_id] = sla.calendar_of(row)
        for ticket_id, resolved_at, calendar_id in rows:
            calendar = calendars.get(rule.calendar or calendar_id or 0)
            if now < close_deadline(resolved_at, rule.after_business_days, calendar):
                continue
            try:
                close(engine, rule_actor(rule.name), ticket_id, at=now)
                closed.append(ticket_id)
            except (WorkflowError, ConflictError, NotFound):
                continue  # reopened or closed by someone else meanwhile
    return closed


__all__ = [
    "AssignRule", "EscalationRule", "AutoCloseRule", "RuleSet", "load_rules", "rules", "list_rules", "seed_rules",
    "pick_analyst", "on_open", "apply_assignment", "on_sla_refresh", "auto_close", "close_deadline",
]
