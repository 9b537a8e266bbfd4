"""The permission table (issue 12.2): every action has a minimum role, roles are
ordered viewer < analyst < lead < admin, and the denial is one line."""

from __future__ import annotations

import pytest

from deskui.domain.enums import Role
from deskui.domain.permissions import (
    PERMISSIONS, Action, assign_action, closing_action, denial, markdown_table, may, minimum, role_of, table_rows,
    ticket_action,
)

ORDER = [Role.VIEWER, Role.ANALYST, Role.LEAD, Role.ADMIN]

EXPECTED = {
    Role.VIEWER: {Action.READ},
    Role.ANALYST: {Action.OPEN_TICKET, Action.TAKE, Action.REPLY, Action.NOTE, Action.STATUS, Action.RATE,
                   Action.ESCALATE, Action.RESOLVE, Action.REOPEN, Action.DRAFTS, Action.LINK, Action.PROBLEMS,
                   Action.REQUESTS, Action.SURVEY},
    Role.LEAD: {Action.KNOWLEDGE, Action.BULLETINS, Action.APPROVALS, Action.PRIORITY_OVERRIDE, Action.REASSIGN,
                Action.TAKE_OTHERS, Action.CLOSE_OTHERS},
    Role.ADMIN: {Action.SEED, Action.IMPORT, Action.INTAKE, Action.RULES, Action.ANALYSTS, Action.CATALOGUE,
                 Action.SCHEMA, Action.GENERATE},
}


def test_roles_are_ordered_least_first():
    assert list(Role) == ORDER


def test_every_action_has_exactly_the_expected_minimum_role():
    assert set(PERMISSIONS) == set(Action)
    for role, actions in EXPECTED.items():
        for action in actions:
            assert minimum(action) is role, action
    assert set().union(*EXPECTED.values()) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", ORDER)
def test_a_role_may_what_its_rank_reaches_and_nothing_above(role, action):
    assert may(role, action) is (ORDER.index(role) >= ORDER.index(minimum(action)))
    assert may(role.value, action.value) is may(role, action)


def test_an_unknown_role_may_nothing():
    assert not any(may("root", action) for action in Action)
    assert not may("", Action.READ)


def test_role_of_names_the_allowed_values():
    assert role_of(" Lead ") is Role.LEAD
    with pytest.raises(ValueError, match="role: 'boss' is not one of viewer, analyst, lead, admin"):
        role_of("boss")


def test_the_denial_line():
    assert denial("alice", "analyst", Action.SEED, "groups") == \
        "permission denied: alice is an analyst; seeding groups needs admin"
    assert denial("wall", Role.VIEWER, Action.REPLY) == \
        "permission denied: wall is a viewer; replying to a requester needs analyst"
    assert denial("bob", "lead", Action.ANALYSTS) == \
        "permission denied: bob is a lead; managing analysts and roles needs admin"
    assert "\n" not in denial("x", "analyst", Action.CLOSE_OTHERS)


def test_whose_ticket_decides_take_close_and_assign():
    me, other = 1, 2
    assert ticket_action(Action.TAKE, me, None) is Action.TAKE
    assert ticket_action(Action.TAKE, me, me) is Action.TAKE
    assert ticket_action(Action.TAKE, me, other) is Action.TAKE_OTHERS
    assert ticket_action(Action.REPLY, me, other) is Action.REPLY
    assert closing_action(me, None) is Action.STATUS
    assert closing_action(me, me) is Action.STATUS
    assert closing_action(me, other) is Action.CLOSE_OTHERS
    assert assign_action(me, None, me) is Action.TAKE
    assert assign_action(me, me, None) is Action.TAKE
    assert assign_action(me, None, other) is Action.REASSIGN
    assert assign_action(me, me, other) is Action.REASSIGN
    assert assign_action(me, other, me) is Action.TAKE_OTHERS
    assert assign_action(me, other, None) is Action.REASSIGN


def test_the_table_lists_every_action_least_role_first():
    rows = table_rows()
    assert {r[0] for r in rows} == {a.value for a in Action}
    ranks = [ORDER.index(Role(r[2])) for r in rows]
    assert ranks == sorted(ranks)
    table = markdown_table().splitlines()
    assert table[0] == "| action | what it covers | minimum role |"
    assert len(table) == len(Action) + 2


def test_the_readme_table_is_the_domain_table():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- permissions:start -->\n", "\n<!-- permissions:end -->"
    assert start in readme and end in readme
    shown = readme.split(start, 1)[1].split(end, 1)[0]
    assert shown == markdown_table(), "README's permission table differs: paste markdown_table() between the markers"
