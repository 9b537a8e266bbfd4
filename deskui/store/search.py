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
  :func:`_pg_ranked_ids_sql`). Snippets come from ``ts_headline`` over the
  original text, so a word matched only through folding ("cafe" for "café")
  is found but not highlighted there.

What a user types is data, never query syntax. :func:`parse_query` reduces it
to alphanumeric tokens, and the engine expressions are built from those
tokens only, so no input can raise a syntax error:

- words become a ranked OR (stop words such as "the" and "my" are dropped
  unless nothing else is left);
- ``"quoted phrases"`` must match as phrases (they are required);
- ``word*`` is a prefix search;
- ``wi-fi`` / ``outlook.exe`` (words joined by ``-`` or ``.``) match either
  as the phrase "wi fi" or as the single word "wifi";
- diacritics are folded ("résumé" finds "resume" and the other way round).

Snippets are plain text. Matched terms are wrapped in :data:`MARK_START`
(``"\\x02"``) and :data:`MARK_END` (``"\\x03"``) so a screen can highlight
them without markup (stored text never contains C0 controls: they are
stripped on the way in). :func:`strip_marks` removes them.

Queries return frozen dataclasses and open nothing lazily, so they can run in
a worker thread with their own session.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence, Union

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

MARK_START = "\x02"
MARK_END = "\x03"

#: Text search configuration and fold function created on PostgreSQL by migration 0002.
PG_CONFIG = "deskui_english"
#: Most distinct terms one query uses (a long ticket description keeps its first words).
MAX_TERMS = 32

# bm25 column weights: title (subject) above tags (resolution) above body (description).
ARTICLE_WEIGHTS = (10.0, 5.0, 1.0)
TICKET_WEIGHTS = (3.0, 1.0, 2.0)  # subject, description, resolution_notes
# ts_rank_cd weights in PostgreSQL's order {D, C, B, A}.
# ts_rank saturates per term, so body matches need a larger share than in bm25
# (measured on the labelled set: bench/eval_kb.py).
PG_ARTICLE_WEIGHTS = "{0.0, 0.4, 0.7, 1.0}"
PG_TICKET_WEIGHTS = "{0.0, 0.4, 0.7, 1.0}"  # A subject, B resolution_notes, C description

# A small English stop list: words that carry no topic in a ticket subject.
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can cannot could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves
    don doesn didn isn aren wasn weren won wouldn couldn shouldn hasn haven hadn ve ll re
    hi hello please thanks thank regards dear
    """.split()
)

_TOKEN = re.compile(r"[^\W_]+")
# English contractions: "user's" -> "user", "can't" -> "can", "we're" -> "we".
_CONTRACTION = re.compile(r"(?<=[^\W_])['\u2019](?:s|t|re|ve|ll|d|m)(?![^\W_])", re.IGNORECASE)
# Words joined by these (wi-fi, outlook.exe, 10.0.0.1) form one compound.
_COMPOUND_JOINERS = frozenset("-.")


def fold(text: str) -> str:
    """Lower-case and strip diacritics (NFD, drop combining marks)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# --------------------------------------------------------------------- parsing

@dataclass(frozen=True)
class Term:
    """One search item: a word (one token), a phrase, or a compound.

    ``tokens`` are folded alphanumeric tokens. A phrase matches the tokens in
    order; a compound (``wi-fi``) matches the phrase or the tokens written as
    one word. ``prefix`` makes the last token a prefix.
    """

    tokens: tuple[str, ...]
    prefix: bool = False
    compound: bool = False

    @property
    def is_word(self) -> bool:
        return len(self.tokens) == 1


@dataclass(frozen=True)
class ParsedQuery:
    words: tuple[Term, ...]    # optional, ranked (OR)
    phrases: tuple[Term, ...]  # required ("quoted")

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases


