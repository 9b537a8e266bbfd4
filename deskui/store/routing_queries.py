"""Nearest resolved tickets over the full-text index, for routing suggestions.

The same ranked OR query as :func:`deskui.store.search.similar_tickets` (bm25 on
SQLite FTS5, ``ts_rank_cd`` on PostgreSQL), with the labels routing needs
(category and group at resolution) and an optional ``before_id`` bound so an
evaluation can hold out the newest tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from deskui.store.search import (
    PG_CONFIG, PG_TICKET_WEIGHTS, TICKET_WEIGHTS, SessionOrConnection, _dialect, _is_stop, fts5_or, parse_query,
    tsquery_or,
)


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
                     exclude_id: int | None = None) -> list[Neighbour]:
    """Up to ``k`` resolved or closed tickets closest to ``text``, best first."""
    parsed = parse_query(text)
    # Quoted text in a ticket is not a requirement here: everything ranks. A text of
    # stop words only says nothing about where a ticket belongs.
    words = tuple(t for t in (*parsed.phrases, *parsed.words) if not _is_stop(t))
    if not words or k <= 0:
        return []
    conditions = [_t.c.status.in_(("resolved", "closed"))]
    if before_id is not None:
        conditions.append(_t.c.id < before_id)
    if exclude_id is not None:
        conditions.append(_t.c.id != exclude_id)
    columns = (_t.c.id, _t.c.subject, _t.c.category_id, _t.c.group_id, _t.c.resolved_at)
    if _dialect(session) == "postgresql":
        vector = sa.literal_column("t.search_vector")
        query = sa.func.to_tsquery(sa.literal_column(f"'{PG_CONFIG}'"), tsquery_or(words))
        score = sa.func.ts_rank_cd(sa.literal_column(f"'{PG_TICKET_WEIGHTS}'::float4[]"), vector, query, 1)
        stmt = (sa.select(*columns, score.label("score")).where(vector.op("@@")(query), *conditions)
                .order_by(sa.desc("score"), _t.c.id.desc()).limit(k))
        sign = 1.0
    else:
        from deskui.store.search import ParsedQuery

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


def label_counts(session: SessionOrConnection, column: str, *, before_id: int | None = None) -> list[tuple[int, int]]:
    """(label, count) over resolved tickets, most frequent first: the majority-class baseline."""
    col = _t.c[column]
    stmt = (sa.select(col, sa.func.count()).where(_t.c.status.in_(("resolved", "closed")), col.is_not(None))
            .group_by(col).order_by(sa.func.count().desc(), col))
    if before_id is not None:
        stmt = stmt.where(_t.c.id < before_id)
    return [(r[0], int(r[1])) for r in session.execute(stmt).all()]
