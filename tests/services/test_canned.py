"""Canned responses: placeholders filled from the ticket, the analyst and the group."""

from __future__ import annotations

import pytest

from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.canned import PLACEHOLDERS, render_canned
from deskui.store.db import session_scope
from deskui.store.directory_queries import analyst_record, canned_responses


@pytest.fixture
def desk(org, frozen_now):
    return org


def _ticket(engine, **kw):
    args = dict(subject="VPN drops every few minutes", requester="ana.ruiz@northwind.example",
                requester_name="Ana Ruiz", category="Network/VPN")
    args.update(kw)
    return svc.open_ticket(engine, actor_for(engine, "demo"), **args)


def test_every_placeholder_is_filled(desk):
    ticket = _ticket(desk)
    me = actor_for(desk, "akhan")
    body = " | ".join("{" + p + "}" for p in PLACEHOLDERS)
    out = render_canned(body, ticket, me, "Network Operations", analyst_email="amira.khan@northwind.example")
    assert out.split(" | ") == [
        "Ana Ruiz", "ana.ruiz@northwind.example", f"#{ticket.id}", "VPN drops every few minutes",
        "Amira Khan", "amira.khan@northwind.example", "Network Operations",
    ]


def test_group_defaults_to_the_ticket_group(desk):
    ticket = _ticket(desk)
    assert render_canned("{group.name}", ticket, actor_for(desk, "demo")) == ticket.group == "Network Operations"


def test_unknown_placeholders_and_format_syntax_are_left_as_typed(desk):
    ticket = _ticket(desk)
    body = "{requester.phone} {0} {} {ticket.__class__} {ticket.number.__class__} {{ticket.number}} {ticket.number!r}"
    out = render_canned(body, ticket, actor_for(desk, "demo"))
    # Only the one exact known placeholder inside the double braces is replaced.
    assert out == f"{{requester.phone}} {{0}} {{}} {{ticket.__class__}} {{ticket.number.__class__}} {{#{ticket.id}}} {{ticket.number!r}}"


def test_values_are_not_expanded_twice(desk):
    # A requester may call themselves "{analyst.email}": it is data, not a template.
    ticket = _ticket(desk, subject="{analyst.name} [bold]x[/]", requester="odd@example.com",
                     requester_name="{ticket.subject}")
    out = render_canned("{requester.name} / {ticket.subject}", ticket, actor_for(desk, "demo"))
    assert out == "{ticket.subject} / {analyst.name} [bold]x[/]"


def test_seeded_templates_render_without_leftover_known_placeholders(desk):
    ticket = _ticket(desk)
    me = actor_for(desk, "demo")
    with session_scope(desk) as session:
        templates = canned_responses(session)
        email = analyst_record(session, me.id).email
    assert len(templates) >= 5
    for template in templates:
        out = render_canned(template.body, ticket, me, analyst_email=email)
        for placeholder in PLACEHOLDERS:
            assert "{" + placeholder + "}" not in out, (template.name, placeholder)
    acknowledge = next(t for t in templates if t.name == "Acknowledge")
    assert "Hello Ana Ruiz," in render_canned(acknowledge.body, ticket, me)