def _chunk_terms(chunk: str) -> list[Term]:
    """The terms of one whitespace-separated chunk of unquoted text."""
    if chunk.isalnum():  # the common case: one plain word
        return [Term((fold(chunk),))]
    chunk = _CONTRACTION.sub("", chunk)
    matches = list(_TOKEN.finditer(chunk))
    if not matches:
        return []
    terms: list[Term] = []
    group: list[str] = []
    for index, match in enumerate(matches):
        group.append(fold(match.group()))
        following = chunk[match.end():matches[index + 1].start()] if index + 1 < len(matches) else chunk[match.end():]
        last = index + 1 == len(matches)
        joined = not last and len(following) == 1 and following in _COMPOUND_JOINERS
        if joined:
            continue
        prefix = following.startswith("*")
        terms.append(Term(tuple(group), prefix=prefix, compound=len(group) > 1))
        group = []
    return terms


def _is_stop(term: Term) -> bool:
    if not term.is_word:
        return False
    token = term.tokens[0]
    return token in STOP_WORDS or (len(token) == 1 and not token.isdigit() and not term.prefix)


def _dedupe(terms: Sequence[Term]) -> list[Term]:
    seen: set[Term] = set()
    out = []
    for term in terms:
        if term not in seen:
            seen.add(term)
            out.append(term)
    return out


def _phrase_term(text: str) -> Term | None:
    tokens = tuple(fold(t) for t in _TOKEN.findall(_CONTRACTION.sub("", text)))
    if not tokens:
        return None
    prefix = text.rstrip().endswith("*")
    return Term(tokens, prefix=prefix)


def _word_terms(chunks: Sequence[str], *, drop_stop_words: bool = True) -> list[Term]:
    terms = _dedupe([t for chunk in chunks for t in _chunk_terms(chunk)])
    if drop_stop_words:
        content = [t for t in terms if not _is_stop(t)]
        if content:  # a query of only stop words still searches for them
            terms = content
    return terms[:MAX_TERMS]


def parse_query(text: str) -> ParsedQuery:
    """Split free text into ranked words and required "quoted phrases".

    An unbalanced quote is ignored (its text is read as words).
    """
    text = text or ""
    parts = text.split('"')
    if len(parts) % 2 == 0:  # odd number of quotes: the last one opens nothing
        parts[-2:] = [parts[-2] + " " + parts[-1]]
    word_chunks: list[str] = []
    phrases: list[Term] = []
    for index, part in enumerate(parts):
        if index % 2:
            term = _phrase_term(part)
            if term is not None:
                phrases.append(term)
        else:
            word_chunks.extend(part.split())
    return ParsedQuery(words=tuple(_word_terms(word_chunks)), phrases=tuple(_dedupe(phrases)[:MAX_TERMS]))


# ------------------------------------------------------- engine expressions

def _fts5_phrase(tokens: Sequence[str], prefix: bool) -> str:
    # Tokens are alphanumeric: quoting them cannot produce FTS5 syntax.
    return '"' + " ".join(tokens) + '"' + ("*" if prefix else "")


def fts5_term(term: Term) -> str:
    phrase = _fts5_phrase(term.tokens, term.prefix)
    if term.compound:
        return f'({phrase} OR {_fts5_phrase(("".join(term.tokens),), term.prefix)})'
    return phrase


def fts5_or(query: ParsedQuery) -> str:
    """An FTS5 expression: required phrases AND a ranked OR of everything.

    Phrases appear inside the OR too so that the OR group is always satisfied
    when they match: the words then only rank, they don't filter.
    """
    everything = " OR ".join(fts5_term(t) for t in (*query.phrases, *query.words))
    if not query.phrases:
        return everything
    required = " AND ".join(fts5_term(t) for t in query.phrases)
    return f"{required} AND ({everything})"


def fts5_and(terms: Sequence[Term]) -> str:
    """Every term must match (FTS5 implicit AND)."""
    return " AND ".join(fts5_term(t) for t in terms)


def _tsquery_phrase(tokens: Sequence[str], prefix: bool) -> str:
    body = " <-> ".join(tokens)
    return body + (":*" if prefix else "")


def tsquery_term(term: Term) -> str:
    """A to_tsquery() operand. Tokens are alphanumeric, so no syntax from input."""
    phrase = _tsquery_phrase(term.tokens, term.prefix)
    if term.compound:
        return f"({phrase} | {_tsquery_phrase(('' .join(term.tokens),), term.prefix)})"
    return f"({phrase})" if len(term.tokens) > 1 else phrase


