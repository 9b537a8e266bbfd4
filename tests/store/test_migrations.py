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
    def keep(diff) -> bool:
        # Full-text machinery (FTS5 shadow tables, tsvector) is created by raw SQL on purpose.
        text = repr(diff)
        return "_fts" not in text and "search_vector" not in text and "tsv" not in text

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        return [d for d in compare_metadata(context, SQLModel.metadata) if keep(d)]


def test_migrated_schema_matches_models(engine):
    assert current_revision(engine) == head_revision()
    check_schema(engine)
    assert _diffs(engine) == []
