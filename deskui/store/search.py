"""Ranked full-text search over articles and tickets (DESIGN.md §2 "Knowledge").

One query language, two engines:

- SQLite: FTS5 external-content tables ``articles_fts`` (title, tags, body)
  and ``tickets_fts`` (subject, description, resolution_notes), tokenizer
  ``porter unicode61 remove_diacritics 2``, kept in sync by triggers created
  in migration 0002. Ranking is ``bm25`` with title above tags above body.
- PostgreSQL: a stored generated ``search_vector`` tsvector column on
  ``articles`` and ``tickets`` with a GIN index, built with the text search
  configuration ``deskui_english`` (the English Snowball stemmer *without*
  PostgreSQL's stop list, so both engines index every word) over
  ``deskui_fold(text)``, an IMMUTABLE ``translate()`` that folds Latin
  diacritics (no ``unaccent`` extension needed). Ranking is bm25-like: a sum
  of ``idf(term) * ts_rank(term)`` with weights title A, tags B, body C (see
  :func:`deskui.store.search_rank.pg_ranked_ids_sql`). Snippets come from ``ts_headline`` over the
  original text, so a word matched only through folding ("cafe" for "café")
  is found but not highlighted there.

What a user types is data, never query syntax: deskui.store.search_query
turns it into terms (words, "phrases", prefix*), deskui.store.search_rank
ranks them on each engine, deskui.store.search_index keeps the indexes.

Snippets are plain text. Matched terms are wrapped in :data:`MARK_START`
(``"\\x02"``) and :data:`MARK_END` (``"\\x03"``) so a screen can highlight
them without markup (stored text never contains C0 controls: they are
stripped on the way in). :func:`strip_marks` removes them.

Queries return frozen dataclasses and open nothing lazily, so they can run in
a worker thread with their own session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

import sqlalchemy as sa

from deskui.store.search_query import (  # noqa: F401  (parse_query: the query language, for callers)
    dedupe_terms, fts5_and, parse_query, phrase_term, tsquery_and, word_terms,
)
from deskui.store.search_rank import (
    ARTICLE_WEIGHTS, PG_ARTICLE_WEIGHTS, PG_CONFIG, PG_TICKET_WEIGHTS, TICKET_WEIGHTS, SessionOrConnection,
    dialect_of, pg_params, pg_ranked_ids_sql, sqlite3_of, sqlite_ranked,
)

MARK_START = "\x02"
MARK_END = "\x03"


# ------------------------------------------------------------------- results

@dataclass(frozen=True)
class ArticleHit:
    """One article found. ``score``: higher is better (comparable within one query).

    ``snippet``: plain text around the best match in the body; matched terms are
    wrapped in ``"\\x02"`` ... ``"\\x03"`` (:data:`MARK_START` / :data:`MARK_END`).
    """

    id: int
    external_id: str
    title: str
    score: float
    snippet: str
    tags: str
    category: str
    status: str


@dataclass(frozen=True)
class TicketHit:
    id: int
    subject: str
    status: str
    score: float
    resolution_notes: str
    category_id: int | None
    group_id: int | None
    resolved_at: datetime | None


def strip_marks(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


_SNIPPET_MARKUP = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)|\*+|__|`+")
_SPACES = re.compile(r"\s+")


def clean_snippet(text: str) -> str:
    """One line of plain text: Markdown emphasis, headings and bullets dropped."""
    return _SPACES.sub(" ", _SNIPPET_MARKUP.sub("", text or "")).strip()


# ---------------------------------------------------------------- articles

# The headline is computed for the limited rows only (ts_headline re-parses the body).
_PG_HEADLINE = f"""
SELECT a.id, a.external_id, a.title, a.tags, a.category, a.status, r.score,
       ts_headline('{PG_CONFIG}', a.body, to_tsquery('{PG_CONFIG}', :ranked),
                   'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, MaxFragments=1')
