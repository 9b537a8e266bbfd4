"""Engines and sessions for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with foreign keys on so many deskui processes can share
one file (DESIGN.md §3). A writer waits for the file's write lock for a bounded
time (``DESKUI_BUSY_TIMEOUT`` seconds, 5 by default), polling with short,
jittered sleeps so no waiter is starved; past that the write fails with
:class:`DatabaseBusy`, one line, and nothing written. :func:`run_write` re-runs a
whole transaction, from the start, after a transient failure (a busy SQLite
file, a PostgreSQL deadlock or serialization failure), within the same bound.
"""

from __future__ import annotations

import ast
import errno
import os
import random
import re
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, TypeVar

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.exc import DatabaseError as SADatabaseError

from deskui.errors import DatabaseBusy, DatabaseOpenError, SchemaError, ValidationError

if TYPE_CHECKING:
    from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
T = TypeVar("T")

BUSY_TIMEOUT_ENV = "DESKUI_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 5.0
_BUSY_OPTION = "deskui_busy_timeout"


def busy_timeout_from_env() -> float:
    """Seconds a write may wait for a busy database: ``DESKUI_BUSY_TIMEOUT`` or 5."""
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_BUSY_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise ValidationError(f"{BUSY_TIMEOUT_ENV}: {raw!r} is not a number of seconds from 0 to 3600")
    return seconds


def busy_timeout(engine: Engine) -> float:
    return float(engine.get_execution_options().get(_BUSY_OPTION, DEFAULT_BUSY_TIMEOUT))


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


def register_sqlite_functions(dbapi_connection) -> None:
    """``deskui_cjk(text)``: what the full-text triggers index (Chinese and Japanese
    runs as bigrams, deskui.domain.text.cjk_bigrams). A tool that opens the file
    without deskui must register it before it writes tickets or articles."""
    from deskui.domain.text import cjk_bigrams

    dbapi_connection.create_function("deskui_cjk", 1, cjk_bigrams, deterministic=True)


def _sqlite_pragmas(busy_ms: int):
    def on_connect(dbapi_connection, _record) -> None:
        # pysqlite's own transaction handling is replaced: BEGIN IMMEDIATE for writes
        # is issued by write_session() (see _sqlite_begin); busy_timeout covers the rest.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {busy_ms}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()
        register_sqlite_functions(dbapi_connection)

    return on_connect


def _sqlite_begin(conn) -> None:
    options = conn.get_execution_options()
    if options.get("sqlite_immediate"):
        _begin_immediate(conn, float(options.get(_BUSY_OPTION, DEFAULT_BUSY_TIMEOUT)))
    else:
        conn.exec_driver_sql("BEGIN")


def _begin_immediate(conn, seconds: float) -> None:
    """Take the write lock, waiting up to ``seconds``. SQLite's own busy handler
    sleeps ever longer (up to 100 ms) while newcomers poll at 1 ms, so under a storm
    an early waiter can starve past any timeout; here every waiter, old or new,
    polls with the same short, jittered sleep, so each has the same chance at
    every release. Nothing has been read or written yet, so a retry here is
    always safe."""
    import sqlite3

    raw = conn.connection.dbapi_connection
    cursor = raw.cursor()
    deadline = time.monotonic() + seconds
    cursor.execute("PRAGMA busy_timeout = 0")
    try:
        while time.monotonic() < deadline:
            try:
                cursor.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _sqlite_busy_text(str(exc)):
                    raise
            time.sleep(random.uniform(0.0005, 0.002))
        conn.exec_driver_sql("BEGIN IMMEDIATE")  # the last try: raises a wrapped OperationalError
    finally:
        cursor.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        cursor.close()


def _backoff(attempt: int, *, cap: float) -> float:
    return min(cap, 0.001 * (2 ** min(attempt, 10))) * random.uniform(0.5, 1.5)


def _sqlite_busy_text(text: str) -> bool:
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
_PG_TRANSIENT = {"40001", "40P01", "55P03"}


