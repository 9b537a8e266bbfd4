"""Unsent drafts (issue 15.1): kept in the database per analyst, ticket and kind
until sent or discarded, so they survive leaving the ticket and restarting."""

from __future__ import annotations

import pytest

from deskui.errors import NotFound, ValidationError
from deskui.reads.drafts import ticket_drafts
from deskui.services import tickets as svc
from deskui.services.actors import actor_for, system_actor
from deskui.services.drafts import DRAFT_KINDS, discard_draft, save_draft


@pytest.fixture
def desk(org, frozen_now):
    return org


def a_ticket(engine):
    return svc.open_ticket(engine, actor_for(engine, "demo"), subject="VPN drops",
                           requester="ana.ruiz@northwind.example").id


def test_a_kept_draft_is_read_back_per_analyst_and_kind(desk):
    tid = a_ticket(desk)
    demo, akhan = actor_for(desk, "demo"), actor_for(desk, "akhan")
    save_draft(desk, demo, tid, "compose", {"body": "half \\\\nw-print01 [b]x[/b]", "internal": False})
    save_draft(desk, demo, tid, "resolve", {"code": "workaround", "notes": "n"})
    save_draft(desk, akhan, tid, "compose", {"body": "theirs", "internal": True})
    assert ticket_drafts(desk, demo.id, tid) == {
        "compose": {"body": "half \\\\nw-print01 [b]x[/b]", "internal": False},
        "resolve": {"code": "workaround", "notes": "n"},
    }
    assert ticket_drafts(desk, akhan.id, tid) == {"compose": {"body": "theirs", "internal": True}}
    # Saving again replaces (one row per analyst, ticket and kind).
    save_draft(desk, demo, tid, "compose", {"body": "second", "internal": True})
    assert ticket_drafts(desk, demo.id, tid)["compose"] == {"body": "second", "internal": True}


def test_discard_forgets_only_that_draft(desk):
    tid = a_ticket(desk)
    demo = actor_for(desk, "demo")
    save_draft(desk, demo, tid, "compose", {"body": "x", "internal": False})
    save_draft(desk, demo, tid, "reopen", {"reason": "y"})
    assert discard_draft(desk, demo, tid, "compose") is True
    assert discard_draft(desk, demo, tid, "compose") is False
    assert ticket_drafts(desk, demo.id, tid) == {"reopen": {"reason": "y"}}
    assert ticket_drafts(desk, demo.id, tid + 1000) == {}


def test_bad_drafts_are_refused_in_one_line(desk):
    tid = a_ticket(desk)
    demo = actor_for(desk, "demo")
    with pytest.raises(ValidationError, match="draft kind 'bogus' is not one of " + ", ".join(DRAFT_KINDS)):
        save_draft(desk, demo, tid, "bogus", {})
    with pytest.raises(NotFound, match="ticket #9999 not found"):
        save_draft(desk, demo, 9999, "compose", {"body": "x"})
    with pytest.raises(ValidationError, match="drafts belong to an analyst"):
        save_draft(desk, system_actor("import"), tid, "compose", {"body": "x"})
    with pytest.raises(ValidationError, match="draft too long"):
        save_draft(desk, demo, tid, "compose", {"body": "x" * 200_001})
    assert ticket_drafts(desk, demo.id, tid) == {}