def tsquery_or(terms: Sequence[Term]) -> str:
    return " | ".join(tsquery_term(t) for t in terms)


def tsquery_and(terms: Sequence[Term]) -> str:
    return " & ".join(tsquery_term(t) for t in terms)


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


SessionOrConnection = Union[Session, Connection]


def _dialect(session_or_conn: SessionOrConnection) -> str:
    bind = session_or_conn.get_bind() if isinstance(session_or_conn, Session) else session_or_conn
    return bind.dialect.name


def strip_marks(text: str) -> str:
    return text.replace(MARK_START, "").replace(MARK_END, "")


_SNIPPET_MARKUP = re.compile(r"(?m)^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+)|\*+|__|`+")
_SPACES = re.compile(r"\s+")


def clean_snippet(text: str) -> str:
    """One line of plain text: Markdown emphasis, headings and bullets dropped."""
    return _SPACES.sub(" ", _SNIPPET_MARKUP.sub("", text or "")).strip()


# ------------------------------------------------- PostgreSQL BM25-like rank

def _pg_ranked_ids_sql(table: str, weights: str, n_terms: int, filters: str, *, required: bool) -> str:
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


def _pg_params(parsed: ParsedQuery, limit: int) -> tuple[dict, int]:
    everything = (*parsed.phrases, *parsed.words)
    params: dict[str, object] = {f"t{i}": tsquery_term(term) for i, term in enumerate(everything)}
    params["ranked"] = tsquery_or(everything)
    params["match"] = tsquery_and(parsed.phrases) if parsed.phrases else params["ranked"]
    params["limit"] = limit
    return params, len(everything)


# ------------------------------------------------------- SQLite ranking

def _sqlite3(session: SessionOrConnection):
    """The sqlite3 connection under a Session or Connection (in its transaction).

    The SQLite search path runs several small statements per query; through
    the DB-API directly each costs a few µs instead of SQLAlchemy's ~100 µs.
    """
    connection = session.connection() if isinstance(session, Session) else session
    return connection.connection.driver_connection


