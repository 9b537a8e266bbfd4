"""Bulletins on SQLite and PostgreSQL: posting, expiry, ending early, links, the stamp."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskui.errors import NotFound, PermissionDenied, ValidationError
from deskui.reads import bulletins as reads
from deskui.services import bulletins as svc
from deskui.services import tickets
from deskui.services.actors import actor_for
from deskui.store.db import session_scope
from deskui.store.tickets import events, ticket_record

H = timedelta(hours=1)


@pytest.fixture
def desk(org, frozen_now):
    return org


def lead(engine):
    return actor_for(engine, "demo")  # role lead


def test_post_needs_a_lead_and_valid_values(desk, frozen_now):
    with pytest.raises(PermissionDenied, match="^permission denied: akhan is an analyst; posting and ending bulletins needs lead$"):
        svc.post(desk, actor_for(desk, "akhan"), "VPN down", ends_at=frozen_now + H)
    with pytest.raises(ValidationError, match="severity: 'huge' is not one of info, minor, major, critical"):
        svc.post(desk, lead(desk), "VPN down", ends_at=frozen_now + H, severity="huge")
    with pytest.raises(ValidationError, match="kind: 'rumour'"):
        svc.post(desk, lead(desk), "VPN down", ends_at=frozen_now + H, kind="rumour")
    with pytest.raises(ValidationError, match="must be after the start and in the future"):
        svc.post(desk, lead(desk), "VPN down", ends_at=frozen_now - H)
    with pytest.raises(ValidationError, match="title"):
        svc.post(desk, lead(desk), "  ", ends_at=frozen_now + H)


def test_active_ordering_expiry_and_schedule(desk, frozen_now):
    minor = svc.post(desk, lead(desk), "Printers slow in Tilbury", ends_at=frozen_now + 2 * H)
    major = svc.post(desk, lead(desk), "VPN gateway LON degraded", ends_at=frozen_now + H, severity="major",
                     body="Use the NYC gateway meanwhile.")
    change = svc.post(desk, lead(desk), "Exchange maintenance", kind="planned_change", severity="info",
                      starts_at=frozen_now + 3 * H, ends_at=frozen_now + 4 * H)
    assert [b.id for b in reads.active(desk, frozen_now)] == [major.id, minor.id]
    assert [b.id for b in reads.active(desk, frozen_now + 90 * timedelta(minutes=1))] == [minor.id]  # major expired
    assert [b.id for b in reads.active(desk, frozen_now + 3 * H)] == [change.id]
    assert reads.active(desk, frozen_now + 5 * H) == []
    assert {b.id for b in reads.not_over(desk, frozen_now)} == {minor.id, major.id, change.id}
    assert major.is_active(frozen_now) and not major.is_active(frozen_now + H)
    assert major.ref == f"BUL-{major.id}" and major.body == "Use the NYC gateway meanwhile."


def test_end_early_changes_the_stamp(desk, frozen_now):
    before = reads.stamp(desk)
    b = svc.post(desk, lead(desk), "Wi-Fi outage 4th floor", ends_at=frozen_now + 8 * H, severity="critical")
    posted = reads.stamp(desk)
    assert posted != before
    ended = svc.end(desk, lead(desk), b.id)  # same second as the post
    assert ended.ends_at == frozen_now and ended.ended_by == "demo"
    assert reads.stamp(desk) != posted
    assert reads.active(desk, frozen_now) == []
    with pytest.raises(ValidationError, match="already ended"):
        svc.end(desk, lead(desk), b.id)
    with pytest.raises(NotFound):
        svc.end(desk, lead(desk), 999)


def test_link_is_idempotent_and_in_the_ticket_history(desk, frozen_now):
    b = svc.post(desk, lead(desk), "VPN gateway LON degraded", ends_at=frozen_now + H, severity="major")
    t = tickets.open_ticket(desk, actor_for(desk, "akhan"), subject="VPN slow", requester="a@northwind.example")
    assert svc.link(desk, actor_for(desk, "akhan"), b.id, t.id) is True
    assert svc.link(desk, actor_for(desk, "akhan"), b.id, t.id) is False
    with session_scope(desk) as s:
        linked = [e for e in events(s, t.id) if e.kind == "linked"]
        assert ticket_record(s, t.id).version == t.version + 1
    assert [(e.actor, e.field, e.new) for e in linked] == [("akhan", "bulletin", b.ref)]
    found, ids = reads.get(desk, b.id)
    assert ids == [t.id] and found.linked == 1
    assert [x.id for x in reads.for_ticket(desk, t.id)] == [b.id]
    svc.unlink(desk, actor_for(desk, "akhan"), b.id, t.id)
    assert reads.for_ticket(desk, t.id) == []
    with pytest.raises(ValidationError, match="not linked"):
        svc.unlink(desk, actor_for(desk, "akhan"), b.id, t.id)
    with pytest.raises(NotFound, match="#4242"):
        svc.link(desk, lead(desk), b.id, 4242)


def test_list_and_parse_helpers(desk, frozen_now):
    old = svc.post(desk, lead(desk), "Old", ends_at=frozen_now + H, at=frozen_now - 2 * H, starts_at=frozen_now - 2 * H)
    svc.end(desk, lead(desk), old.id)
    current = svc.post(desk, lead(desk), "Now", ends_at=frozen_now + H)
    assert [b.id for b in reads.list_bulletins(desk)] == [current.id]
    assert [b.id for b in reads.list_bulletins(desk, include_ended=True)] == [current.id, old.id]
    assert svc.parse_duration("90m") == timedelta(minutes=90) and svc.parse_duration("2D") == timedelta(days=2)
    with pytest.raises(ValidationError, match="like 90m"):
        svc.parse_duration("soon")
    assert svc.parse_bulletin_ref("BUL-3") == 3 == svc.parse_bulletin_ref("3")
