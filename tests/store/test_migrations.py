"""Migrations: one head, and the migrated schema matches the SQLModel tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import deskui.store.models  # noqa: F401
from deskui.store.db import MIGRATIONS_DIR, check_schema, current_revision, head_revision


def test_single_head():
    heads = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"


def _diffs(engine):
    from deskui.store.search_index import alembic_include_object

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False, "include_object": alembic_include_object})
        return compare_metadata(context, SQLModel.metadata)


def test_migrated_schema_matches_models(engine):
    assert current_revision(engine) == head_revision()
    check_schema(engine)
    assert _diffs(engine) == []


def test_the_full_text_index_follows_every_ticket_and_article_after_every_migration(engine):
    """A migration that rebuilds the tickets table (an Alembic batch operation on
    SQLite) drops the triggers that keep the full-text index current: new tickets
    would silently never be found. Every trigger must survive to the head."""
    from sqlalchemy import text

    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
            assert {"tickets_fts_ai", "tickets_fts_ad", "tickets_fts_au",
                    "articles_fts_ai", "articles_fts_ad", "articles_fts_au"} <= names
        else:  # PostgreSQL keeps the index in generated search_vector columns
            tables = set(conn.execute(text(
                "SELECT table_name FROM information_schema.columns WHERE column_name = 'search_vector'")).scalars())
            assert {"tickets", "articles"} <= tables


def test_the_audit_trail_is_append_only(engine):
    """Ticket events, comments, problem events and survey answers cannot be updated
    or deleted, even through raw SQL (issue 12.4): a correction is a new row."""
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from deskui.services.actors import SYSTEM, actor_for
    from deskui.services.problems import create_problem
    from deskui.services.seed import seed_demo_org
    from deskui.services.tickets import add_comment, open_ticket, resolve
    from deskui.services.survey import record_survey
    from deskui.resources import sample_data_dir

    seed_demo_org(engine, sample_data_dir())
    t = open_ticket(engine, SYSTEM, subject="Printer offline", requester="ann@example.com")
    add_comment(engine, SYSTEM, t.id, "On it")
    resolve(engine, SYSTEM, t.id, code="solved", notes="fixed")
    record_survey(engine, t.id, 5)
    create_problem(engine, actor_for(engine, "demo"), "Printers drop off the network", incidents=[t.id])
    with engine.connect() as conn:
        counts = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                  for table in ("ticket_events", "comments", "surveys", "problem_events")}
    assert all(counts.values())
    for statement in ("UPDATE ticket_events SET detail = 'rewritten'", "DELETE FROM ticket_events",
                      "UPDATE comments SET body = 'rewritten'", "DELETE FROM comments",
                      "UPDATE surveys SET score = 1", "DELETE FROM surveys",
                      "UPDATE problem_events SET detail = 'x'", "DELETE FROM problem_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    with engine.connect() as conn:
        assert {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() for table in counts} == counts
    # Appending still works: a correction is a new event.
    add_comment(engine, SYSTEM, t.id, "Correction: it was the toner")
