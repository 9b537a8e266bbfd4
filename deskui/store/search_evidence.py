"""How much a text and its best matches have in common, weighted by how rare the
shared words are (issue 15 item 13: suggestions that are confident about nothing).

A full-text ranking always has a best match, even for a text that shares only
"sync" or "wrong" with the desk's history. The rank alone cannot say so: BM25
scores are relative to the query. This module gives the evidence instead: for
each term of the text, its inverse document frequency over the searched table
(rare words weigh more) and which of the candidate rows hold it. The caller
(deskui.domain.ranking.confidence) turns that into a share of the text's own
weight, the way a BM25 score is normalised by the query's score against itself.

One small count per term (capped at :data:`MAX_TERMS` terms), on the full-text
index of either engine, and a look-up restricted to the candidate ids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import sqlalchemy as sa

from deskui.domain.ranking import best_share
from deskui.store.search_query import Term, dedupe_terms, fts5_term, is_stop, parse_query, tsquery_term
from deskui.store.search_rank import PG_CONFIG, SessionOrConnection, dialect_of, sqlite3_of

#: Most terms of a text weighed (its first ones: a ticket's subject comes first).
MAX_TERMS = 32

#: Fewer rows than this and document frequencies say nothing (a new desk, a test):
#: every match is then taken as confident.
MIN_DOCUMENTS = 30

#: The tables that can be weighed, with their SQLite full-text index.
_FTS = {"tickets": "tickets_fts", "articles": "articles_fts"}


@dataclass(frozen=True)
class TermWeight:
    term: str  # the term as the text had it (for explanations and tests)
    idf: float  # BM25's inverse document frequency over the whole table
    holders: frozenset[int]  # the candidate ids whose row holds the term


def text_terms(text: str) -> list[Term]:
    """The terms of ``text`` that can say something (stop words out), deduplicated."""
    parsed = parse_query(text)
    return [t for t in dedupe_terms([*parsed.phrases, *parsed.words]) if not is_stop(t)][:MAX_TERMS]


def idf(documents: int, frequency: int) -> float:
    """BM25's inverse document frequency (always positive)."""
    return math.log(1.0 + (documents - frequency + 0.5) / (frequency + 0.5))


def term_weights(session: SessionOrConnection, table: str, text: str, ids: Sequence[int], *,
                 exclude_id: int | None = None) -> tuple[int, tuple[TermWeight, ...]]:
    """The rows of ``table`` ("tickets" or "articles") and each term of ``text`` with
    its weight over them and the rows among ``ids`` that hold it. ``exclude_id``: the
    row the text comes from (a ticket), left out of the counts."""
    terms = text_terms(text)
    wanted = sorted({int(i) for i in ids} | ({exclude_id} if exclude_id is not None else set()))
    if dialect_of(session) == "postgresql":
        documents, counted = _pg(session, table, terms, wanted)
    else:
        documents, counted = _sqlite(sqlite3_of(session), table, terms, wanted)
    out = []
    for term, frequency, holders in counted:
        if exclude_id is not None and exclude_id in holders:
            frequency, holders = frequency - 1, holders - {exclude_id}
        out.append(TermWeight(" ".join(term.tokens), idf(documents - (exclude_id is not None), frequency), holders))
    return documents - (exclude_id is not None), tuple(out)


def best_match_share(session: SessionOrConnection, table: str, text: str, ids: Sequence[int], *,
                     exclude_id: int | None = None) -> float:
    """The largest share of ``text``'s IDF weight one of ``ids`` holds
    (deskui.domain.ranking.best_share); 1.0 when the table is too small to say."""
    if not ids:
        return 0.0
    documents, weights = term_weights(session, table, text, ids, exclude_id=exclude_id)
    if documents < MIN_DOCUMENTS:
        return 1.0
    return best_share(weights, list(ids))


def _sqlite(db, table: str, terms: Sequence[Term], ids: Sequence[int]):
    fts = _FTS[table]
    documents = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    in_ids = ",".join(str(i) for i in ids)
    out = []
    for term in terms:
        match = fts5_term(term)
        frequency = db.execute(f"SELECT count(*) FROM {fts} WHERE {fts} MATCH ?", (match,)).fetchone()[0]
        holders = frozenset(r[0] for r in db.execute(
            f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? AND rowid IN ({in_ids})", (match,))) if ids else frozenset()
        out.append((term, frequency, holders))
    return documents, out


def _pg(session, table: str, terms: Sequence[Term], ids: Sequence[int]):
    _FTS[table]  # the same two tables only
    documents = session.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    out = []
    for term in terms:
        query = f"search_vector @@ to_tsquery('{PG_CONFIG}', :q)"
        frequency = session.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {query}"),
                                    {"q": tsquery_term(term)}).scalar_one()
        holders: frozenset[int] = frozenset()
        if ids:
            holders = frozenset(session.execute(
                sa.text(f"SELECT id FROM {table} WHERE {query} AND id = ANY(:ids)"),
                {"q": tsquery_term(term), "ids": list(ids)}).scalars())
        out.append((term, frequency, holders))
    return documents, out
