"""Automation rules, applied by the services so the CLI, the app and imports behave alike.

Rules come from a TOML file (``deskui seed rules FILE``, see sample_data/rules.toml)
and live in ``automation_rules``. Three kinds:

- ``assign``: assignment when a ticket reaches a group (on open, on approval of a
  request, or by :func:`apply_assignment` for unassigned tickets). Round robin or
  least open load among the group's members who are active, not away, of the
  ticket's tier (``tier = "exact"``, or ``"at_least"``) and optionally of some roles.
  The first matching rule decides. Called from ``tickets.open_ticket``
  (:mod:`deskui.services.assignment`).
- ``sla_escalation``: when a target reaches the warning share (``when = "at_risk"``)
  or breaches (``"breached"``): notify the group, move to another group, assign,
  raise the priority one step. Fires once per ticket and trigger, even with two
  sweeps at once (``rule_firings`` primary key). Called from ``sweep.sweep``
  (:mod:`deskui.services.escalation`).
- ``auto_close``: close resolved tickets after N business days of the calendar
  (the rule's, else the ticket's SLA calendar, else every day). Run by ``sweep.sweep``
  (:mod:`deskui.services.auto_close`).

Routing by suggestion (issue 16.2): a ticket opened without a group moves to the
trained model's group when the admin has set a confidence (``deskui route
auto-assign 0.8``, the ``routing_auto_assign_min_confidence`` setting) and the
model's calibrated confidence reaches it; then the assign rules apply as above.
Called from ``tickets.open_ticket`` (:mod:`deskui.services.routing_auto`).

Every effect is a ticket event whose actor is ``rule:NAME``.

Concurrency: an assignment decision locks the rule's cursor row for the group
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write transactions are already
serial) and claims the ticket with ``WHERE version = seen AND assignee_id IS NULL``,
so two analysts applying automation at once never assign a ticket twice, and
round robin never hands the same turn out twice.

This module is the rules' public face; each kind lives in its own module, rules
themselves (reading, seeding) in :mod:`deskui.services.automation_rules`.
"""

from __future__ import annotations

from deskui.services.assignment import AssignOutcome, apply_assignment, on_open, pick_analyst
from deskui.services.auto_close import auto_close, close_deadline
from deskui.services.automation_rules import (
    AssignRule, AutoCloseRule, EscalationRule, RuleInfo, RuleSet, list_rules, load_rules, rules, seed_rules,
)
from deskui.services.escalation import on_sla_refresh

__all__ = [
    "AssignRule", "EscalationRule", "AutoCloseRule", "RuleSet", "RuleInfo", "load_rules", "rules", "list_rules",
    "seed_rules", "pick_analyst", "on_open", "apply_assignment", "AssignOutcome", "on_sla_refresh", "auto_close",
    "close_deadline",
]
