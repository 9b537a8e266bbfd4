"""Keeping the search indexes: the SQLite sync triggers, a full rebuild, and what
Alembic must leave alone (the search objects live outside the SQLModel metadata)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from deskui.store.search_rank import SessionOrConnection, dialect_of

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
    if dialect_of(session) == "postgresql":
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
