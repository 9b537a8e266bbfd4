"""Routing suggestions from history: category and group for a ticket, voted by
its nearest resolved tickets over the full-text index (k nearest neighbours,
each vote weighted by its relevance relative to the best match), with the
neighbours as evidence.

The neighbours come from the same ranked OR query as
:func:`deskui.store.search.similar_tickets` (bm25 on SQLite FTS5,
``ts_rank_cd`` on PostgreSQL), with the labels routing needs (category and
group at resolution) and an optional ``before_id`` bound so an evaluation can
hold out the newest tickets.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Sequence

import sqlalchemy as sa

from deskui.domain.ranking import SUGGESTION_FLOOR
from deskui.store.routing_holdout import Holdout
from deskui.store.search_query import ParsedQuery, fts5_or, is_stop, parse_query, tsquery_or
from deskui.store.search_rank import PG_CONFIG, PG_TICKET_WEIGHTS, TICKET_WEIGHTS, SessionOrConnection, dialect_of


@dataclass(frozen=True)
class Neighbour:
    id: int
    subject: str
    category_id: int | None
    group_id: int | None
    score: float  # higher is closer (comparable within one query)
    resolved_at: datetime | None


_t = sa.table(
    "tickets",
    sa.column("id", sa.Integer), sa.column("subject", sa.String), sa.column("status", sa.String),
    sa.column("category_id", sa.Integer), sa.column("group_id", sa.Integer), sa.column("resolved_at", sa.DateTime),
).alias("t")


def nearest_resolved(session: SessionOrConnection, text: str, *, k: int = 15, before_id: int | None = None,
                     exclude_id: int | None = None, holdout: Holdout | None = None) -> list[Neighbour]:
    """Up to ``k`` resolved or closed tickets closest to ``text``, best first."""
    parsed = parse_query(text)
    # Quoted text in a ticket is not a requirement here: everything ranks. A text of
    # stop words only says nothing about where a ticket belongs.
    words = tuple(t for t in (*parsed.phrases, *parsed.words) if not is_stop(t))
    if not words or k <= 0:
        return []
    conditions = [_t.c.status.in_(("resolved", "closed"))]
    if before_id is not None:
        conditions.append(_t.c.id < before_id)
    if exclude_id is not None:
        conditions.append(_t.c.id != exclude_id)
    if holdout is not None:  # an evaluation: its held-out tickets are never neighbours
        conditions.append(holdout.excludes(_t.c.id))
    columns = (_t.c.id, _t.c.subject, _t.c.category_id, _t.c.group_id, _t.c.resolved_at)
    if dialect_of(session) == "postgresql":
        vector = sa.literal_column("t.search_vector")
        query = sa.func.to_tsquery(sa.literal_column(f"'{PG_CONFIG}'"), tsquery_or(words))
        score = sa.func.ts_rank_cd(sa.literal_column(f"'{PG_TICKET_WEIGHTS}'::float4[]"), vector, query, 1)
        stmt = (sa.select(*columns, score.label("score")).where(vector.op("@@")(query), *conditions)
                .order_by(sa.desc("score"), _t.c.id.desc()).limit(k))
        sign = 1.0
    else:
        fts = sa.table("tickets_fts", sa.column("rowid", sa.Integer))
        name = sa.literal_column("tickets_fts")
        rank = sa.func.bm25(name, *TICKET_WEIGHTS)
        stmt = (sa.select(*columns, rank.label("score")).select_from(fts.join(_t, _t.c.id == fts.c.rowid))
                .where(name.op("MATCH")(fts5_or(ParsedQuery(words=words, phrases=()))), *conditions)
                .order_by(sa.asc("score"), _t.c.id.desc()).limit(k))
        sign = -1.0
    return [Neighbour(id=r.id, subject=r.subject, category_id=r.category_id, group_id=r.group_id,
                      score=sign * float(r.score), resolved_at=r.resolved_at)
            for r in session.execute(stmt)]


def label_counts(session: SessionOrConnection, column: str, *, before_id: int | None = None,
                 holdout: Holdout | None = None) -> list[tuple[int, int]]:
    """(label, count) over resolved tickets (outside an evaluation's holdout), most
    frequent first: the majority-class baseline."""
    col = _t.c[column]
    stmt = (sa.select(col, sa.func.count()).where(_t.c.status.in_(("resolved", "closed")), col.is_not(None))
            .group_by(col).order_by(sa.func.count().desc(), col))
    if before_id is not None:
        stmt = stmt.where(_t.c.id < before_id)
    if holdout is not None:
        stmt = stmt.where(holdout.excludes(_t.c.id))
    return [(r[0], int(r[1])) for r in session.execute(stmt).all()]


# ------------------------------------------------------------------ suggestions

#: Neighbours consulted. Chosen on the generated demo history (see bench/bench_routing.py).
K = 15
#: The closest neighbours whose shared terms measure the confidence (issue 15 item 13).
CONFIDENCE_NEIGHBOURS = 5


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
    # "model": categories and groups from the trained classifier (share = calibrated
    # confidence, only those at or above its threshold); "neighbours": the vote.
    source: str = "neighbours"
    #: The share of the text's weight its closest neighbour holds (deskui.domain.ranking.weight_share).
    confidence: float = 1.0

    @property
    def empty(self) -> bool:
        return not (self.evidence or self.groups or self.categories)

    @property
    def weak(self) -> bool:
        """Neighbours found but sharing too little with the text: no good suggestion
        (no category nor group is given, the evidence stays to show why)."""
        return bool(self.evidence) and self.confidence < SUGGESTION_FLOOR


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


_categories = sa.table("categories", sa.column("id", sa.Integer), sa.column("path", sa.String))
_groups = sa.table("groups", sa.column("id", sa.Integer), sa.column("name", sa.String))


def _names(session: SessionOrConnection, table, column: str, ids: Iterable[int]) -> dict[int, str]:
    ids = list(set(ids))
    if not ids:
        return {}
    return dict(session.execute(sa.select(table.c.id, table.c[column]).where(table.c.id.in_(ids))).all())


def ticket_text(subject: str, description: str) -> str:
    # The subject first: a query keeps its first words when a description is long.
    return f"{subject}\n{description}"


def _model_ranked(model, text: str, neighbours: Sequence[Neighbour], label: str,
                  limit: int) -> list[tuple[int, float, int]]:
    """(label id, calibrated confidence, neighbours with it), best first, those at or
    above the model's threshold only: below it there is no suggestion."""
    ranked = model.ranked(text[:MODEL_TEXT_CHARS], limit)
    return [(value, p, sum(1 for n in neighbours if getattr(n, label) == value))
            for value, p in ranked if p >= model.min_confidence]


MODEL_TEXT_CHARS = 2400


def suggest_in(session: SessionOrConnection, text: str, *, k: int = K, exclude_id: int | None = None,
               before_id: int | None = None, limit: int = 3, holdout: Holdout | None = None,
               use_model: bool | None = None) -> RoutingSuggestion:
    """Categories and groups for ``text``, best first, with the neighbours that voted.

    A trained model (`deskui route train`) gives the categories and groups when one
    is stored; the nearest-neighbour vote otherwise. An evaluation (``holdout`` or
    ``before_id``) uses the vote unless ``use_model`` says otherwise: the stored
    model has seen its held-out tickets."""
    from deskui.store.search_evidence import best_match_share

    neighbours = nearest_resolved(session, text, k=k, exclude_id=exclude_id, before_id=before_id, holdout=holdout)
    # Confident about something? The closest neighbours must share terms holding enough of
    # the text's IDF weight; a text sharing only "sync" or "wrong" gets no suggestion.
    ids = [n.id for n in neighbours[:CONFIDENCE_NEIGHBOURS]]
    confidence = best_match_share(session, "tickets", text, ids, exclude_id=exclude_id)
    weak = confidence < SUGGESTION_FLOOR
    cats = [] if weak else vote(neighbours, "category_id")[:limit]
    groups = [] if weak else vote(neighbours, "group_id")[:limit]
    source = "neighbours"
    if use_model if use_model is not None else (holdout is None and before_id is None):
        from deskui.store.routing_model_queries import load_model

        for target, label in (("group", "group_id"), ("category", "category_id")):
            model = load_model(session, target)
            if model is None:
                continue
            # The model's calibrated threshold decides instead of the similarity floor.
            source, confidence = "model", 1.0
            ranked = _model_ranked(model, text, neighbours, label, limit)
            if target == "group":
                groups = ranked
            else:
                cats = ranked
    cat_names = _names(session, _categories, "path",
                       [n.category_id for n in neighbours if n.category_id] + [c[0] for c in cats])
    group_names = _names(session, _groups, "name",
                         [n.group_id for n in neighbours if n.group_id] + [g[0] for g in groups])
    return RoutingSuggestion(
        source=source,
        categories=tuple(Suggestion(i, cat_names.get(i, "?"), s, c) for i, s, c in cats),
        groups=tuple(Suggestion(i, group_names.get(i, "?"), s, c) for i, s, c in groups),
        evidence=tuple(Evidence(n.id, n.subject, cat_names.get(n.category_id, ""), group_names.get(n.group_id, ""),
                                n.score) for n in neighbours),
        confidence=confidence,
    )