def is_busy(exc: BaseException) -> bool:
    """A failure that says only "not now": running the same transaction again may work."""
    if isinstance(exc, DatabaseBusy):
        return True
    if not isinstance(exc, SADatabaseError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlite_errorcode", None) is not None or type(orig).__module__.startswith("sqlite3"):
        return _sqlite_busy_text(str(orig))
    return getattr(orig, "sqlstate", None) in _PG_TRANSIENT or getattr(orig, "pgcode", None) in _PG_TRANSIENT


def _make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents owner-only (0700); folders that
    exist already keep their permissions."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(created, 0o700)  # mkdir's mode passes through the umask


def _private_file(path: Path):
    """Before SQLite opens a file that does not exist yet, create it owner-only
    (0600): SQLite gives the WAL and SHM files the database file's permissions.
    On SQLite the file's permissions are the boundary (README)."""

    def before_connect(_dialect, _record, _cargs, _cparams) -> None:
        if path.exists():
            return
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return
        except OSError:
            return  # SQLite reports why it cannot open the file, in its own words
        os.close(fd)
        os.chmod(path, 0o600)

    return before_connect


def make_engine(url: str, *, create_dirs: bool = True, busy_timeout: float | None = None) -> Engine:
    """Create an engine; raise DatabaseOpenError with one clear line if it can't.
    ``busy_timeout``: seconds a write waits for a busy database (default: the
    environment's ``DESKUI_BUSY_TIMEOUT``, else 5)."""
    seconds = busy_timeout_from_env() if busy_timeout is None else float(busy_timeout)
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseOpenError(f"database URL {url!r} is not valid: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        path = Path(database) if database and database != ":memory:" and not database.startswith("file:") else None
        if path is not None and create_dirs:
            try:
                _make_private_dirs(path.parent)
            except OSError as exc:
                raise DatabaseOpenError(f"cannot open database {path}: {exc.strerror}") from None
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": seconds},
                               execution_options={_BUSY_OPTION: seconds})
        event.listen(engine, "connect", _sqlite_pragmas(int(seconds * 1000)))
        event.listen(engine, "begin", _sqlite_begin)
        if path is not None:
            event.listen(engine, "do_connect", _private_file(path))
    elif parsed.get_backend_name() == "postgresql":
        try:
            engine = create_engine(url, pool_pre_ping=True, execution_options={_BUSY_OPTION: seconds})
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
        except BaseException as exc:
            session.rollback()
            if is_sqlite(engine) and is_busy(exc) and not isinstance(exc, DatabaseBusy):
                raise busy_error(engine) from exc
            raise


def busy_error(engine: Engine) -> DatabaseBusy:
    return DatabaseBusy(
        f"the database is busy (another process is writing); gave up after {busy_timeout(engine):g} s, "
        f"nothing was changed: try again in a moment ({BUSY_TIMEOUT_ENV} sets the wait)"
    )


class Retry(Exception):
    """Raised inside :func:`run_write`'s work: roll back and run it again from the start."""

    def __init__(self, give_up: Callable[[], BaseException]):
        super().__init__("retry")
        self.give_up = give_up


def run_write(engine: Engine, work: Callable[[Session], T]) -> T:
    """``work`` in a write transaction, re-run from the start (on a fresh session,
    after a rollback) while the database answers "busy", a PostgreSQL deadlock or
    serialization failure, or ``work`` raises :class:`Retry`, for at most the
    engine's busy timeout. Only for work whose every effect is inside the
    transaction: nothing outside it may happen twice."""
    deadline = time.monotonic() + busy_timeout(engine)
    attempt = 0
    while True:
        try:
            with write_session(engine) as session:
                return work(session)
        except Retry as retry:
            if time.monotonic() >= deadline:
                raise retry.give_up() from None
        except (SADatabaseError, DatabaseBusy) as exc:
            if not is_busy(exc):
                raise
            if time.monotonic() >= deadline:
                if isinstance(exc, DatabaseBusy):
                    raise
                raise busy_error(engine) from exc
        time.sleep(_backoff(attempt, cap=0.05))
        attempt += 1


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
