"""Suggestions that are confident about nothing (issue 15 item 13): below a floor of
shared, IDF-weighted words the desk says there is no good suggestion -- for routing
(category and group), suggested articles and similar tickets -- while real tickets
keep theirs. On the generated demo desk (SQLite) and on the routing history of
tests/reads/test_routing.py (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from test_routing import history  # noqa: F401  (the fixture)

from deskui.reads import routing
from deskui.reads.suggestions import suggestions
from deskui.services import tickets
from deskui.services.actors import actor_for
from deskui.services.demo import load_demo
from deskui.store.db import make_engine, upgrade

NONSENSE = ("Blorp the zibble frobnicator is wrong again",
            "The quindle went sideways on Tuesday, please help")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo desk as `deskui init --demo` makes it (2,000 tickets, the articles)."""
    path = tmp_path_factory.mktemp("floor") / "demo.db"
    engine = make_engine(str(path))
    upgrade(engine)
    load_demo(engine, tickets=2000, say=lambda _: None)
    yield engine
    engine.dispose()


def open_nonsense(engine):
    me = actor_for(engine, "demo")
    return tickets.open_ticket(engine, me, subject=NONSENSE[0], description=NONSENSE[1],
                               requester="kim@northwind.example")


def test_a_nonsense_ticket_gets_no_good_suggestion(demo):
    ticket = open_nonsense(demo)
    route = routing.suggest_for_ticket(demo, ticket.id)
    assert route.evidence, "the full-text ranking still finds neighbours (on 'wrong', 'tuesday')"
    assert route.weak and route.categories == () and route.groups == ()
    found = suggestions(demo, ticket.id)
    assert found.articles == () and found.weak_articles


def test_vpn_tickets_get_no_file_recovery_nor_printer_articles(demo):
    with demo.connect() as conn:
        vpn = [row[0] for row in conn.execute(text(
            "SELECT t.id FROM tickets t JOIN categories c ON c.id = t.category_id WHERE c.path = 'Network/VPN'"))]
    assert len(vpn) >= 5
    fitting = 0
    for ticket_id in vpn:
        titles = [hit.title for hit in suggestions(demo, ticket_id).articles]
        assert not [t for t in titles if "file" in t.lower() or "print" in t.lower()], (ticket_id, titles)
        fitting += any("VPN" in t or "GlobalProtect" in t for t in titles)
    # The VPN gateway's monitoring alerts have no fitting article ("no good suggestion"); the rest do.
    assert fitting >= len(vpn) // 2, (fitting, len(vpn))


def test_real_tickets_keep_their_routing(demo):
    """The floor drops nothing a real ticket had: its category is still suggested."""
    with demo.connect() as conn:
        rows = conn.execute(text("SELECT id FROM tickets WHERE category_id IS NOT NULL ORDER BY id DESC LIMIT 40"))
        ids = [row[0] for row in rows]
    weak = [i for i in ids if routing.suggest_for_ticket(demo, i).weak]
    assert weak == []


def test_nonsense_free_text_on_either_engine(history):  # noqa: F811
    engine, held_out = history
    got = routing.suggest(engine, "Blorp zibble frobnicator quindle, since Monday")
    assert got.evidence and got.weak and got.categories == ()
    for template, (subject, body) in held_out:
        real = routing.suggest(engine, f"{subject}\n{body}")
        assert not real.weak and real.categories, subject
