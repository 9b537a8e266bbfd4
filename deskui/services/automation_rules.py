"""Automation rules: what they are, reading them, and seeding them from a TOML file.

Rules come from a TOML file (``deskui seed rules FILE``, see sample_data/rules.toml)
and live in ``automation_rules``; :mod:`deskui.services.automation` says what each
kind does and where it is applied.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Sequence

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import Role, TicketType
from deskui.domain.permissions import Action
from deskui.errors import ValidationError
from deskui.services.actors import SYSTEM, Actor, require
from deskui.services.seed import SeedSource, SeedSummary, unknown_key
from deskui.store.db import session_scope, write_session
from deskui.store.models import Calendar, Group, Ticket
from deskui.store.models_ops import AutomationRule, RuleCursor

KINDS = ("assign", "sla_escalation", "auto_close")
METHODS = ("round_robin", "least_open")
TIER_MODES = ("exact", "at_least")
WHEN = ("at_risk", "breached")
TARGETS = ("response", "resolution", "either")
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


def _rule_config(session: Session, src: SeedSource, i: int, e: dict) -> tuple[str, str, bool, dict]:
    def err(key: str | None, message: str) -> ValidationError:
        return src.error("rule", i, key, message)

    name = e.get("name")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise err("name" if "name" in e else None,
                  f"name {name!r} must be 1-40 lowercase letters, digits, '.', '_' or '-'")
    kind = e.get("kind")
    if kind not in KINDS:
        raise err("kind" if "kind" in e else None, f"kind {kind!r} is not one of {', '.join(KINDS)}")
    unknown = [key for key in e if key not in _KEYS[kind]]
    if unknown:
        raise err(unknown[0], unknown_key(unknown[0], _KEYS[kind]))
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


def seed_rules(engine: Engine, path: str | Path, *, now: datetime | None = None, actor: Actor = SYSTEM) -> SeedSummary:
    """Make the stored rules equal to the file (rules not in it are removed). All or nothing."""
    require(actor, Action.RULES)
    src = SeedSource(Path(path))
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
