"""Service requests on SQLite and PostgreSQL: the catalogue, approval before
fulfilment, SLA from approval, the checklist and fulfilment."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from deskui.errors import ConflictError, NotFound, ValidationError
from deskui.services import automation, requests as svc, tickets
from deskui.services.actors import actor_for
from deskui.store.db import session_scope
from deskui.store.models import Comment
from deskui.store.tickets import events, ticket_record

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
LAPTOP = {"model": "standard", "reason": "replacement"}


@pytest.fixture
def desk(org, frozen_now):
    svc.seed_catalog(org, SAMPLE / "catalog.toml")
    return org


def me(engine, username="demo"):
    return actor_for(engine, username)


def laptop(engine, **kw):
    args = dict(requester="kim.lee@northwind.example", answers=LAPTOP)
    args.update(kw)
    return svc.submit(engine, me(engine), "laptop", **args)


def record(engine, ticket_id):
    with session_scope(engine) as s:
        return ticket_record(s, ticket_id)


def history(engine, ticket_id):
    with session_scope(engine) as s:
        return events(s, ticket_id)


# ------------------------------------------------------------------ catalogue

def test_seed_catalog_idempotent_and_deactivates_removed(desk, tmp_path):
    items = {i.key: i for i in svc.catalog(desk)}
    assert set(items) == {"laptop", "software", "shared-drive-access", "vpn-route", "guest-wifi"}
    assert items["laptop"].group == "Desktop Support" and items["laptop"].approvers == ("dokafor",)
    assert items["guest-wifi"].group == "Service Desk"  # explicit group over the category's
    assert [f.name for f in items["laptop"].fields] == ["model", "reason", "site"]
    assert items["laptop"].fields[0].choices == ("standard", "performance") and items["laptop"].fields[0].required
    again = svc.seed_catalog(desk, SAMPLE / "catalog.toml")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    one = tmp_path / "c.toml"
    one.write_text('[[item]]\nkey = "software"\nname = "Software"\ncategory = "Software/Installation Request"\n')
    svc.seed_catalog(desk, one)
    assert [i.key for i in svc.catalog(desk)] == ["software"]
    assert len(svc.catalog(desk, include_inactive=True)) == 5


@pytest.mark.parametrize("body, message", [
    ('key = "x"\nname = "X"\ngroup = "Nowhere"\n', r"c.toml:4: item\[1\].group: unknown group 'Nowhere'"),
    ('key = "x"\nname = "X"\ngroup = "Service Desk"\napprovers = ["ghost"]\n', r":5: .*unknown analyst 'ghost'"),
    ('key = "x"\nname = "X"\n', r"a fulfilment group is needed"),
    ('key = "X Y"\nname = "X"\ngroup = "Service Desk"\n', r":2: .*'X Y' must be lowercase"),
    ('key = "x"\nname = "X"\ngroup = "Service Desk"\napproval = "most"\n', r"'most' is not one of any, all"),
    ('key = "x"\nname = "X"\ngroup = "Service Desk"\nimpact = "huge"\n', r"'huge' is not one of high, medium, low"),
])
def test_bad_catalogue_files(desk, tmp_path, body, message):
    bad = tmp_path / "c.toml"
    bad.write_text("[[item]]\n" + body)
    with pytest.raises(ValidationError, match=message):
        svc.seed_catalog(desk, bad)
    assert len(svc.catalog(desk)) == 5


# ------------------------------------------------------------------ submit and approve

def test_request_waits_for_approval_with_no_group_and_no_clock(desk):
    t = laptop(desk, answers={**LAPTOP, "site": "Tilbury"}, details="My current one has a cracked screen")
    assert t.type == "request" and t.status == "new" and t.priority == 4
    assert t.group == "" and t.assignee == ""
    assert t.response_due_at is None and t.resolution_due_at is None
    assert "Model: standard" in t.description and "Collect at: Tilbury" in t.description
    assert t.description.startswith("My current one has a cracked screen")
    view = svc.request_view(desk, t.id)
    assert view.approval == "pending" and [a.approver for a in view.approvals] == ["dokafor"]
    assert view.progress == "0/4" and view.answers[0] == ("model", "Model", "standard")
    assert [(e.kind, e.field, e.new) for e in history(desk, t.id)] == [
        ("created", "", ""), ("approval", "approval", "requested")]
    assert [p.ticket_id for p in svc.pending_approvals(desk, "dokafor")] == [t.id]
    assert svc.pending_approvals(desk, "akhan") == []


@pytest.mark.parametrize("answers, message", [
    ({"model": "standard"}, "required field\\(s\\) missing: reason"),
    ({**LAPTOP, "model": "gaming"}, "'gaming' is not one of standard, performance"),
    ({**LAPTOP, "colour": "red"}, "'colour' is not a field of laptop; fields: model, reason, site"),
])
def test_answers_are_checked(desk, answers, message):
    with pytest.raises(ValidationError, match=message):
        laptop(desk, answers=answers)
    with pytest.raises(NotFound, match="items: guest-wifi, laptop"):
        svc.submit(desk, me(desk), "yacht", requester="a@northwind.example")


def test_approval_moves_to_fulfilment_group_and_starts_the_sla(desk, frozen_now):
    automation.seed_rules(desk, SAMPLE / "rules.toml")
    t = laptop(desk)
    with pytest.raises(ValidationError, match="demo is not an approver of request .*approvers: dokafor"):
        svc.approve(desk, me(desk), t.id)
    approved_at = frozen_now + timedelta(hours=2)  # Monday 11:00
    a = svc.approve(desk, me(desk, "dokafor"), t.id, comment="OK, budget code 4410", at=approved_at)
    assert a.group == "Desktop Support" and a.tier == 2
    assert a.assignee in ("dokafor", "ekowalska", "tbrennan") and a.status == "open"  # the assign rule applied
    # P4 request: response 960 business minutes on Service Desk hours (07-23): from approval, not creation.
    assert a.response_due_at == datetime(2026, 11, 17, 11, 0)
    view = svc.request_view(desk, t.id)
    assert view.approval == "approved" and view.decided_by == "dokafor" and view.decided_at == approved_at
    assert view.approvals[0].comment == "OK, budget code 4410"
    kinds = [(e.actor, e.kind, e.field, e.new) for e in history(desk, t.id)]
    assert ("dokafor", "approval", "approver", "approved") in kinds
    assert ("dokafor", "approval", "approval", "approved") in kinds
    assert ("dokafor", "group", "group", "Desktop Support") in kinds
    assert any(actor.startswith("rule:") and kind == "assigned" for actor, kind, _, _ in kinds)
    with pytest.raises(ValidationError, match="is approved; nothing to approve"):
        svc.approve(desk, me(desk, "dokafor"), t.id)


def test_all_mode_needs_every_approver(desk):
    t = svc.submit(desk, me(desk), "vpn-route", requester="a@northwind.example",
                   answers={"domain": "carrier.example", "business_reason": "bookings"})
    after_one = svc.approve(desk, me(desk, "hlindqvist"), t.id)
    assert after_one.group == "" and svc.request_view(desk, t.id).approval == "pending"
    with pytest.raises(ValidationError, match="hlindqvist already approved"):
        svc.approve(desk, me(desk, "hlindqvist"), t.id)
    assert [p.approvers for p in svc.pending_approvals(desk)] == [("falsayed",)]
    done = svc.approve(desk, me(desk, "falsayed"), t.id)
    assert done.group == "Network Operations" and svc.request_view(desk, t.id).approval == "approved"


def test_reject_needs_a_comment_and_cancels_with_a_public_reply(desk):
    t = laptop(desk)
    with pytest.raises(ValidationError, match="say why"):
        svc.reject(desk, me(desk, "dokafor"), t.id, comment=" ")
    r = svc.reject(desk, me(desk, "dokafor"), t.id, comment="Replacement is due next quarter")
    assert r.status == "cancelled" and r.group == ""
    assert svc.request_view(desk, t.id).approval == "rejected"
    with session_scope(desk) as s:
        public = s.scalars(select(Comment).where(Comment.ticket_id == t.id)).all()
    assert [(c.visibility, c.body) for c in public] == [
        ("public", "Request rejected by Daniel Okafor: Replacement is due next quarter")]
    with pytest.raises(ValidationError, match="rejected"):
        svc.tick(desk, me(desk, "dokafor"), t.id, 1)
    assert svc.pending_approvals(desk) == []


def test_two_approvers_at_once_approve_once(desk):
    t = svc.submit(desk, me(desk), "shared-drive-access", requester="a@northwind.example",
                   answers={"path": r"\\fs01\finance", "access": "read"})
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(user):
        actor = me(desk, user)
        barrier.wait()
        try:
            svc.approve(desk, actor, t.id)
            outcomes.append("ok")
        except (ValidationError, ConflictError) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=work, args=(u,)) for u in ("hlindqvist", "falsayed")]
    [th.start() for th in threads]
    [th.join() for th in threads]
    assert outcomes.count("ok") == 1
    overall = [e for e in history(desk, t.id) if e.kind == "approval" and e.field == "approval" and e.new == "approved"]
    assert len(overall) == 1
    assert record(desk, t.id).group == "Identity & Access"


# ------------------------------------------------------------------ checklist and fulfilment

def test_checklist_opens_after_approval_and_fulfil_needs_every_step(desk):
    t = laptop(desk)
    with pytest.raises(ValidationError, match="awaiting approval|pending; the checklist opens"):
        svc.tick(desk, me(desk, "dokafor"), t.id, 1)
    svc.approve(desk, me(desk, "dokafor"), t.id)
    with pytest.raises(ValidationError, match="step 9 does not exist .*steps 1-4"):
        svc.tick(desk, me(desk), t.id, 9)
    for step in (1, 2, 3):
        svc.tick(desk, me(desk, "ekowalska"), t.id, step)
    with pytest.raises(ValidationError, match="step\\(s\\) 4 not done"):
        svc.fulfil(desk, me(desk, "ekowalska"), t.id)
    svc.tick(desk, me(desk, "ekowalska"), t.id, 2, done=False)
    assert svc.request_view(desk, t.id).progress == "2/4"
    for step in (2, 4):
        svc.tick(desk, me(desk, "ekowalska"), t.id, step)
    view = svc.request_view(desk, t.id)
    assert view.checklist_done and view.checklist[0].done_by == "ekowalska"
    done = svc.fulfil(desk, me(desk, "ekowalska"), t.id)
    assert done.status == "resolved" and done.resolution_code == "fulfilled"
    assert done.resolution_notes.startswith("Fulfilled: Reserve a device from stock")
    ticks = [(e.field, e.new) for e in history(desk, t.id) if e.kind == "checklist"]
    assert ticks == [("step 1", "done"), ("step 2", "done"), ("step 3", "done"), ("step 2", ""),
                     ("step 2", "done"), ("step 4", "done")]


def test_item_without_approvers_goes_straight_to_its_group(desk, frozen_now):
    t = svc.submit(desk, me(desk), "software", requester="a@northwind.example", answers={"software": "Power BI"},
                   subject="Power BI Desktop please")
    assert t.subject == "Power BI Desktop please" and t.group == "Service Desk"
    assert t.response_due_at is not None  # the clock runs from creation
    assert svc.request_view(desk, t.id).approval == "not_required"
    svc.tick(desk, me(desk), t.id, 1)
    with pytest.raises(ValidationError, match="not a catalogue request"):
        svc.request_view(desk, tickets.open_ticket(desk, me(desk), subject="x", requester="a@northwind.example").id)


def test_sla_explanation_starts_at_approval(desk, frozen_now):
    from deskui.services.sla import explain_ticket

    t = laptop(desk)
    svc.approve(desk, me(desk, "dokafor"), t.id, at=frozen_now + timedelta(hours=1))
    status, lines = explain_ticket(desk, t.id, now=frozen_now + timedelta(hours=3))
    assert status.response.elapsed_seconds == 2 * 3600
