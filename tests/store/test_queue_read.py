"""The queue's read side: default active filter, sorts, streaming ids."""

from __future__ import annotations

from datetime import timedelta

from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.store.queue import list_queue
from deskui.store.queue_live import iter_ids


def _open(engine, subject, **kw):
    return svc.open_ticket(engine, actor_for(engine, "demo"), subject=subject, requester="q@northwind.example", **kw)


def test_default_queue_is_active_tickets_by_sla_due(org, frozen_now):
    low = _open(org, "low", impact="low", urgency="low")
    high = _open(org, "high", impact="high", urgency="high")
    done = _open(org, "done")
    svc.resolve(org, actor_for(org, "demo"), done.id, code="solved", notes="ok")
    ids = [r.id for r in list_queue(org)]
    assert ids == [high.id, low.id]
    assert done.id in [r.id for r in list_queue(org, "status:resolved")]
    assert done.id in [r.id for r in list_queue(org, "sla:met")]
    assert [r.id for r in list_queue(org, include_inactive=True, sort="created")][0] == done.id


def test_sorts_and_streamed_ids_agree(org, frozen_now):
    made = [_open(org, f"t{i}", impact=("high", "medium", "low")[i % 3], urgency="medium",
                  at=frozen_now + timedelta(minutes=i)) for i in range(7)]
    for sort in ("sla", "priority", "updated", "created"):
        from deskui.store.queue import conditions

        where = conditions("", me_id=None, dialect_name=org.dialect.name)
        streamed = [i for batch in iter_ids(org, where, sort, batch=3) for i in batch]
        listed = [r.id for r in list_queue(org, sort=sort, limit=100)]
        assert streamed == listed and sorted(streamed) == sorted(t.id for t in made)
    by_priority = [r.priority for r in list_queue(org, sort="priority", limit=100)]
    assert by_priority == sorted(by_priority)


def test_a_negated_status_term_keeps_the_active_only_default(org, frozen_now):
    """Issue 15.4: `-status:pending` narrows the active tickets; it does not bring back closed ones."""
    demo = actor_for(org, "demo")
    fresh = _open(org, "account locked fresh")
    waiting = _open(org, "account locked waiting")
    svc.change_status(org, demo, waiting.id, "pending", pending_reason="awaiting_requester")
    done = _open(org, "account locked long ago")
    svc.resolve(org, demo, done.id, code="solved", notes="ok")
    svc.close(org, demo, done.id)
    assert [r.id for r in list_queue(org, '"account locked" -status:pending')] == [fresh.id]
    assert [r.id for r in list_queue(org, "-status:pending")] == [fresh.id]
    assert {r.id for r in list_queue(org, "-sla:met")} == {fresh.id, waiting.id}
    assert {r.id for r in list_queue(org, "-resolved:<7d")} == {fresh.id, waiting.id}
    # A positive term still replaces the default.
    assert [r.id for r in list_queue(org, "status:closed")] == [done.id]
    assert {r.id for r in list_queue(org, "status:open,closed -status:open")} == {done.id}


def test_the_label_says_which_statuses_are_shown():
    from deskui.reads.queue import shown_label

    assert shown_label("All open", "", "") == "All open"
    assert shown_label("All open", "", "vpn priority:1") == "All open, filtered"
    assert shown_label("All open", "", "-status:pending") == "Filtered: new, open"
    assert shown_label("All open", "", "status:resolved") == "Filtered: resolved"
    assert shown_label("All open", "", "status:resolved,closed -status:closed") == "Filtered: resolved"
    assert shown_label("All open", "", "resolved:<7d") == "Filtered: any status"
    assert shown_label("Pending", "status:pending", "vpn") == "Pending, filtered"
    assert shown_label("Pending", "status:pending", "-status:pending") == "Filtered: no status"
    assert shown_label("Recently resolved", "status:resolved,closed resolved:<7d", "-status:closed") == (
        "Filtered: resolved")
    # A filter that does not parse changes nothing yet.
    assert shown_label("All open", "", "status:opne") == "All open"
