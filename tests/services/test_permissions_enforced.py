"""The services enforce the permission table (issue 12.2): whoever calls them (CLI,
app, intake, rules), a role below the action's minimum gets PermissionDenied with
the one line, and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from deskui.errors import PermissionDenied
from deskui.services import bulletins, knowledge, problems, requests, survey
from deskui.services import tickets as svc
from deskui.services.actors import SYSTEM, Actor, rule_actor
from deskui.services.automation import seed_rules
from deskui.services.seed import seed_file
from deskui.store.db import session_scope
from deskui.store.models import Analyst, Comment, Ticket, TicketEvent
from tests.conftest import SAMPLE

def analyst(engine, username: str = "akhan") -> Actor:
    from deskui.services.actors import actor_for

    return actor_for(engine, username)


def counts(engine) -> tuple[int, int, int]:
    with session_scope(engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Ticket, Comment, TicketEvent))


@pytest.fixture
def desk(org, frozen_now):
    t = svc.open_ticket(org, SYSTEM, subject="VPN down", requester="kim@northwind.example")
    org.ticket_id = t.id
    with session_scope(org) as session:
        session.add(Analyst(username="wall", name="Wall Screen", email="wall@northwind.example", role="viewer"))
        session.commit()
    return org


CALLS = {
    "open": (lambda e, a, t: svc.open_ticket(e, a, subject="x", requester="k@example.com"),
             "opening a ticket needs analyst"),
    "reply": (lambda e, a, t: svc.add_comment(e, a, t, "hi"), "replying to a requester needs analyst"),
    "note": (lambda e, a, t: svc.add_comment(e, a, t, "hi", internal=True), "adding an internal note needs analyst"),
    "take": (lambda e, a, t: svc.take(e, a, t), "needs"),
    "status": (lambda e, a, t: svc.change_status(e, a, t, "pending", pending_reason="awaiting_requester"),
               "changing a ticket's status needs analyst"),
    "escalate": (lambda e, a, t: svc.escalate(e, a, t, reason="r", tier=2), "escalating a ticket needs analyst"),
    "resolve": (lambda e, a, t: svc.resolve(e, a, t, code="solved", notes="n"), "resolving a ticket needs analyst"),
    "rate": (lambda e, a, t: svc.change_priority(e, a, t, impact="high"), "needs analyst"),
    "problem": (lambda e, a, t: problems.create_problem(e, a, "P", incidents=[t]), "working problems needs analyst"),
    "request": (lambda e, a, t: requests.submit(e, a, "laptop", requester="k@example.com"),
                "submitting and fulfilling requests needs analyst"),
    "survey": (lambda e, a, t: survey.record_survey(e, t, 5, actor=a), "needs analyst"),
    "vote": (lambda e, a, t: knowledge.vote(e, 1, True, actor=a), "needs analyst"),
    "link article": (lambda e, a, t: knowledge.link_article(e, 1, t, a), "linking tickets to articles and bulletins"),
}


@pytest.mark.parametrize("name", list(CALLS))
def test_a_viewer_may_not_write(desk, name):
    call, needs = CALLS[name]
    before = counts(desk)
    with pytest.raises(PermissionDenied, match="^permission denied: wall is a viewer; ") as caught:
        call(desk, analyst(desk, "wall"), desk.ticket_id)
    assert needs in str(caught.value)
    assert counts(desk) == before


def test_lead_and_admin_work_is_refused_to_an_analyst_and_nothing_changes(desk, frozen_now, tmp_path):
    me, before = analyst(desk), counts(desk)
    refusals = [
        (lambda: svc.change_priority(desk, me, desk.ticket_id, priority=1, reason="VIP"),
         "akhan is an analyst; overriding a ticket's priority needs lead"),
        (lambda: svc.assign(desk, me, desk.ticket_id, "ekowalska"),
         "akhan is an analyst; assigning a ticket to another analyst needs lead"),
        (lambda: bulletins.post(desk, me, "VPN", ends_at=frozen_now + timedelta(hours=1)),
         "akhan is an analyst; posting and ending bulletins needs lead"),
        (lambda: seed_file(desk, "groups", SAMPLE / "groups.toml", actor=me),
         "akhan is an analyst; seeding groups needs admin"),
        (lambda: seed_rules(desk, SAMPLE / "rules.toml", actor=me),
         "akhan is an analyst; changing automation rules needs admin"),
        (lambda: requests.seed_catalog(desk, SAMPLE / "catalog.toml", actor=me),
         "akhan is an analyst; changing the request catalogue needs admin"),
        (lambda: knowledge.import_path(desk, SAMPLE / "kb", actor=me),
         "akhan is an analyst; importing tickets and articles needs admin"),
    ]
    for call, line in refusals:
        with pytest.raises(PermissionDenied) as caught:
            call()
        assert str(caught.value) == f"permission denied: {line}"
    assert counts(desk) == before


def test_close_and_cancel_of_another_analysts_ticket_is_a_leads(desk):
    akhan, ekowalska, lead = analyst(desk), analyst(desk, "ekowalska"), analyst(desk, "demo")
    svc.take(desk, akhan, desk.ticket_id)
    with pytest.raises(PermissionDenied, match="ekowalska is an analyst; closing or cancelling another analyst's"):
        svc.change_status(desk, ekowalska, desk.ticket_id, "cancelled")
    svc.add_comment(desk, ekowalska, desk.ticket_id, "working it with akhan", internal=True)  # an analyst's work
    assert svc.change_status(desk, akhan, desk.ticket_id, "pending", pending_reason="awaiting_requester").status == "pending"
    assert svc.change_status(desk, lead, desk.ticket_id, "cancelled").status == "cancelled"


def test_the_system_and_rules_act_as_admin(desk):
    assert rule_actor("auto-close").role == SYSTEM.role == "admin"
    assert seed_file(desk, "groups", SAMPLE / "groups.toml").unchanged  # the default actor is the system
