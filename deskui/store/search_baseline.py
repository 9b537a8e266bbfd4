"""The raw full-text rankings deskui's knowledge search is measured against
(``deskui kb evaluate``, bench/eval_kb.py): the engine's own ranking of the
query's escaped words, with nothing of deskui's (no stop list, no field weights,
no snippets). "or": any word may match (FTS5 ``bm25`` / ``ts_rank_cd``); "and":
every word required (FTS5's implicit AND; PostgreSQL ``plainto_tsquery``)."""

from __future__ import annotations

from sqlalchemy import text

_PG_VECTOR = "to_tsvector('english', a.title || ' ' || a.tags || ' ' || a.body)"


def published_article_ids(conn) -> set[str]:
    return set(conn.execute(text("SELECT external_id FROM articles WHERE status = 'published'")).scalars())


def raw_article_ranking(conn, query: str, *, mode: str = "or", limit: int = 10) -> list[str]:
    """External ids of published articles, best first, by the engine's own ranking."""
    words = [w for w in query.split() if w.strip()]
    if not words:
        return []
    if conn.dialect.name == "postgresql":
        tsquery = ("CAST(replace(plainto_tsquery('english', :q)::text, '&', '|') AS tsquery)" if mode == "or"
                   else "plainto_tsquery('english', :q)")
        rows = conn.execute(text(
            f"SELECT a.external_id FROM articles a, {tsquery} q WHERE {_PG_VECTOR} @@ q "
            f"AND a.status = 'published' ORDER BY ts_rank_cd({_PG_VECTOR}, q) DESC, a.id LIMIT :k"),
            {"q": query, "k": limit})
    else:
        joiner = " OR " if mode == "or" else " "
        match = joiner.join('"' + word.replace('"', '""') + '"' for word in words)
        rows = conn.execute(text(
            "SELECT a.external_id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
            "WHERE articles_fts MATCH :m AND a.status = 'published' ORDER BY rank, a.id LIMIT :k"),
            {"m": match, "k": limit})
    return [r[0] for r in rows]