FROM (__RANKED__) AS r JOIN articles AS a ON a.id = r.id
ORDER BY r.score DESC, a.id
"""


def search_articles(
    session_or_conn: SessionOrConnection, query: str, *, limit: int = 10, include_drafts: bool = False
) -> list[ArticleHit]:
    """Articles for a natural-language query, best first (empty query: no hits)."""
    parsed = parse_query(query)
    if parsed.empty or limit <= 0:
        return []
    session = session_or_conn
    if dialect_of(session) == "postgresql":
        params, n_terms = pg_params(parsed, limit)
        filters = "" if include_drafts else "AND x.status = 'published'"
        ranked = pg_ranked_ids_sql("articles", PG_ARTICLE_WEIGHTS, n_terms, filters, required=bool(parsed.phrases))
        rows = session.execute(sa.text(_PG_HEADLINE.replace("__RANKED__", ranked)), params).all()
        return [ArticleHit(id=r[0], external_id=r[1], title=r[2], tags=r[3], category=r[4], status=r[5],
                           score=float(r[6]), snippet=clean_snippet(r[7])) for r in rows]
    db = sqlite3_of(session)
    ranked, match = sqlite_ranked(
        db, "articles_fts", "articles", ARTICLE_WEIGHTS, parsed, limit,
        "id, external_id, title, tags, category, status",
        None if include_drafts else (lambda row: row[5] == "published"))
    if not ranked:
        return []
    # snippet() re-reads and re-tokenizes the body: only for the rows shown.
    ids = ",".join(str(row[0]) for _, row in ranked)
    snippets = dict(db.execute(
        f"SELECT rowid, snippet(articles_fts, 2, char(2), char(3), '…', 24) FROM articles_fts "
        f"WHERE articles_fts MATCH ? AND rowid IN ({ids})", (match,)).fetchall())
    return [ArticleHit(id=row[0], external_id=row[1], title=row[2], tags=row[3], category=row[4], status=row[5],
                       score=-rank, snippet=clean_snippet(snippets.get(row[0], ""))) for rank, row in ranked]


# ------------------------------------------------------------------ tickets

_RESOLVED = ("resolved", "closed")

_tickets = sa.table(
    "tickets",
    sa.column("id", sa.Integer), sa.column("subject", sa.String), sa.column("status", sa.String),
    sa.column("resolution_notes", sa.Text), sa.column("category_id", sa.Integer),
    sa.column("group_id", sa.Integer), sa.column("resolved_at", sa.DateTime),
)


def similar_tickets(
    session: SessionOrConnection, text: str, *, limit: int = 5, resolved_only: bool = True,
    exclude_id: int | None = None,
) -> list[TicketHit]:
    """Tickets whose subject, description or resolution share words with ``text``, best first.

    ``resolved_only``: resolved or closed tickets only (they carry a resolution).
    """
    parsed = parse_query(text)
    if parsed.empty or limit <= 0:
        return []
    t = _tickets.alias("t")
    columns = (t.c.id, t.c.subject, t.c.status, t.c.resolution_notes, t.c.category_id, t.c.group_id,
               t.c.resolved_at)
    if dialect_of(session) == "postgresql":
        params, n_terms = pg_params(parsed, limit)
        filters = ""
        if resolved_only:
            filters += " AND x.status IN ('resolved', 'closed')"
        if exclude_id is not None:
            filters += " AND x.id <> :exclude"
            params["exclude"] = exclude_id
        ranked_sql = sa.text(pg_ranked_ids_sql("tickets", PG_TICKET_WEIGHTS, n_terms, filters,
                                                required=bool(parsed.phrases)))
        r = ranked_sql.columns(sa.column("id", sa.Integer), sa.column("score", sa.Float)).subquery("r")
        stmt = sa.select(*columns, r.c.score).join_from(r, t, t.c.id == r.c.id).order_by(
            r.c.score.desc(), t.c.id.desc())
        return [_ticket_hit(row, row.score) for row in session.execute(stmt, params)]
    ranked, _ = sqlite_ranked(
        sqlite3_of(session), "tickets_fts", "tickets", TICKET_WEIGHTS, parsed, limit,
        "id, subject, status, resolution_notes, category_id, group_id, resolved_at",
        lambda row: (not resolved_only or row[2] in _RESOLVED) and row[0] != exclude_id)
    return [TicketHit(id=row[0], subject=row[1], status=row[2], score=-rank, resolution_notes=row[3],
                      category_id=row[4], group_id=row[5], resolved_at=_datetime(row[6]))
            for rank, row in ranked]


def _datetime(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _ticket_hit(r, score: float) -> TicketHit:
    return TicketHit(id=r.id, subject=r.subject, status=r.status, score=float(score),
                     resolution_notes=r.resolution_notes, category_id=r.category_id, group_id=r.group_id,
                     resolved_at=r.resolved_at)


# ------------------------------------------------------ from one ticket

#: Characters of a description used with the subject to find related items.
DESCRIPTION_CHARS = 600


def _ticket_text(session: SessionOrConnection, ticket_id: int) -> str | None:
    row = session.execute(
        sa.select(_tickets.c.subject, sa.literal_column("description")).select_from(_tickets)
        .where(_tickets.c.id == ticket_id)).first()
    if row is None:
        return None
    # The subject first: the term cap keeps it when a description is long.
    return f"{row[0]}\n{(row[1] or '')[:DESCRIPTION_CHARS]}"


def ticket_search_text(session: SessionOrConnection, ticket_id: int) -> str | None:
    """The text a ticket's suggestions are searched with (its subject, then the start of its description)."""
    return _ticket_text(session, ticket_id)


