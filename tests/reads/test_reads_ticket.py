"""The read side for one ticket (SQLite and PostgreSQL): the ticket view the screen
and `deskui ticket show` share, the operations panel, knowledge suggestions, the
dialogs' lists, routing, and a request's detail."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from deskui.errors import NotFound, ValidationError
from deskui.reads import directory, ops, requests as request_reads, routing, suggestions, ticket
from deskui.services import bulletins, knowledge, problems, requests, tickets
from deskui.services.actors import actor_for
from tests.conftest import SAMPLE


@pytest.fixture
def desk(org, frozen_now):
    return org


def me(engine, username="demo"):
    return actor_for(engine, username)


def incident(engine, subject="VPN drops every few minutes", **kw):
    kw.setdefault("category", "Network/VPN")
    return tickets.open_ticket(engine, me(engine), subject=subject, requester="ana.ruiz@northwind.example", **kw)


# ------------------------------------------------------------------ the ticket view

def test_ticket_view_holds_the_ticket_its_thread_history_sla_and_matrix(desk):
    t = incident(desk, impact="high", urgency="medium")
    tickets.add_comment(desk, me(desk, "akhan"), t.id, "Looking at it.")
    tickets.add_comment(desk, me(desk, "akhan"), t.id, "Gateway resets.", internal=True)
    view = ticket.ticket_view(desk, t.id)
    assert view.ticket.id == t.id and view.ticket.subject == t.subject
    assert [(c.visibility, c.body) for c in view.comments] == [("public", "Looking at it."),
                                                                ("internal", "Gateway resets.")]
    assert [e.kind for e in view.events][0] == "created"
    assert view.last_event_id == view.events[-1].id == ticket.last_event_id(desk, t.id)
    assert view.sla is not None and view.sla_lines[0].startswith(f"#{t.id}: policy P2")
    assert any(line.startswith("response:") for line in view.sla_lines)
    assert view.matrix.priority("high", "medium") == view.ticket.priority == 2
    assert view.from_requester == frozenset()
    with pytest.raises(NotFound, match="ticket #999999 not found"):
        ticket.ticket_view(desk, 999999)


def test_ticket_show_prints_the_ticket_view(desk, tmp_path, monkeypatch):
    """`deskui ticket show` reads the same view the screen shows: its JSON is the view's
    ticket, comments and events."""
    if desk.dialect.name != "sqlite":
        pytest.skip("the CLI opens its database by URL; the SQLite leg is enough")
    from deskui.cli.main import app
    from deskui.cli.common import reset_state

    t = incident(desk)
    tickets.add_comment(desk, me(desk), t.id, "[b]not bold[/b]")
    reset_state()
    result = CliRunner().invoke(app, ["--db", str(desk.url.database), "--as", "demo", "ticket", "show", str(t.id),
                                      "--format", "json"])
    reset_state()
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    view = ticket.ticket_view(desk, t.id)
    assert shown["subject"] == view.ticket.subject and shown["version"] == view.ticket.version
    assert [c["body"] for c in shown["comments"]] == [c.body for c in view.comments] == ["[b]not bold[/b]"]
    assert [e["id"] for e in shown["events"]] == [e.id for e in view.events]


# ------------------------------------------------------------------ the operations panel

def test_ops_view_shows_problem_known_error_bulletin_and_routing(desk, frozen_now):
    seed = incident(desk, subject="Scanner will not sync with NorthTrack", ci="zebra-tc52-044")
    p = problems.create_problem(desk, me(desk), "NorthTrack sync fails", incidents=[seed.id],
                                workaround="Clear the app cache")
    problems.set_status(desk, me(desk), p.id, "known_error")
    new = incident(desk, subject="Handheld frozen", ci="zebra-tc52-044")
    b = bulletins.post(desk, me(desk, "dokafor"), "NorthTrack outage", ends_at=frozen_now + timedelta(hours=2))
    bulletins.link(desk, me(desk), b.id, new.id)

    view = ops.ops_view(desk, new.id)
    assert (view.ticket_id, view.ticket_type, view.status) == (new.id, "incident", "new")
    assert view.problem is None and view.request is None
    assert [m.problem_id for m in view.known_errors] == [p.id] and view.known_errors[0].workaround
    assert [x.id for x in view.bulletins] == [b.id]
    assert view.routing is None  # it has its category and group
    assert view.event_mark == ticket.last_event_id(desk, new.id) and not view.empty

    linked = ops.ops_view(desk, seed.id)
    assert linked.problem is not None and linked.problem.id == p.id and linked.known_errors == ()


def test_ops_view_routes_a_ticket_with_no_category(desk):
    done = incident(desk, subject="VPN drops at home")
    tickets.resolve(desk, me(desk), done.id, code="solved", notes="Pinned the gateway")
    new = tickets.open_ticket(desk, me(desk), subject="VPN keeps dropping", requester="x@northwind.example")
    view = ops.ops_view(desk, new.id)
    assert view.routing is not None and [e.id for e in view.routing.evidence] == [done.id]
    assert view.routing.categories[0].name == "Network/VPN"
    with pytest.raises(NotFound):
        ops.ops_view(desk, 999999)


def test_ops_view_of_a_request(desk):
    requests.seed_catalog(desk, SAMPLE / "catalog.toml")
    t = requests.submit(desk, me(desk), "laptop", requester="kim@northwind.example",
                        answers={"model": "standard", "reason": "broken"})
    view = ops.ops_view(desk, t.id)
    assert view.request is not None and view.request.approval == "pending" and view.request.progress == "0/4"
    detail = request_reads.request_detail(desk, t.id)
    assert detail.ticket.id == t.id and detail.request == view.request
    plain = incident(desk)
    with pytest.raises(ValidationError, match=f"ticket #{plain.id} is not a catalogue request"):
        request_reads.request_detail(desk, plain.id)
    with pytest.raises(NotFound):
        request_reads.request_detail(desk, 999999)


# ------------------------------------------------------------------ knowledge and routing

def test_suggestions_list_linked_articles_apart_from_suggested_ones(desk):
    knowledge.import_path(desk, SAMPLE / "kb")
    t = incident(desk, subject="GlobalProtect VPN gateway not responding",
                 description="GlobalProtect says the gateway is not responding.")
    found = suggestions.suggestions(desk, t.id)
    assert found.articles and found.linked == () and found.event_mark == ticket.last_event_id(desk, t.id)
    best = found.articles[0]
    knowledge.link_article(desk, best.id, t.id, "demo")
    again = suggestions.suggestions(desk, t.id)
    assert [link.article_id for link in again.linked] == [best.id]
    assert best.id not in [hit.id for hit in again.articles]
    assert again.event_mark > found.event_mark
    assert suggestions.suggestions(desk, 999999).articles == ()


def test_routing_for_a_ticket_leaves_the_ticket_out(desk):
    first = incident(desk, subject="VPN drops at home")
    tickets.resolve(desk, me(desk), first.id, code="solved", notes="Pinned the gateway")
    second = incident(desk, subject="VPN drops at home again")
    tickets.resolve(desk, me(desk), second.id, code="solved", notes="Pinned the gateway")
    got = routing.suggest_for_ticket(desk, second.id)
    assert [e.id for e in got.evidence] == [first.id]
    assert got.groups[0].name == "Network Operations" and got.groups[0].share == 1.0
    assert routing.suggest(desk, "the the the").empty
    with pytest.raises(NotFound):
        routing.suggest_for_ticket(desk, 999999)


# ------------------------------------------------------------------ the dialogs' lists

def test_directory_lists_for_the_dialogs(desk):
    t = incident(desk)
    groups = directory.groups(desk)
    assert groups and [g.tier for g in groups] == sorted(g.tier for g in groups)
    choices = directory.assign_choices(desk, t.group_id)
    assert choices.groups == tuple(groups)
    members = [m.username for m in choices.members]
    assert members and members == [m.username for m in directory.members_of_group(desk, t.group)]
    everyone = directory.members_of_group(desk, None)
    assert set(members) < {m.username for m in everyone}
    assert directory.members_of_group(desk, "no such group") == everyone
    canned = directory.canned_choices(desk, me(desk).id)
    assert canned.analyst_email.endswith("@northwind.example")
    assert [c.name for c in canned.templates] == sorted(c.name for c in canned.templates)
    assert directory.canned_choices(desk, None).analyst_email == ""
