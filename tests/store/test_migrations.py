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
