"""Who may do what: the one permission table of the desk (DESIGN.md §3, issue 12).

Roles are ordered viewer < analyst < lead < admin; each action has a minimum role
and every role above it may do it too. Services check this table before they
write (so the CLI, the TUI, intake and rules agree), the TUI shows the keys an
actor may not use as unavailable, and the README's table is generated from it.

Pure: no I/O, no project imports but the domain.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from deskui.domain.enums import Role

RANK: dict[Role, int] = {role: n for n, role in enumerate(Role)}


class Action(StrEnum):
    # viewer: everything read
    READ = "read"
    # analyst: working tickets
    OPEN_TICKET = "open_ticket"
    TAKE = "take"
    REPLY = "reply"
    NOTE = "note"
    STATUS = "status"
    RATE = "rate"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    DRAFTS = "drafts"
    LINK = "link"
    PROBLEMS = "problems"
    REQUESTS = "requests"
    SURVEY = "survey"
    KNOWLEDGE = "knowledge"
    # lead
    BULLETINS = "bulletins"
    APPROVALS = "approvals"
    PRIORITY_OVERRIDE = "priority_override"
    REASSIGN = "reassign"
    TAKE_OTHERS = "take_others"
    CLOSE_OTHERS = "close_others"
    # admin
    SEED = "seed"
    IMPORT = "import"
    INTAKE = "intake"
    RULES = "rules"
    ANALYSTS = "analysts"
    CATALOGUE = "catalogue"
    SCHEMA = "schema"
    GENERATE = "generate"


class Permission(NamedTuple):
    minimum: Role
    doing: str  # the gerund phrase of a denial: "seeding groups needs admin"


PERMISSIONS: dict[Action, Permission] = {
    Action.READ: Permission(Role.VIEWER, "reading the desk (every screen, list, report and export)"),
    Action.OPEN_TICKET: Permission(Role.ANALYST, "opening a ticket"),
    Action.TAKE: Permission(Role.ANALYST, "taking an unassigned ticket (or giving back your own)"),
    Action.REPLY: Permission(Role.ANALYST, "replying to a requester"),
    Action.NOTE: Permission(Role.ANALYST, "adding an internal note"),
    Action.STATUS: Permission(Role.ANALYST, "changing a ticket's status"),
    Action.RATE: Permission(Role.ANALYST, "changing a ticket's impact or urgency"),
    Action.ESCALATE: Permission(Role.ANALYST, "escalating a ticket"),
    Action.RESOLVE: Permission(Role.ANALYST, "resolving a ticket"),
    Action.REOPEN: Permission(Role.ANALYST, "reopening a ticket"),
    Action.DRAFTS: Permission(Role.ANALYST, "saving drafts (replies, notes, articles from tickets)"),
    Action.LINK: Permission(Role.ANALYST, "linking tickets to articles and bulletins"),
    Action.PROBLEMS: Permission(Role.ANALYST, "working problems"),
    Action.REQUESTS: Permission(Role.ANALYST, "submitting and fulfilling requests"),
    Action.SURVEY: Permission(Role.ANALYST, "recording survey answers and article votes"),
    Action.KNOWLEDGE: Permission(Role.LEAD, "editing and publishing articles"),
    Action.BULLETINS: Permission(Role.LEAD, "posting and ending bulletins"),
    Action.APPROVALS: Permission(Role.LEAD, "approving or rejecting requests"),
    Action.PRIORITY_OVERRIDE: Permission(Role.LEAD, "overriding a ticket's priority"),
    Action.REASSIGN: Permission(Role.LEAD, "assigning a ticket to another analyst"),
    Action.TAKE_OTHERS: Permission(Role.LEAD, "taking another analyst's ticket"),
    Action.CLOSE_OTHERS: Permission(Role.LEAD, "closing or cancelling another analyst's ticket"),
    Action.SEED: Permission(Role.ADMIN, "seeding"),
    Action.IMPORT: Permission(Role.ADMIN, "importing tickets and articles"),
    Action.INTAKE: Permission(Role.ADMIN, "running intake (e-mail, alerts)"),
    Action.RULES: Permission(Role.ADMIN, "changing automation rules"),
    Action.ANALYSTS: Permission(Role.ADMIN, "managing analysts and roles"),
    Action.CATALOGUE: Permission(Role.ADMIN, "changing the request catalogue"),
    Action.SCHEMA: Permission(Role.ADMIN, "migrating the schema"),
    Action.GENERATE: Permission(Role.ADMIN, "generating synthetic history"),
}

# Actions whose meaning depends on whose ticket it is (see ticket_action).
_ON_OTHERS = {Action.TAKE: Action.TAKE_OTHERS}


def role_of(value: str | Role) -> Role:
    """A Role from its name; ValueError names the allowed values."""
    try:
        return Role(str(value).strip().lower())
    except ValueError:
        raise ValueError(f"role: {value!r} is not one of {', '.join(r.value for r in Role)}") from None


def minimum(action: Action | str) -> Role:
    return PERMISSIONS[Action(action)].minimum


def may(role: str | Role, action: Action | str) -> bool:
    """Whether ``role`` may do ``action``. An unknown role may do nothing."""
    try:
        rank = RANK[Role(role)]
    except ValueError:
        return False
    return rank >= RANK[minimum(action)]


def ticket_action(action: Action, actor_id: int | None, assignee_id: int | None) -> Action:
    """The action as the table sees it on one ticket: taking a ticket assigned to
    another analyst is taking another analyst's ticket."""
    others = assignee_id is not None and assignee_id != actor_id
    return _ON_OTHERS.get(action, action) if others else action


def closing_action(actor_id: int | None, assignee_id: int | None) -> Action:
    """Closing or cancelling: the actor's own or an unassigned ticket is status work;
    another analyst's is a lead's."""
    others = assignee_id is not None and assignee_id != actor_id
    return Action.CLOSE_OTHERS if others else Action.STATUS


def assign_action(actor_id: int | None, current_id: int | None, new_id: int | None) -> Action:
    """Assigning: yourself to an unassigned or your own ticket, or giving your own
    back, is taking; anything else moves work between analysts."""
    if current_id is not None and current_id != actor_id:
        return Action.TAKE_OTHERS if new_id == actor_id else Action.REASSIGN
    if new_id is None or new_id == actor_id:
        return Action.TAKE
    return Action.REASSIGN


def _article(role: str) -> str:
    return f"an {role}" if role[:1] in "aeiou" else f"a {role}"


def denial(username: str, role: str | Role, action: Action | str, what: str = "") -> str:
    """``permission denied: alice is an analyst; seeding groups needs admin``."""
    permission = PERMISSIONS[Action(action)]
    doing = f"{permission.doing} {what}".strip() if what else permission.doing
    return f"permission denied: {username} is {_article(str(getattr(role, 'value', role)))}; {doing} needs {permission.minimum.value}"


def table_rows() -> list[tuple[str, str, str]]:
    """(action, what it covers, minimum role), least role first, in table order."""
    ordered = sorted(PERMISSIONS.items(), key=lambda item: RANK[item[1].minimum])
    return [(action.value, permission.doing, permission.minimum.value) for action, permission in ordered]


def markdown_table() -> str:
    """The permission table as the README shows it."""
    lines = ["| action | what it covers | minimum role |", "|---|---|---|"]
    lines += [f"| `{action}` | {doing} | {role} |" for action, doing, role in table_rows()]
    return "\n".join(lines)
