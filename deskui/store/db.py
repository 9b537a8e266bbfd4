"""Engines and sessions for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on and a 5 s busy timeout so many
deskui processes can share one file (DESIGN.md §3).
"""

from __future__ import annotations

import ast
import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.exc import DatabaseError as SADatabaseError

from deskui.errors import DatabaseOpenError, SchemaError

if TYPE_CHECKING:
    from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Accept a bare path as a SQLite file and postgres:// as psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling is replaced: BEGIN IMMEDIATE for writes
    # is issued by write_session() so writers queue on busy_timeout, not fail.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(conn) -> None:
    if conn.get_execution_options().get("sqlite_immediate"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str, *, create_dirs: bool = True) -> Engine:
    """Create an engine; raise DatabaseOpenError with one clear line if it can't."""
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseOpenError(f"database URL {url!r} is not valid: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            path = Path(database)
            if create_dirs:
                try:
                    path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseOpenError(f"cannot open database {path}: {exc.strerror}") from None
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif parsed.get_backend_name() == "postgresql":
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError:
            raise DatabaseOpenError(
                "PostgreSQL needs psycopg: pip install 'deskui[postgres]'"
            ) from None
    else:
        raise DatabaseOpenError(
            f"database URL {url!r}: unsupported backend {parsed.get_backend_name()!r}; "
            "use sqlite:///PATH or postgresql://..."
        )
    return engine


def check_connect(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, SADatabaseError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseOpenError(f"cannot open database {engine.url.render_as_string(hide_password=True)}: {reason}") from None


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    from sqlmodel import Session  # here, not above: the app's start needs no sqlmodel (store/tables.py)

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A write transaction. On SQLite it takes the write lock up front
    (BEGIN IMMEDIATE) so concurrent writers wait on busy_timeout instead of
    failing when a read lock cannot be upgraded."""
    from sqlmodel import Session

    bind = engine.execution_options(sqlite_immediate=True) if is_sqlite(engine) else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# ---------------------------------------------------------------- migrations

def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration. Read from the files' ``revision = ...`` lines:
    importing alembic costs more than the rest of the app's startup (DESIGN.md
    §4); alembic itself decides when the files are not that simple."""
    try:
        return _head_from_files()
    except (ValueError, SyntaxError):
        from alembic.script import ScriptDirectory

        return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _head_from_files() -> str:
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = dict((key, ast.literal_eval(value)) for key, value in _REVISION_LINE.findall(path.read_text()))
        revision, down = found.get("revision"), found.get("down_revision")
        if not isinstance(revision, str):
            raise ValueError(f"{path.name}: no plain revision line")
        revisions.add(revision)
        parents.update([down] if isinstance(down, str) else (down or ()))
    heads = revisions - parents
    if len(heads) != 1:
        raise ValueError(f"migrations have {len(heads)} heads")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return row[0] if row else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def check_schema(engine: Engine) -> None:
    """Refuse to run against a missing database or a schema older (or newer) than the code."""
    database = engine.url.database if is_sqlite(engine) else None
    if database and database != ":memory:" and not Path(database).exists():
        raise DatabaseOpenError(f"database {database} does not exist: run `deskui init` (or `deskui init --demo`)")
    check_connect(engine)
    current = current_revision(engine)
    head = head_revision()
    if current is None:
        raise SchemaError("database has no deskui schema: run `deskui init` (or `deskui db upgrade`)")
    if current != head:
        raise SchemaError(
            f"database schema is at revision {current}, this deskui needs {head}: run `deskui db upgrade`"
        )


@lru_cache(maxsize=8)
def cached_engine(url: str) -> Engine:
    return make_engine(url)
