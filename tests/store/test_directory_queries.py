"""Pickers' read queries: group members with their open load, groups, canned responses."""

from __future__ import annotations

from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.store.db import session_scope
from deskui.store.directory_queries import group_members_with_load, groups


def test_members_with_open_load_least_loaded_first(org, frozen_now):
    demo = actor_for(org, "demo")
    with session_scope(org) as s:
        desk_group = next(g for g in groups(s) if g.name == "Service Desk")
        before = {m.username: m.open_count for m in group_members_with_load(s, desk_group.id)}
    assert {"demo", "akhan"} <= set(before)
    assert set(before.values()) == {0}
    kw = dict(subject="x", requester="a@example.com", group="Service Desk")
    for _ in range(2):
        svc.open_ticket(org, demo, assignee="akhan", **kw)
    done = svc.open_ticket(org, demo, assignee="akhan", **kw)
    svc.resolve(org, demo, done.id, code="solved", notes="ok")  # resolved tickets are not load
    svc.open_ticket(org, demo, assignee="demo", **kw)
    with session_scope(org) as s:
        members = group_members_with_load(s, desk_group.id)
        everyone = group_members_with_load(s, None)
    load = {m.username: m.open_count for m in members}
    assert load["akhan"] == 2 and load["demo"] == 1
    counts = [m.open_count for m in members]
    assert counts == sorted(counts)
    assert members[-1].username == "akhan"
    # Members of other groups are not listed for this group, but are for everyone.
    assert len(everyone) > len(members)
    assert set(load) < {m.username for m in everyone}