def articles_for_ticket(session: SessionOrConnection, ticket_id: int, *, limit: int = 5) -> list[ArticleHit]:
    """Published articles suggested by a ticket's subject and description (none if no such ticket)."""
    text = _ticket_text(session, ticket_id)
    return search_articles(session, text, limit=limit) if text else []


def similar_to_ticket(session: SessionOrConnection, ticket_id: int, *, limit: int = 5,
                      resolved_only: bool = True) -> list[TicketHit]:
    """Other tickets like this one (resolved ones by default, with their resolution notes)."""
    text = _ticket_text(session, ticket_id)
    if not text:
        return []
    return similar_tickets(session, text, limit=limit, resolved_only=resolved_only, exclude_id=ticket_id)


def ticket_text_condition(
    dialect_name: str, words: Sequence[str], phrases: Sequence[str]
) -> sa.ColumnElement[bool]:
    """A condition on ``tickets.id`` for the queue's free-text filter.

    AND semantics: every word (``word*`` is a prefix) and every phrase must
    appear in the subject, description or resolution notes. Stop words are
    ignored unless only stop words were given. Words joined by ``-`` or ``.``
    match as a phrase or as one word. Text with no letters or digits gives
    ``true()`` (no filter). The condition is ``tickets.id IN (subquery)`` on
    the Core view ``deskui.store.tables.tickets``: select from that, not the model.
    """
    terms = word_terms(list(words)) + [t for t in (phrase_term(p) for p in phrases) if t is not None]
    terms = dedupe_terms(terms)
    if not terms:
        return sa.true()
    from deskui.store.tables import tickets  # the queue's Core view, so the condition joins its FROM

    ticket_id = tickets.c.id
    if dialect_name == "postgresql":
        inner = sa.table("tickets", sa.column("id", sa.Integer), sa.column("search_vector")).alias("tickets_text")
        query = sa.func.to_tsquery(sa.literal_column(f"'{PG_CONFIG}'"), tsquery_and(terms))
        sub = sa.select(inner.c.id).where(inner.c.search_vector.op("@@")(query))
    else:
        fts = sa.table("tickets_fts", sa.column("rowid", sa.Integer))
        sub = sa.select(fts.c.rowid).where(sa.literal_column("tickets_fts").op("MATCH")(fts5_and(terms)))
    return ticket_id.in_(sub)
