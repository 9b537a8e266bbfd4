"""The read side for knowledge and problems (SQLite and PostgreSQL): what the
knowledge screen, the problems screen and `deskui kb search` / `deskui problem
...` list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskui.errors import NotFound, ValidationError
from deskui.reads import knowledge, problems
from deskui.services import knowledge as kb
from deskui.services import problems as problem_service
from deskui.services import tickets
from deskui.services.actors import actor_for
from tests.conftest import SAMPLE


@pytest.fixture
def desk(org, frozen_now):
    return org


def me(engine, username="demo"):
    return actor_for(engine, username)


def incident(engine, subject="VPN drops every few minutes", ci="", at=None, requester="ana.ruiz@northwind.example",
             **kw):
    kw.setdefault("category", "Network/VPN")
    return tickets.open_ticket(engine, me(engine), subject=subject, requester=requester, ci=ci, at=at, **kw)


# ------------------------------------------------------------------ knowledge

def test_find_articles_browses_without_a_query_and_ranks_with_one(desk):
    kb.import_path(desk, SAMPLE / "kb")
    browsed = knowledge.find_articles(desk, "  ", include_drafts=True)
    assert len(browsed) > 10 and any(hit.status == "draft" for hit in browsed)
    assert all(hit.status == "published" for hit in knowledge.find_articles(desk, "", include_drafts=False))
    ranked = knowledge.find_articles(desk, "globalprotect gateway", include_drafts=False)
    assert ranked and ranked[0].external_id == "KB0002"
    assert knowledge.MARK_START in ranked[0].snippet or ranked[0].snippet
    assert [h.id for h in knowledge.search_articles(desk, "globalprotect gateway", limit=3)] == \
        [h.id for h in ranked[:3]]
    assert knowledge.query_is_empty("!!! ?") and not knowledge.query_is_empty("vpn")


def test_article_detail_with_its_links_and_figures(desk):
    kb.import_path(desk, SAMPLE / "kb")
    t = incident(desk)
    vpn = knowledge.find_articles(desk, "globalprotect", include_drafts=False)[0]
    kb.link_article(desk, vpn.id, t.id, "demo")
    detail = knowledge.article_detail(desk, vpn.id)
    assert detail.article.external_id == vpn.external_id
    assert [(link.ticket_id, link.linked_by) for link in detail.linked] == [(t.id, "demo")]
    counted = kb.record_view(desk, vpn.id)
    again = knowledge.article_detail(desk, vpn.id, article=counted)
    assert again.article.views == 1 and again.linked == detail.linked
    assert knowledge.article(desk, vpn.id) == counted
    figures = knowledge.figures(desk)
    assert (figures.links, figures.linked_tickets, figures.views) == (1, 1, 1)
    with pytest.raises(NotFound):
        knowledge.article_detail(desk, 999999)


# ------------------------------------------------------------------ problems

def test_problem_list_detail_and_open_incidents(desk):
    a, b = incident(desk), incident(desk, subject="VPN disconnects")
    p = problem_service.create_problem(desk, me(desk), "VPN gateway drops tunnels", incidents=[a.id, b.id])
    tickets.resolve(desk, me(desk), a.id, code="solved", notes="Rebooted")
    listed = problems.list_problems(desk)
    assert [(x.id, x.incidents, x.open_incidents) for x in listed] == [(p.id, 2, 1)]
    assert problems.list_problems(desk, statuses=["resolved"]) == []
    with pytest.raises(ValidationError, match="status: 'done' is not one of new, investigating, known_error"):
        problems.list_problems(desk, statuses=["done"])
    detail = problems.problem_detail(desk, p.id)
    assert [i.id for i in detail.incidents] == [a.id, b.id]
    assert [e.kind for e in detail.events] == ["created", "linked", "linked"]
    assert detail.open_incident_ids == [b.id] == problems.open_incidents(desk, p.id)
    with pytest.raises(NotFound, match="problem PRB-999 not found"):
        problems.problem_detail(desk, 999)
    overview = problems.overview(desk)
    assert [x.id for x in overview.problems] == [p.id] and overview.candidates == ()


def test_candidates_and_known_errors(desk, frozen_now):
    day = timedelta(days=1)
    for i in range(4):  # same CI, different people: the CI is the key
        incident(desk, requester=f"user{i}@northwind.example", ci="vpn-gw-lon-01", at=frozen_now - (i * 3 + 1) * day)
    for i, subject in enumerate(["Label printer jams on dock 3", "label printers jam on Dock 3!",
                                 "Dock 3: label printer jams"]):
        incident(desk, subject=subject, requester=f"w{i}@northwind.example", category="Hardware/Peripherals",
                 at=frozen_now - (i + 2) * day)
    found = problems.candidates(desk, min_count=3)
    assert [(c.kind, c.key, c.count) for c in found][0] == ("ci", "ci vpn-gw-lon-01", 4)
    text = [c for c in found if c.kind == "text"]
    assert len(text) == 1 and text[0].count == 3 and "printer" in text[0].key and text[0].subject
    with pytest.raises(ValidationError, match="min_count"):
        problems.candidates(desk, min_count=1)

    seed = incident(desk, subject="Scanner will not sync with NorthTrack", ci="zebra-tc52-044")
    p = problem_service.create_problem(desk, me(desk), "NorthTrack sync fails after app update", incidents=[seed.id],
                                       workaround="Clear the NorthTrack app cache")
    same_ci = incident(desk, subject="Handheld frozen", ci="zebra-tc52-044")
    same_text = incident(desk, subject="scanner won't sync with northtrack")
    assert problems.known_errors(desk, same_ci.id) == []  # not a known error yet
    problem_service.set_status(desk, me(desk), p.id, "known_error")
    by_ci = problems.known_errors(desk, same_ci.id)
    assert [m.ref for m in by_ci] == [p.ref] and "zebra-tc52-044" in by_ci[0].reason
    assert [m.problem_id for m in problems.known_errors(desk, same_text.id)] == [p.id]
    with pytest.raises(NotFound):
        problems.known_errors(desk, 999999)
