"""Knowledge-base figures and the article list shown before a query, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from deskui import clock
from deskui.services import knowledge as kb
from deskui.store import kb_queries as kbq
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.store.db import session_scope
from deskui.store.kb_queries import browse_articles, kb_figures

from tests.conftest import FROZEN, SAMPLE


def _ticket(engine, subject: str, *, resolve_at=None):
    demo = actor_for(engine, "demo")
    with clock.frozen(FROZEN - timedelta(days=10)):
        ticket = svc.open_ticket(engine, demo, subject=subject, requester="ana.ruiz@northwind.example",
                                 category="Network/VPN", impact="low", urgency="low")
    if resolve_at is not None:
        with clock.frozen(resolve_at):
            svc.resolve(engine, demo, ticket.id, code="solved", notes="done")
    return ticket


def test_figures_count_articles_views_votes_links_and_resolved_with_an_article(org):
    engine = org
    with clock.frozen(FROZEN - timedelta(days=20)):
        kb.import_path(engine, Path(SAMPLE) / "kb")
    with session_scope(engine) as s:
        empty = kb_figures(s)
    assert (empty.articles, empty.drafts, empty.views, empty.links, empty.resolved) == (46, 2, 0, 0, 0)
    assert empty.resolved_with_article_share is None

    early = _ticket(engine, "VPN drops", resolve_at=FROZEN - timedelta(days=8))
    late = _ticket(engine, "Printer jam", resolve_at=FROZEN - timedelta(days=2))
    _ticket(engine, "Mailbox full", resolve_at=FROZEN - timedelta(days=2))
    still_open = _ticket(engine, "Teams audio")
    with session_scope(engine) as s:
        vpn, printer = kbq.get_article_by_external_id(s, "KB0002"), kbq.get_article_by_external_id(s, "KB0011")
    with clock.frozen(FROZEN - timedelta(days=7)):
        kb.link_article(engine, vpn.id, early.id, "demo")
        kb.link_article(engine, printer.id, early.id, "demo")  # two links, one ticket
    with clock.frozen(FROZEN - timedelta(days=1)):
        kb.link_article(engine, printer.id, late.id, "demo")
        kb.link_article(engine, vpn.id, still_open.id, "demo")  # not resolved: no share
    for _ in range(3):
        kb.record_view(engine, vpn.id)
    kb.vote(engine, vpn.id, True)
    kb.vote(engine, printer.id, False)

    with session_scope(engine) as s:
        every = kb_figures(s)
        week = kb_figures(s, since=FROZEN - timedelta(days=5), until=FROZEN)
    assert (every.views, every.helpful, every.not_helpful) == (3, 1, 1)
    assert (every.links, every.linked_tickets) == (4, 3)
    assert (every.resolved, every.resolved_with_article) == (3, 2)
    assert abs(every.resolved_with_article_share - 2 / 3) < 1e-9
    # In the last five days: two resolutions (one with an article), two links.
    assert (week.links, week.linked_tickets, week.resolved, week.resolved_with_article) == (2, 2, 2, 1)
    assert week.views == 3  # counters are totals, never bounded by a period


def test_browse_lists_most_viewed_first_and_can_leave_drafts_out(org):
    engine = org
    kb.import_path(engine, Path(SAMPLE) / "kb")
    with session_scope(engine) as s:
        mfa = kbq.get_article_by_external_id(s, "KB0006")
        draft = kbq.get_article_by_external_id(s, "KB0039")
    kb.record_view(engine, mfa.id)
    kb.record_view(engine, mfa.id)
    kb.record_view(engine, draft.id)
    with session_scope(engine) as s:
        listed = browse_articles(s, limit=100)
        published = browse_articles(s, include_drafts=False, limit=5)
    assert [h.external_id for h in listed[:2]] == ["KB0006", "KB0039"]
    assert listed[0].score == 2 and listed[0].snippet and "\n" not in listed[0].snippet
    assert len(listed) == 46
    rest = [h.title for h in listed[2:]]
    assert rest == sorted(rest)
    assert len(published) == 5 and all(h.status == "published" for h in published)
    assert published[0].external_id == "KB0006"
