"""Keeping the search indexes: the SQLite sync triggers, a full rebuild, and what
Alembic must leave alone (the search objects live outside the SQLModel metadata)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from deskui.store.search_rank import SessionOrConnection, dialect_of

# The SQLite sync triggers (the same DDL as migration 0012). A migration that
# rebuilds ``articles`` or ``tickets`` with batch_alter_table drops them:
# :func:`reindex` puts them back. Text reaches the index through ``deskui_cjk``
# (deskui.domain.text.cjk_bigrams, registered on every connection by
# deskui.store.db): Chinese and Japanese runs are indexed as overlapping bigrams.
CJK_FUNCTION = "deskui_cjk"
_INDEXED = {"articles": ("title", "tags", "body"), "tickets": ("subject", "description", "resolution_notes")}


def _values(table: str, row: str) -> str:
    return ", ".join(f"{CJK_FUNCTION}({row}.{c})" for c in _INDEXED[table])


def _columns(table: str) -> str:
    return ", ".join(_INDEXED[table])


def _triggers() -> dict[str, str]:
    out = {}
    for table, watched in (("articles", "title, tags, body"), ("tickets", "subject, description, resolution_notes")):
        fts, cols = f"{table}_fts", _columns(table)
        out[f"{fts}_ai"] = f"""CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN
  INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {_values(table, "new")});
END"""
        out[f"{fts}_ad"] = f"""CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN
  INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {_values(table, "old")});
END"""
        # Only the indexed columns: status, SLA and view-count updates do not re-index.
        out[f"{fts}_au"] = f"""CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {watched} ON {table} BEGIN
  INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {_values(table, "old")});
  INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {_values(table, "new")});
END"""
    return out


SQLITE_TRIGGERS = _triggers()


def rebuild_sql(table: str) -> list[str]:
    """Statements that index ``table`` afresh (FTS5's own 'rebuild' would read the
    raw text, without the CJK bigrams)."""
    fts = f"{table}_fts"
    return [f"INSERT INTO {fts}({fts}) VALUES ('delete-all')",
            f"INSERT INTO {fts}(rowid, {_columns(table)}) SELECT id, {_values(table, table)} FROM {table}"]


@dataclass(frozen=True)
class ReindexSummary:
    articles: int
    tickets: int


def reindex(session: SessionOrConnection) -> ReindexSummary:
    """Rebuild both indexes from the tables (and restore missing SQLite triggers)."""
    if dialect_of(session) == "postgresql":
        # The tsvector columns are generated; rebuilding the GIN indexes is all there is.
        session.execute(sa.text("REINDEX INDEX ix_articles_search_vector"))
        session.execute(sa.text("REINDEX INDEX ix_tickets_search_vector"))
    else:
        for ddl in SQLITE_TRIGGERS.values():
            session.execute(sa.text(ddl))
        for statement in (*rebuild_sql("articles"), *rebuild_sql("tickets")):
            session.execute(sa.text(statement))
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
