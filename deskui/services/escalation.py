"""SLA escalation rules: when a target reaches the warning share or breaches.

An ``sla_escalation`` rule (``when = "at_risk"`` or ``"breached"``) notifies the
group, moves the ticket to another group, assigns it, or raises its priority one
step. It fires once per ticket and trigger, even with two sweeps at once
(``rule_firings`` primary key). Applied by the sweep (:mod:`deskui.services.sweep`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session

from deskui.domain.enums import ACTIVE_STATUSES, SlaState
from deskui.domain.history import HistoryPlan
from deskui.domain.sla import SlaStatus
from deskui.services import sla
from deskui.services.actors import rule_actor
from deskui.services.assignment import pick_analyst
from deskui.services.automation_rules import EscalationRule, RuleSet
from deskui.services.ticket_history import is_member, planning
from deskui.store.models import Group, Ticket
from deskui.store.models_ops import Notification, RuleFiring
from deskui.store.upsert import insert_ignore

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


class _Skip(Exception):
    pass


def _qualifies(state: SlaState | str, when: str) -> bool:
    if when == "breached":
        return state == SlaState.BREACHED
    return state in (SlaState.AT_RISK, SlaState.BREACHED)  # a breach is past the warning share too


def on_sla_refresh(session: Session, ticket: Ticket, status: SlaStatus | None, ruleset: RuleSet,
                   now: datetime) -> list[str]:
    """Hook of ``sweep.sweep`` after a ticket's SLA refresh: fire matching escalation rules
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
    actor = rule_actor(rule.name)
    try:
        with session.begin_nested():
            if not insert_ignore(session, RuleFiring.__table__, ["rule_name", "ticket_id", "trigger"],
                                 rule_name=rule.name, ticket_id=ticket.id, trigger=trigger, at=now):
                raise _Skip("fired before")
            seen = ticket.version
            claimed = session.execute(update(Ticket).where(Ticket.id == ticket.id, Ticket.version == seen)
                                      .values(version=seen + 1).execution_options(synchronize_session=False))
            if claimed.rowcount != 1:
                raise _Skip("changed meanwhile; the next sweep tries again")
            ticket.version = seen + 1
            state = str(target.state).replace("_", " ")
            with planning(session, ticket, actor) as plan:
                plan.rule_fired(now, target.name, f"{target.name} target {state} ({target.share:.0%} of business "
                                "time used)", new=str(target.state))
                if rule.notify:
                    _notify(session, plan, ticket, rule, f"#{ticket.id} P{ticket.priority} {target.name} "
                            f"target {state}: {ticket.subject}", now)
                if rule.reassign_group and rule.reassign_group != plan.group_id:
                    group = session.get(Group, rule.reassign_group)
                    plan.set_group(now, group.id, group.name,
                                   keeps_assignee=is_member(session, group.id, plan.assignee_id))
                    plan.raise_tier(now, group.tier, f"rule {rule.name}: {target.name} {state}")
                if rule.assign and plan.group_id is not None:
                    exclude = [plan.assignee_id] if plan.assignee_id else []
                    analyst = pick_analyst(session, rule.name, rule.assign, plan.group_id, plan.tier, now,
                                           tier_mode=rule.tier, roles=rule.roles, exclude=exclude)
                    if analyst is not None:
                        plan.assign(now, analyst.id, analyst.username)
                if rule.raise_priority:
                    plan.raise_priority(now, f"raised by rule {rule.name}: {target.name} target {state}")
            ticket.updated_at = now
            ticket.updated_by = actor.username
            sla.refresh(session, ticket, actor.username, now)
            session.flush()
    except _Skip:
        return False
    return True


def _notify(session: Session, plan: HistoryPlan, ticket: Ticket, rule: EscalationRule, message: str,
            now: datetime) -> None:
    group_id = rule.notify_group or ticket.group_id
    group = session.get(Group, group_id) if group_id else None
    recipient = (group.email or group.name) if group else "service desk"
    session.add(Notification(at=now, rule_name=rule.name, ticket_id=ticket.id, group_id=group_id,
                             recipient=recipient, message=message))
    plan.notified(now, group.name if group else "",
                  f"notified {group.name if group else 'the desk'} <{recipient}>: {message}"[:2000])
