"""Routing suggestions from history: category and group for a new ticket, voted by
its nearest resolved tickets over the full-text index (k nearest neighbours,
each vote weighted by its relevance relative to the best match), with the
neighbours as evidence.

:func:`evaluate` measures top-1 and top-3 accuracy on held-out labelled tickets
beside the majority-class baseline (the most frequent labels of the history).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui.errors import NotFound
from deskui.store.db import session_scope
from deskui.store.models import Category, Group, Ticket
from deskui.store.routing_queries import Neighbour, label_counts, nearest_resolved

#: Neighbours consulted. Chosen on the generated demo history (see the report / bench).
K = 15


@dataclass(frozen=True)
class Suggestion:
    id: int
    name: str
    share: float  # of the weighted vote, 0..1
    votes: int  # neighbours voting for it


@dataclass(frozen=True)
class Evidence:
    id: int
    subject: str
    category: str
    group: str
    score: float


@dataclass(frozen=True)
class RoutingSuggestion:
    categories: tuple[Suggestion, ...]
    groups: tuple[Suggestion, ...]
    evidence: tuple[Evidence, ...]

    @property
    def empty(self) -> bool:
        return not self.evidence


def vote(neighbours: Sequence[Neighbour], label: str) -> list[tuple[int, float, int]]:
    """(label id, share, votes) best first. A neighbour's weight is its score over
    the best score, so a close match counts more than a distant one."""
    top = max((n.score for n in neighbours), default=0.0)
    weights: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    for n in neighbours:
        value = getattr(n, label)
        if value is None:
            continue
        weights[value] += (n.score / top) if top > 0 else 1.0
        counts[value] += 1
    total = sum(weights.values()) or 1.0
    return sorted(((v, w / total, counts[v]) for v, w in weights.items()), key=lambda x: (-x[1], x[0]))


def _names(session: Session, model, column, ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    return dict(session.execute(select(model.id, column).where(model.id.in_(ids))).all())


def suggest_in(session: Session, text: str, *, k: int = K, exclude_id: int | None = None,
               before_id: int | None = None, limit: int = 3) -> RoutingSuggestion:
    neighbours = nearest_resolved(session, text, k=k, exclude_id=exclude_id, before_id=before_id)
    cats = vote(neighbours, "category_id")[:limit]
    groups = vote(neighbours, "group_id")[:limit]
    cat_names = _names(session, Category, Category.path, [n.category_id for n in neighbours if n.category_id])
    group_names = _names(session, Group, Group.name, [n.group_id for n in neighbours if n.group_id])
    return RoutingSuggestion(
        categories=tuple(Suggestion(i, cat_names.get(i, "?"), s, c) for i, s, c in cats),
        groups=tuple(Suggestion(i, group_names.get(i, "?"), s, c) for i, s, c in groups),
        evidence=tuple(Evidence(n.id, n.subject, cat_names.get(n.category_id, ""), group_names.get(n.group_id, ""),
                                n.score) for n in neighbours),
    )


def suggest(engine: Engine, text: str, *, k: int = K) -> RoutingSuggestion:
    """Suggestions for free text (a new ticket's subject and description)."""
    with session_scope(engine) as session:
        return suggest_in(session, text, k=k)


def suggest_for_ticket(engine: Engine, ticket_id: int, *, k: int = K) -> RoutingSuggestion:
    with session_scope(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} not found")
        return suggest_in(session, ticket_text(ticket.subject, ticket.description), k=k, exclude_id=ticket_id)


def ticket_text(subject: str, description: str) -> str:
    # The subject first: a query keeps its first words when a description is long.
    return f"{subject}\n{description}"


# ------------------------------------------------------------------ evaluation

@dataclass(frozen=True)
class LabelledCase:
    text: str
    category_id: int | None
    group_id: int | None


@dataclass(frozen=True)
class Accuracy:
    label: str  # "category" | "group"
    cases: int
    top1: float
    top3: float
    baseline_top1: float  # always answering the most frequent label of the history
    baseline_top3: float  # the three most frequent


def evaluate(engine: Engine, cases: Sequence[LabelledCase], *, before_id: int | None = None,
             k: int = K) -> dict[str, Accuracy]:
    """Top-1/top-3 accuracy of the suggestions on ``cases`` (held out: only tickets with
    id < ``before_id`` are neighbours and count for the baseline)."""
    hits = {"category": [0, 0], "group": [0, 0]}
    base = {"category": [0, 0], "group": [0, 0]}
    scored = {"category": 0, "group": 0}
    with session_scope(engine) as session:
        majority = {
            "category": [v for v, _ in label_counts(session, "category_id", before_id=before_id)[:3]],
            "group": [v for v, _ in label_counts(session, "group_id", before_id=before_id)[:3]],
        }
        for case in cases:
            result = suggest_in(session, case.text, k=k, before_id=before_id)
            for label, truth, ranked in (("category", case.category_id, result.categories),
                                         ("group", case.group_id, result.groups)):
                if truth is None:
                    continue
                scored[label] += 1
                ids = [s.id for s in ranked]
                hits[label][0] += ids[:1] == [truth]
                hits[label][1] += truth in ids[:3]
                base[label][0] += majority[label][:1] == [truth]
                base[label][1] += truth in majority[label][:3]
    return {
        label: Accuracy(label, scored[label], *(x / max(scored[label], 1) for x in (*hits[label], *base[label])))
        for label in ("category", "group")
    }
