"""Ranking full-text matches on each engine (DESIGN.md §2 "Knowledge").

- SQLite: bm25 over the FTS5 tables, reading the index only, with
  :func:`plan_fts5_match` narrowing the query on a large collection;
- PostgreSQL: a bm25-like sum of ``idf(term) * ts_rank(term)`` over the
  ``search_vector`` column (:func:`pg_ranked_ids_sql`).

deskui.store.search builds article and ticket hits on these.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence, Union

from sqlalchemy.engine import Connection

if TYPE_CHECKING:  # `kb search` imports no sqlalchemy.orm (issue 15 item 8): a Session is "not a Connection"
    from sqlalchemy.orm import Session

from deskui.store.search_query import (
    ParsedQuery, Term, fts5_and, fts5_or, fts5_term, tsquery_and, tsquery_or, tsquery_term,
)

#: Text search configuration and fold function created on PostgreSQL by migration 0002.
PG_CONFIG = "deskui_english"

# bm25 column weights: title (subject) above tags (resolution) above body (description).
ARTICLE_WEIGHTS = (10.0, 5.0, 1.0)
TICKET_WEIGHTS = (3.0, 1.0, 2.0)  # subject, description, resolution_notes
# ts_rank_cd weights in PostgreSQL's order {D, C, B, A}.
# ts_rank saturates per term, so body matches need a larger share than in bm25
# (measured on the labelled set: bench/eval_kb.py).
PG_ARTICLE_WEIGHTS = "{0.0, 0.4, 0.7, 1.0}"
PG_TICKET_WEIGHTS = "{0.0, 0.4, 0.7, 1.0}"  # A subject, B resolution_notes, C description

SessionOrConnection = Union["Session", Connection]


def dialect_of(session_or_conn: SessionOrConnection) -> str:
    bind = session_or_conn if isinstance(session_or_conn, Connection) else session_or_conn.get_bind()
    return bind.dialect.name


# ------------------------------------------------- PostgreSQL BM25-like rank

def pg_ranked_ids_sql(table: str, weights: str, n_terms: int, filters: str, *, required: bool) -> str:
    """SQL for (id, score) of the best ``:limit`` rows of ``table``, best first.

    ts_rank alone has no inverse document frequency, so frequent words ("laptop",
    "work") outweigh the rare word that names the problem. Like bm25, the score
    is a sum over the query terms of ``idf(term) * ts_rank(weights, vector, term)``
    (ts_rank saturates with repeated occurrences as bm25's tf does), with
    ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` over the whole table as FTS5
    does. ``N`` is exact below 10,000 rows and the planner's estimate above.
    Parameters: ``:match`` (filter), ``:ranked`` (OR of all terms), ``:t0``...,
    ``:limit``; ``filters`` is SQL over alias ``x`` ("AND x.status = ...").
    """
    q = lambda name: f"to_tsquery('{PG_CONFIG}', :{name})"  # noqa: E731
    if required or filters:
        source = f"(SELECT search_vector AS v FROM {table} WHERE search_vector @@ {q('ranked')}) AS s"
    else:
        source = "m AS s"
    dfs = ", ".join(f"count(*) FILTER (WHERE s.v @@ {q(f't{i}')}) AS d{i}" for i in range(n_terms))
    score = " + ".join(
        f"ln(1 + (greatest(st.n, st.d{i}) - st.d{i} + 0.5) / (st.d{i} + 0.5)) "
        f"* ts_rank('{weights}', m.v, {q(f't{i}')})"
        for i in range(n_terms)
    )
    return f"""
WITH m AS (
  SELECT x.id, x.search_vector AS v FROM {table} AS x
  WHERE x.search_vector @@ {q('match')} {filters}
),
st AS MATERIALIZED (  -- once, not once per candidate row
  SELECT (SELECT CASE WHEN c.reltuples >= 10000 THEN c.reltuples::float8
                      ELSE (SELECT count(*) FROM {table})::float8 END
          FROM pg_class AS c WHERE c.oid = '{table}'::regclass) AS n,
         {dfs}
  FROM {source}
)
SELECT m.id, ({score}) AS score FROM m, st
ORDER BY score DESC, m.id
LIMIT :limit"""


def pg_params(parsed: ParsedQuery, limit: int) -> tuple[dict, int]:
    everything = (*parsed.phrases, *parsed.words)
    params: dict[str, object] = {f"t{i}": tsquery_term(term) for i, term in enumerate(everything)}
    params["ranked"] = tsquery_or(everything)
    params["match"] = tsquery_and(parsed.phrases) if parsed.phrases else params["ranked"]
    params["limit"] = limit
    return params, len(everything)


# ------------------------------------------------------- SQLite ranking

def sqlite3_of(session: SessionOrConnection):
    """The sqlite3 connection under a Session or Connection (in its transaction).

    The SQLite search path runs several small statements per query; through
    the DB-API directly each costs a few µs instead of SQLAlchemy's ~100 µs.
    """
    connection = session if isinstance(session, Connection) else session.connection()
    return connection.connection.driver_connection


def sqlite_ranked(
    db, fts: str, content: str, weights: Sequence[float], parsed: ParsedQuery, limit: int,
    columns: str, accept=None,
) -> tuple[list[tuple[float, tuple]], str]:
    """[(bm25, content row), ...] best first, and the MATCH expression used.

    ``db`` is a sqlite3 connection. The ranking reads the FTS index only:
    reading each matching content row to check a status would cost more than
    bm25 itself, since the row holds the whole text. So the best
    ``limit + 4`` are ranked, their rows (``columns`` of ``content``) read
    and checked with ``accept(row)``; only when too few pass does the
    ranking continue past them.
    """
    bm25 = f"bm25({fts}, {', '.join(str(w) for w in weights)})"
    expressions = plan_fts5_match(db, fts, content, parsed)
    ranked_sql = f"SELECT rowid, {bm25} AS rank FROM {fts} WHERE {fts} MATCH ? ORDER BY rank, rowid LIMIT ? OFFSET ?"
    kept: list[tuple[float, tuple]] = []
    for match in expressions:
        kept, offset = [], 0
        fetch = limit if accept is None else limit + 4
        while len(kept) < limit:
            ranks = db.execute(ranked_sql, (match, fetch, offset)).fetchall()
            if not ranks:
                break
            ids = ",".join(str(int(rowid)) for rowid, _ in ranks)
            rows = {row[0]: row for row in db.execute(f"SELECT {columns} FROM {content} WHERE id IN ({ids})")}
            kept += [(rank, rows[rowid]) for rowid, rank in ranks
                     if rowid in rows and (accept is None or accept(rows[rowid]))]
            if len(ranks) < fetch:
                break
            offset += fetch
            fetch *= 4  # few pass: look further down in bigger steps
        if len(kept) >= limit:
            return kept[:limit], match
    return kept[:limit], expressions[-1]


# ------------------------------------------------ large collections (SQLite)

#: Most rows the SQLite ranking scores (about 1 µs each) before it narrows the query.
ROW_BUDGET = 4000
#: Rows (the newest) sampled to estimate how many rows a term matches.
SAMPLE_ROWS = 2000
#: Most terms combined pairwise ("at least two of them") when narrowing.
PAIR_TERMS = 3


def plan_fts5_match(db, fts_table: str, content_table: str, parsed: ParsedQuery) -> list[str]:
    """FTS5 expressions to rank with, narrowest first, the exact one last.

    The caller uses the first that yields enough rows. Exact only, or
    narrowed on a large collection.

    ``db`` is a sqlite3 connection (see :func:`sqlite3_of`).

    bm25() scores every row that matches any term, and a ticket subject's
    everyday words ("laptop", "work", "get") match a large share of a big
    collection: at 100,000 articles the plain OR takes hundreds of ms. When
    the estimated number of matching rows exceeds :data:`ROW_BUDGET`, the
    expression is narrowed, rarest terms first (row counts estimated on the
    newest :data:`SAMPLE_ROWS` rows):

    - terms rare enough together stay single: a row matching one is a candidate;
    - up to :data:`PAIR_TERMS` further terms count when a row has two of them;
    - the commonest terms (lowest idf) are left out;
    - when every term is common, the rows having all of the rarest few.

    Every kept term appears the same number of times in the expression, so
    bm25 over the narrowed expression is bm25 over the kept terms (scaled).
    Left-out terms have the lowest idf, so they weigh least in bm25; leaving
    them out reorders the candidates a little and misses rows only they
    match. bench/bench_kb_search.py reports how often the top ten still
    agree with the exact ranking.
    Small collections, and queries whose terms are all rare, get the exact
    ranked OR (:func:`fts5_or`).
    """
    exact = fts5_or(parsed)
    words = list(parsed.words)
    if len(words) < 2:
        return [exact]
    newest = db.execute(f"SELECT max(id) FROM {content_table}").fetchone()[0] or 0
    if newest <= ROW_BUDGET:
        return [exact]
    low = max(0, newest - SAMPLE_ROWS)
    scale = newest / (newest - low)

    def estimate(expressions: Sequence[str]) -> list[float]:
        counts = ", ".join(f"(SELECT count(*) FROM {fts_table} WHERE {fts_table} MATCH ? AND rowid > ?)"
                           for _ in expressions)
        args = [value for expression in expressions for value in (expression, low)]
        return [count * scale for count in db.execute(f"SELECT {counts}", args).fetchone()]

    counts = estimate([fts5_term(t) for t in words])
    if sum(counts) <= ROW_BUDGET:
        return [exact]
    ranked = sorted(zip(counts, range(len(words))), key=lambda pair: pair)
    singles: list[Term] = []
    total = 0.0
    for count, index in ranked:
        if total + count > ROW_BUDGET / 2:
            break
        singles.append(words[index])
        total += count
    rest = [words[index] for _, index in ranked[len(singles):len(singles) + PAIR_TERMS]]
    pairs = ""
    while len(rest) >= 2:
        pairs = " OR ".join(f"({fts5_term(a)} AND {fts5_term(b)})"
                            for i, a in enumerate(rest) for b in rest[i + 1:])
        if estimate([pairs])[0] <= ROW_BUDGET / 2:
            break
        rest.pop()
        pairs = ""

    def required(expression: str) -> str:
        if not parsed.phrases:
            return expression
        return fts5_and(parsed.phrases) + f" AND ({expression})"

    plans = []
    if pairs or total >= 1:  # singles that (by the sample) match something
        # Each paired term appears len(rest) - 1 times: repeat the singles as often.
        copies = max(1, len(rest) - 1) if pairs else 1
        branches = [fts5_term(t) for t in singles for _ in range(copies)] + ([pairs] if pairs else [])
        plans.append(required(" OR ".join(branches)))
    # Then the rows having all of the rarest few terms (fewer and fewer).
    present = [words[index] for count, index in ranked if count > 0]
    if len(present) >= 2:
        needed = present[:2]
        for term in present[2:]:
            if estimate([fts5_and(needed)])[0] <= ROW_BUDGET:
                break
            needed.append(term)
        plans += [required(fts5_and(needed[:n])) for n in range(len(needed), 1, -1)]
    return plans + [exact]
