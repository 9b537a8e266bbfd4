"""routing model and CJK full text (issue 16.2, 16.3)

1. ``routing_models``: the trained routing classifier, stored as numeric arrays.
2. Chinese and Japanese text in the full-text indexes: a run of such characters,
   written without spaces, was one word. It is now indexed as overlapping
   two-character pieces (``deskui_cjk``: deskui.domain.text.cjk_bigrams; the
   ranges and the rewrite are frozen here). SQLite: the sync triggers index
   ``deskui_cjk(column)`` (a function deskui registers on every connection) and
   both indexes are rebuilt. PostgreSQL: an IMMUTABLE SQL function does the same
   rewrite and the generated ``search_vector`` columns (and their GIN indexes)
   are made again over it.

Revision ID: 0012_routing_model
Revises: 0011_rollups
Create Date: 2026-12-03
"""
import re

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = "0012_routing_model"
down_revision = "0011_rollups"
branch_labels = None
depends_on = None

CJK = ("\u3005-\u3007\u3040-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
       "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002fa1f")
_ANY = re.compile(f"[{CJK}]")
_RUN = re.compile(f"([{CJK}]+)")
_INNER = re.compile(f"(?<=[{CJK}])([{CJK}])(?=[{CJK}])")
PG_MAX_CHARS = 200000  # as 0002
INDEXED = {"articles": (("title", "A"), ("tags", "B"), ("body", "C")),
           "tickets": (("subject", "A"), ("resolution_notes", "B"), ("description", "C"))}


FTS_COLUMNS = {"articles": ("title", "tags", "body"), "tickets": ("subject", "description", "resolution_notes")}


def _cjk(text):
    if not text or not _ANY.search(text):
        return text
    return _INNER.sub(r"\1 \1", _RUN.sub(r" \1 ", text))


def _sqlite_triggers(function: str | None) -> list[str]:
    out = []
    for table in INDEXED:
        names = FTS_COLUMNS[table]  # in the FTS5 table's order
        fts, cols = f"{table}_fts", ", ".join(names)

        def values(row: str, names=names) -> str:
            return ", ".join(f"{function}({row}.{c})" if function else f"{row}.{c}" for c in names)

        out += [*(f"DROP TRIGGER IF EXISTS {fts}_{when}" for when in ("ai", "ad", "au")),
                f"""CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN
  INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {values("new")});
END""",
                f"""CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN
  INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {values("old")});
END""",
                f"""CREATE TRIGGER {fts}_au AFTER UPDATE OF {cols} ON {table} BEGIN
  INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {values("old")});
  INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {values("new")});
END""",
                f"INSERT INTO {fts}({fts}) VALUES ('delete-all')",
                f"INSERT INTO {fts}(rowid, {cols}) SELECT id, {values(table)} FROM {table}"]
    return out


def _pg_vectors(wrap: bool) -> list[str]:
    out = []
    for table, columns in INDEXED.items():
        def one(col: str, weight: str) -> str:
            text = f"left({col}, {PG_MAX_CHARS})"
            if wrap:
                text = f"left(deskui_cjk({text}), {PG_MAX_CHARS})"
            return f"setweight(to_tsvector('deskui_english'::regconfig, deskui_fold({text})), '{weight}')"

        out += [f"DROP INDEX IF EXISTS ix_{table}_search_vector",
                f"ALTER TABLE {table} DROP COLUMN IF EXISTS search_vector",
                f"ALTER TABLE {table} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
                f"{' || '.join(one(c, w) for c, w in columns)}) STORED",
                f"CREATE INDEX ix_{table}_search_vector ON {table} USING gin (search_vector)"]
    return out


def _pg_function() -> str:
    ranges = CJK  # the characters themselves (Python read the escapes): PostgreSQL takes them in brackets
    return f"""CREATE OR REPLACE FUNCTION deskui_cjk(value text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT CASE WHEN value !~ '[{ranges}]' THEN value
                    ELSE regexp_replace(regexp_replace(value, '([{ranges}]+)', ' \\1 ', 'g'),
                                        '(?<=[{ranges}])([{ranges}])(?=[{ranges}])', '\\1 \\1', 'g') END $$"""


def upgrade() -> None:
    op.create_table(
        "routing_models",
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("trained_at", sa.DateTime(), nullable=False),
        sa.Column("trained_on", sa.Integer(), nullable=False),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("arrays", sa.LargeBinary(), nullable=False),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("min_confidence", sa.Float(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("target"),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.connection.driver_connection.create_function("deskui_cjk", 1, _cjk, deterministic=True)
        for statement in _sqlite_triggers("deskui_cjk"):
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        op.execute(_pg_function())
        for statement in _pg_vectors(wrap=True):
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in _sqlite_triggers(None):
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        for statement in _pg_vectors(wrap=False):
            op.execute(statement)
        op.execute("DROP FUNCTION IF EXISTS deskui_cjk(text)")
    op.drop_table("routing_models")
