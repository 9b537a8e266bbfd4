"""Routing suggestions on SQLite and PostgreSQL: nearest resolved tickets vote for
category and group; a held-out evaluation beats the majority-class baseline."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from deskui.reads import routing
from deskui.reads import routing_evaluation as evaluation
from deskui.services import tickets
from deskui.store.routing_queries import ticket_text, vote
from deskui.services.directory import category_by_path, routing_group_id
from deskui.services.actors import actor_for
from deskui.store.db import session_scope
from deskui.store.models import Category
from deskui.store.routing_queries import Neighbour

TEMPLATES = Path(__file__).resolve().parents[2] / "sample_data" / "ticket_templates.toml"


def templates():
    """The first incident template of each top-level category (12 categories, every group)."""
    chosen, seen = [], set()
    for t in tomllib.loads(TEMPLATES.read_text())["template"]:
        top = t["category"].split("/")[0]
        if t["type"] == "incident" and top not in seen:
            seen.add(top)
            chosen.append(t)
    return chosen


def fill(template, subject_index: int, who: str) -> tuple[str, str]:
    subject = template["subjects"][subject_index % len(template["subjects"])]
    ci = (template.get("ci") or ["the usual one"])[subject_index % len(template.get("ci") or [1])]
    body = (template["description"].replace("{requester.name}", who).replace("{weekday}", "Monday")
            .replace("{ci}", ci))
    return subject, body


@pytest.fixture
def history(org, frozen_now):
    """Training: every subject but the last of each template, resolved. Held out: the last."""
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
    return org, held_out


def test_suggests_category_and_group_with_evidence(history):
    engine, _ = history
    got = routing.suggest(engine, "GlobalProtect VPN keeps disconnecting from home")
    assert got.categories[0].name == "Network/VPN"
    assert got.groups[0].name == "Network Operations"
    assert 0 < got.categories[0].share <= 1 and got.categories[0].votes >= 1
    assert got.evidence and got.evidence[0].category == "Network/VPN"
    assert len(got.categories) <= 3 and got.evidence[0].score >= got.evidence[-1].score
    assert routing.suggest(engine, "the and of").empty  # no content words: no suggestion, no error
    routing.suggest(engine, '"unbalanced ( AND OR * NEAR(')  # typed text is data: never a syntax error


def test_suggest_for_ticket_never_cites_itself(history):
    engine, _ = history
    me = actor_for(engine, "demo")
    t = tickets.open_ticket(engine, me, subject="Outlook will not open, stuck on loading profile",
                            requester="x@northwind.example")
    got = routing.suggest_for_ticket(engine, t.id)
    assert t.id not in [e.id for e in got.evidence]
    assert got.groups and got.groups[0].name == "Messaging & Collaboration"


def test_held_out_accuracy_beats_the_majority_baseline(history):
    engine, held_out = history
    cases = []
    with session_scope(engine) as s:
        ids = dict(s.execute(select(Category.path, Category.id)).all())
        for template, (subject, body) in held_out:
            group_id = routing_group_id(s, category_by_path(s, template["category"]))
            cases.append(evaluation.LabelledCase(ticket_text(subject, body), ids[template["category"]], group_id))
    result = evaluation.evaluate_cases(engine, cases)
    cat, grp = result["category"], result["group"]
    assert cat.cases == grp.cases == len(held_out)
    # The majority baseline, counted independently from the training set.
    train = Counter(t["category"] for t in templates() for _ in t["subjects"][:-1])
    top = train.most_common(1)[0][1]
    majority = [c for c, n in train.items() if n == top]
    assert cat.baseline_top1 == pytest.approx(
        sum(t["category"] == sorted(majority, key=lambda c: ids[c])[0] for t, _ in held_out) / len(held_out))
    assert cat.top1 >= 0.8 > cat.baseline_top1
    assert cat.top3 >= cat.top1 and grp.top3 >= grp.top1 >= cat.top1 - 0.1
    assert grp.top1 > grp.baseline_top1


def test_vote_weights_close_matches_more():
    near = [Neighbour(1, "a", 10, 1, 9.0, None), Neighbour(2, "b", 20, 2, 1.0, None),
            Neighbour(3, "c", 20, 2, 1.0, None), Neighbour(4, "d", None, None, 0.5, None)]
    ranked = vote(near, "category_id")
    assert [r[0] for r in ranked] == [10, 20]
    assert ranked[0][1] == pytest.approx(1.0 / (1.0 + 2 / 9))
    assert [r[2] for r in ranked] == [1, 2]
    assert vote([], "group_id") == []