def _sqlite_ranked(
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
    if _dialect(session) == "postgresql":
        params, n_terms = _pg_params(parsed, limit)
        filters = "" if include_drafts else "AND x.status = 'published'"
        ranked = _pg_ranked_ids_sql("articles", PG_ARTICLE_WEIGHTS, n_terms, filters, required=bool(parsed.phrases))
        rows = session.execute(sa.text(_PG_HEADLINE.replace("__RANKED__", ranked)), params).all()
        return [ArticleHit(id=r[0], external_id=r[1], title=r[2], tags=r[3], category=r[4], status=r[5],
                           score=float(r[6]), snippet=clean_snippet(r[7])) for r in rows]
    db = _sqlite3(session)
    ranked, match = _sqlite_ranked(
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

    ``db`` is a sqlite3 connection (see :func:`_sqlite3`).

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
    # Each paired term appears len(rest) - 1 times: repeat the singles as often.
    copies = max(1, len(rest) - 1)
    branches = [fts5_term(t) for t in singles for _ in range(copies)] + ([pairs] if pairs else [])
    narrowed = " OR ".join(branches)
    if parsed.phrases:
        narrowed = " AND ".join(fts5_term(t) for t in parsed.phrases) + f" AND ({narrowed})"
    return narrowed


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
    if _dialect(session) == "postgresql":
        params, n_terms = _pg_params(parsed, limit)
        filters = ""
        if resolved_only:
            filters += " AND x.status IN ('resolved', 'closed')"
        if exclude_id is not None:
            filters += " AND x.id <> :exclude"
            params["exclude"] = exclude_id
        ranked_sql = sa.text(_pg_ranked_ids_sql("tickets", PG_TICKET_WEIGHTS, n_terms, filters,
                                                required=bool(parsed.phrases)))
        r = ranked_sql.columns(sa.column("id", sa.Integer), sa.column("score", sa.Float)).subquery("r")
        stmt = sa.select(*columns, r.c.score).join_from(r, t, t.c.id == r.c.id).order_by(
            r.c.score.desc(), t.c.id.desc())
        return [_ticket_hit(row, row.score) for row in session.execute(stmt, params)]
    ranked, _ = _sqlite_ranked(
        _sqlite3(session), "tickets_fts", "tickets", TICKET_WEIGHTS, parsed, limit,
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
    terms = _word_terms(list(words)) + [t for t in (_phrase_term(p) for p in phrases) if t is not None]
    terms = _dedupe(terms)
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


# ------------------------------------------------------------------ upkeep

# The SQLite sync triggers (the same DDL as migration 0002). A migration that
# rebuilds ``articles`` or ``tickets`` with batch_alter_table drops them:
# :func:`reindex` puts them back.
SQLITE_TRIGGERS = {
    "articles_fts_ai": """CREATE TRIGGER IF NOT EXISTS articles_fts_ai AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts(rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body);
END""",
    "articles_fts_ad": """CREATE TRIGGER IF NOT EXISTS articles_fts_ad AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, title, tags, body)
  VALUES ('delete', old.id, old.title, old.tags, old.body);
END""",
    "articles_fts_au": """CREATE TRIGGER IF NOT EXISTS articles_fts_au AFTER UPDATE OF title, tags, body ON articles BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, title, tags, body)
  VALUES ('delete', old.id, old.title, old.tags, old.body);
  INSERT INTO articles_fts(rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body);
END""",
    "tickets_fts_ai": """CREATE TRIGGER IF NOT EXISTS tickets_fts_ai AFTER INSERT ON tickets BEGIN
  INSERT INTO tickets_fts(rowid, subject, description, resolution_notes)
  VALUES (new.id, new.subject, new.description, new.resolution_notes);
END""",
    "tickets_fts_ad": """CREATE TRIGGER IF NOT EXISTS tickets_fts_ad AFTER DELETE ON tickets BEGIN
  INSERT INTO tickets_fts(tickets_fts, rowid, subject, description, resolution_notes)
  VALUES ('delete', old.id, old.subject, old.description, old.resolution_notes);
END""",
    "tickets_fts_au": """CREATE TRIGGER IF NOT EXISTS tickets_fts_au
AFTER UPDATE OF subject, description, resolution_notes ON tickets BEGIN
  INSERT INTO tickets_fts(tickets_fts, rowid, subject, description, resolution_notes)
  VALUES ('delete', old.id, old.subject, old.description, old.resolution_notes);
  INSERT INTO tickets_fts(rowid, subject, description, resolution_notes)
  VALUES (new.id, new.subject, new.description, new.resolution_notes);
END""",
}


@dataclass(frozen=True)
class ReindexSummary:
    articles: int
    tickets: int


def reindex(session: SessionOrConnection) -> ReindexSummary:
    """Rebuild both indexes from the tables (and restore missing SQLite triggers)."""
    if _dialect(session) == "postgresql":
        # The tsvector columns are generated; rebuilding the GIN indexes is all there is.
        session.execute(sa.text("REINDEX INDEX ix_articles_search_vector"))
        session.execute(sa.text("REINDEX INDEX ix_tickets_search_vector"))
    else:
        for ddl in SQLITE_TRIGGERS.values():
            session.execute(sa.text(ddl))
        session.execute(sa.text("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')"))
        session.execute(sa.text("INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')"))
    articles = session.execute(sa.text("SELECT count(*) FROM articles")).scalar_one()
    tickets = session.execute(sa.text("SELECT count(*) FROM tickets")).scalar_one()
    return ReindexSummary(articles=int(articles), tickets=int(tickets))


# Names of the search objects migration 0002 creates outside the SQLModel
# metadata; Alembic autogenerate must not propose dropping them.
SEARCH_TABLE_PREFIXES = ("articles_fts", "tickets_fts")
SEARCH_COLUMNS = frozenset({"search_vector"})
SEARCH_INDEXES = frozenset({"ix_articles_search_vector", "ix_tickets_search_vector"})


def alembic_include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For ``context.configure(include_object=...)`` in migrations/env.py."""
    if type_ == "table" and name and name.startswith(SEARCH_TABLE_PREFIXES):
        return False
    if type_ == "column" and name in SEARCH_COLUMNS:
        return False
    if type_ == "index" and name in SEARCH_INDEXES:
        return False
    return True
