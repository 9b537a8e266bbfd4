"""SQLite under a busy writer, and the files deskui creates (issue 12.1, 12.7)."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from sqlalchemy import text

from deskui.errors import DatabaseBusy
from deskui.reads.failures import one_line
from deskui.services import tickets as svc
from deskui.services.actors import SYSTEM, actor_for
from deskui.store.db import make_engine, upgrade
from tests.conftest import new_sqlite_engine, seed_org


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_database_file_wal_shm_and_folders_are_owner_only(tmp_path):
    old_umask = os.umask(0o022)  # a common, permissive umask: deskui must not depend on it
    try:
        path = tmp_path / "made" / "by" / "deskui" / "desk.db"
        engine = make_engine(str(path))
        upgrade(engine)
        with engine.connect() as conn:  # keep a connection so the WAL and SHM files exist
            conn.execute(text("SELECT count(*) FROM tickets"))
            assert _mode(path) == 0o600
            assert _mode(f"{path}-wal") == 0o600
            assert _mode(f"{path}-shm") == 0o600
        engine.dispose()
    finally:
        os.umask(old_umask)
    for folder in (tmp_path / "made", tmp_path / "made" / "by", path.parent):
        assert _mode(folder) == 0o700, folder


def test_existing_folder_and_file_keep_their_permissions(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o750)
    path = folder / "desk.db"
    sqlite3.connect(path).close()
    os.chmod(path, 0o640)
    engine = make_engine(str(path))
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()
    assert _mode(folder) == 0o750 and _mode(path) == 0o640


def test_opening_a_missing_database_does_not_create_it(tmp_path):
    from deskui.errors import DatabaseOpenError
    from deskui.store.db import check_schema

    path = tmp_path / "nothing.db"
    with pytest.raises(DatabaseOpenError, match="does not exist"):
        check_schema(make_engine(str(path)))
    assert not path.exists()


# ------------------------------------------------------------------ a busy file


@pytest.fixture
def desk_file(sqlite_template, tmp_path):
    engine = new_sqlite_engine(sqlite_template, tmp_path)
    seed_org(engine)
    ticket = svc.open_ticket(engine, SYSTEM, subject="VPN down", requester="ann@example.com")
    path = engine.url.database
    engine.dispose()
    return path, ticket.id


def _hold_write_lock(path: str) -> sqlite3.Connection:
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def _comments(path: str) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM comments").fetchone()[0]


def test_a_write_gives_up_after_the_busy_timeout_with_one_line_and_writes_nothing(desk_file):
    path, ticket_id = desk_file
    engine = make_engine(path, busy_timeout=0.3)
    demo = actor_for(engine, "demo")
    holder = _hold_write_lock(path)
    try:
        for write in (lambda: svc.add_comment(engine, demo, ticket_id, "hello"),
                      lambda: svc.take(engine, demo, ticket_id),
                      lambda: svc.open_ticket(engine, demo, subject="x", requester="ann@example.com")):
            with pytest.raises(DatabaseBusy) as caught:
                write()
            line = one_line(caught.value)
            assert line.startswith("the database is busy (another process is writing)")
            assert "0.3 s" in line and "locked" not in line and "\n" not in line
    finally:
        holder.rollback()
        holder.close()
    assert _comments(path) == 0
    engine.dispose()


def test_the_busy_timeout_comes_from_the_environment(monkeypatch, tmp_path):
    from deskui.errors import ValidationError
    from deskui.store.db import busy_timeout

    monkeypatch.setenv("DESKUI_BUSY_TIMEOUT", "12.5")
    assert busy_timeout(make_engine(str(tmp_path / "a.db"))) == 12.5
    monkeypatch.setenv("DESKUI_BUSY_TIMEOUT", "soon")
    with pytest.raises(ValidationError, match="DESKUI_BUSY_TIMEOUT: 'soon' is not a number of seconds"):
        make_engine(str(tmp_path / "b.db"))
