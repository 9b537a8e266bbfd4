"""full-text search for articles and tickets

SQLite: FTS5 external-content tables kept in sync by triggers.
PostgreSQL: stored generated tsvector columns with GIN indexes, over a text
search configuration without a stop list and an IMMUTABLE diacritics fold
(``translate``), so no extension (unaccent) is needed.

Revision ID: 0002_fulltext
Revises: 0001_initial
Create Date: 2026-11-23
"""

import unicodedata

from alembic import op

revision = "0002_fulltext"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

TOKENIZE = "porter unicode61 remove_diacritics 2"
# Longest text indexed on PostgreSQL (a tsvector is limited to 1 MB).
PG_MAX_CHARS = 200000

SQLITE_UP = [
    f"""CREATE VIRTUAL TABLE articles_fts USING fts5(
  title, tags, body, content='articles', content_rowid='id', tokenize='{TOKENIZE}', prefix='2 3')""",
    """CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts(rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body);
END""",
    """CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, title, tags, body)
  VALUES ('delete', old.id, old.title, old.tags, old.body);
END""",
    # Only the indexed columns: counting a view must not re-index the article.
    """CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, tags, body ON articles BEGIN
  INSERT INTO articles_fts(articles_fts, rowid, title, tags, body)
  VALUES ('delete', old.id, old.title, old.tags, old.body);
  INSERT INTO articles_fts(rowid, title, tags, body) VALUES (new.id, new.title, new.tags, new.body);
END""",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    f"""CREATE VIRTUAL TABLE tickets_fts USING fts5(
  subject, description, resolution_notes, content='tickets', content_rowid='id', tokenize='{TOKENIZE}')""",
    """CREATE TRIGGER tickets_fts_ai AFTER INSERT ON tickets BEGIN
  INSERT INTO tickets_fts(rowid, subject, description, resolution_notes)
  VALUES (new.id, new.subject, new.description, new.resolution_notes);
END""",
    """CREATE TRIGGER tickets_fts_ad AFTER DELETE ON tickets BEGIN
  INSERT INTO tickets_fts(tickets_fts, rowid, subject, description, resolution_notes)
  VALUES ('delete', old.id, old.subject, old.description, old.resolution_notes);
END""",
    # Status, assignee and SLA updates are frequent: only text changes re-index.
    """CREATE TRIGGER tickets_fts_au
AFTER UPDATE OF subject, description, resolution_notes ON tickets BEGIN
  INSERT INTO tickets_fts(tickets_fts, rowid, subject, description, resolution_notes)
  VALUES ('delete', old.id, old.subject, old.description, old.resolution_notes);
  INSERT INTO tickets_fts(rowid, subject, description, resolution_notes)
  VALUES (new.id, new.subject, new.description, new.resolution_notes);
END""",
    "INSERT INTO tickets_fts(tickets_fts) VALUES ('rebuild')",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS tickets_fts_au",
    "DROP TRIGGER IF EXISTS tickets_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_fts_ai",
    "DROP TABLE IF EXISTS tickets_fts",
    "DROP TRIGGER IF EXISTS articles_fts_au",
    "DROP TRIGGER IF EXISTS articles_fts_ad",
    "DROP TRIGGER IF EXISTS articles_fts_ai",
    "DROP TABLE IF EXISTS articles_fts",
]


def _fold_map() -> tuple[str, str]:
    """Latin letters with diacritics and their base letters, for translate().

    Frozen here (not imported from the app) so the migration stays what it was.
    """
    source, target = [], []
    for code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
        if len(base) == 1 and base != char and base.isascii() and base.isalpha():
            source.append(char)
            target.append(base)
    return "".join(source), "".join(target)


def _pg_up() -> list[str]:
    source, target = _fold_map()
    vector = "setweight(to_tsvector('deskui_english'::regconfig, deskui_fold(left({col}, {n}))), '{w}')"

    def weighted(*pairs: tuple[str, str]) -> str:
        return " || ".join(vector.format(col=col, n=PG_MAX_CHARS, w=w) for col, w in pairs)

    return [
        # The English Snowball stemmer without PostgreSQL's stop list: deskui
        # drops its own (small) stop list at query time, the same on SQLite.
        "CREATE TEXT SEARCH DICTIONARY deskui_english_stem (TEMPLATE = snowball, Language = english)",
        "CREATE TEXT SEARCH CONFIGURATION deskui_english (COPY = english)",
        """ALTER TEXT SEARCH CONFIGURATION deskui_english
  ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part WITH deskui_english_stem""",
        f"""CREATE FUNCTION deskui_fold(value text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  -- Plain ASCII (most ticket text) skips translate(), which costs ~4 ms a call here.
  AS $$ SELECT CASE WHEN value ~ '^[[:ascii:]]*$' THEN value
                     ELSE translate(value, '{source}', '{target}') END $$""",
        f"""ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  {weighted(("title", "A"), ("tags", "B"), ("body", "C"))}) STORED""",
        "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
        f"""ALTER TABLE tickets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
  {weighted(("subject", "A"), ("resolution_notes", "B"), ("description", "C"))}) STORED""",
        "CREATE INDEX ix_tickets_search_vector ON tickets USING gin (search_vector)",
    ]


PG_DOWN = [
    "DROP INDEX IF EXISTS ix_tickets_search_vector",
    "ALTER TABLE tickets DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS deskui_fold(text)",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS deskui_english",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS deskui_english_stem",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(_pg_up())
    else:  # pragma: no cover - deskui supports these two only
        raise RuntimeError(f"full-text search: unsupported database {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(PG_DOWN)
