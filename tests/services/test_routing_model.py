"""The trained routing classifier (issue 16.2) on SQLite and PostgreSQL: `route
train` stores numeric arrays only (loaded with allow_pickle=False), suggestions
come from it with a calibrated confidence and none below its threshold, rules
route a new ticket by it only above the admin's confidence, --if-stale retrains
only when enough tickets were resolved, and nothing imports scikit-learn or
numpy before a model is used."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from sqlalchemy import select

from deskui.reads import routing
from deskui.reads import routing_evaluation as evaluation
from deskui.services import routing_auto, routing_training, tickets
from deskui.services.actors import actor_for
from deskui.store.db import session_scope
from deskui.store.models import Group, TicketEvent
from deskui.store.models_ops import RoutingModel
from tests.reads.test_routing import fill, templates


@pytest.fixture
def trained(org, frozen_now):
    me = actor_for(org, "demo")
    held_out = []
    for template in templates():
        subjects = template["subjects"]
        for i in range(len(subjects) - 1):
            subject, body = fill(template, i, f"User {i}")
            t = tickets.open_ticket(org, me, subject=subject, description=body, requester=f"u{i}@northwind.example",
                                    category=template["category"])
            tickets.resolve(org, me, t.id, code="solved", notes=template["resolution"])
        held_out.append((template, fill(template, len(subjects) - 1, "Someone Else")))
    outcome = routing_training.train(org, min_confidence=0.05)
    return org, held_out, outcome


def test_train_stores_numeric_arrays_that_load_without_pickle(trained):
    import numpy as np

    engine, _held, outcome = trained
    assert {m.target for m in outcome.models} == {"group", "category"}
    group = next(m for m in outcome.models if m.target == "group")
    assert group.labels >= 5 and group.trained_on > 30 and 0 < group.temperature < 5
    with session_scope(engine) as s:
        rows = {r.target: r for r in s.scalars(select(RoutingModel)).all()}
    blob = bytes(rows["group"].arrays)
    assert blob.startswith(b"\x93NUMPY")  # .npy records, not a pickle stream
    buf = io.BytesIO(blob)
    arrays = [np.load(buf, allow_pickle=False) for _ in range(6)]
    assert all(a.dtype in (np.float32, np.int32) for a in arrays)
    assert arrays[4].shape[1] == len(rows["group"].labels.split(","))
    assert buf.read() == b""


def test_suggestions_come_from_the_model_with_calibrated_confidence(trained):
    engine, held_out, _ = trained
    right = 0
    with session_scope(engine) as s:
        names = dict(s.execute(select(Group.id, Group.name)).all())
    from deskui.services.directory import category_by_path, routing_group_id

    for template, (subject, body) in held_out:
        got = routing.suggest(engine, f"{subject}\n{body}")
        assert got.source == "model"
        assert all(0 < g.share <= 1 for g in got.groups)
        assert [g.share for g in got.groups] == sorted((g.share for g in got.groups), reverse=True)
        with session_scope(engine) as s:
            want = names[routing_group_id(s, category_by_path(s, template["category"]))]
        right += bool(got.groups) and got.groups[0].name == want
    assert right >= len(held_out) - 2


def test_no_suggestion_below_the_threshold(trained):
    engine, held_out, _ = trained
    _template, (subject, body) = held_out[0]
    vague = "xqzzy frobnicate wibble"  # words no ticket has: the model has only its intercepts
    assert routing.suggest(engine, f"{subject}\n{body}").groups
    low = routing.suggest(engine, vague)
    assert low.groups and low.groups[0].share < 0.9
    routing_training.set_threshold(engine, 0.9)
    got = routing.suggest(engine, vague)
    assert got.source == "model" and got.groups == () and got.categories == ()


def test_rules_route_a_new_ticket_by_suggestion_only_above_the_admins_confidence(trained):
    engine, held_out, _ = trained
    me = actor_for(engine, "demo")
    template, (subject, body) = next(h for h in held_out if h[0]["category"].startswith("Network"))
    plain = tickets.open_ticket(engine, me, subject=subject, description=body, requester="n@northwind.example")
    assert plain.group_id is None  # no setting: rules never route by suggestion
    routing_auto.set_auto_assign(engine, 0.999)
    assert tickets.open_ticket(engine, me, subject=subject, description=body,
                               requester="n@northwind.example").group_id is None
    routing_auto.set_auto_assign(engine, 0.05)
    moved = tickets.open_ticket(engine, me, subject=subject, description=body, requester="n@northwind.example")
    with session_scope(engine) as s:
        assert s.get(Group, moved.group_id).name == "Network Operations"
        actors = {e.actor for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == moved.id)).all()}
    assert "rule:routing" in actors
    routing_auto.set_auto_assign(engine, None)
    assert routing_auto.auto_assign_setting(engine) is None
    with pytest.raises(Exception, match="between 0 and 1"):
        routing_auto.set_auto_assign(engine, 1.5)


def test_train_if_stale_retrains_only_after_enough_resolved_tickets(trained):
    engine, held_out, _ = trained
    skipped = routing_training.train(engine, if_stale=True, stale_after=2)
    assert skipped.models == () and "up to date" in skipped.skipped[0]
    me = actor_for(engine, "demo")
    for template, (subject, body) in held_out[:2]:
        t = tickets.open_ticket(engine, me, subject=subject, description=body, requester="s@northwind.example",
                                category=template["category"])
        tickets.resolve(engine, me, t.id, code="solved", notes="done")
    again = routing_training.train(engine, if_stale=True, stale_after=2)
    assert {m.target for m in again.models} == {"group", "category"}
    assert next(m for m in again.models if m.target == "group").min_confidence == 0.05  # the stored threshold kept


def test_route_evaluate_shows_the_model_beside_the_baselines(trained):
    engine, _held, _ = trained
    got = evaluation.evaluate(engine, holdout=0.3, seed=3)
    assert got.groups.model is not None and got.categories.model is not None
    assert got.groups.model.accuracy.top1 >= got.groups.majority.top1
    assert got.groups.model.min_confidence == 0.05 and 0 <= got.groups.model.coverage <= 1


def test_too_few_tickets_train_nothing(org):
    got = routing_training.train(org)
    assert got.models == () and len(got.skipped) == 2
    assert routing.suggest(org, "VPN drops").source == "neighbours"


def test_read_commands_and_app_start_do_not_import_scikit_learn_or_numpy():
    code = ("import sys\n"
            "import deskui.cli.main, deskui.reads.routing, deskui.reads.routing_evaluation, deskui.reads.queue\n"
            "import deskui.services.tickets, deskui.services.routing_training, deskui.tui.app\n"
            "bad = sorted(m for m in ('sklearn', 'numpy', 'scipy') if m in sys.modules)\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
