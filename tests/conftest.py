"""Shared fixtures: a fresh database per test on SQLite and, when
DESKUI_TEST_PG_URL is set, on a real PostgreSQL server (DESIGN.md §7)."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from deskui import clock
from deskui.store.db import make_engine, upgrade

PG_URL = os.environ.get("DESKUI_TEST_PG_URL", "")
REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"

# Start of a Monday, 09:00 London (winter: UTC == London).
FROZEN = datetime(2026, 11, 16, 9, 0, 0)


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Never touch the real user config/data directories."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("DESKUI_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("DESKUI_DATA_DIR", str(base / "data"))
    monkeypatch.delenv("DESKUI_DB", raising=False)
    monkeypatch.delenv("DESKUI_USER", raising=False)
    yield
    clock.set_now(None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(str(path))
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def new_sqlite_engine(template: Path, directory: Path):
    path = directory / f"desk-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, path)
    return make_engine(str(path))


@pytest.fixture(scope="session")
def pg_database():
    """A database of our own on the test server, migrated once, dropped at the end."""
    if not PG_URL:
        pytest.skip("DESKUI_TEST_PG_URL not set")
    admin = make_engine(PG_URL)
    name = f"deskui_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(engine) -> None:
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"))]
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, sqlite_template, tmp_path):
    """A fresh, migrated, empty database: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        eng = new_sqlite_engine(sqlite_template, tmp_path)
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_database")
        _truncate_all(eng)
        yield eng


@pytest.fixture
def sqlite_engine(sqlite_template, tmp_path):
    eng = new_sqlite_engine(sqlite_template, tmp_path)
    yield eng
    eng.dispose()


def seed_org(engine) -> None:
    from deskui.services.seed import seed_demo_org

    seed_demo_org(engine, SAMPLE)


@pytest.fixture
def org(engine):
    """The demo organisation seeded into `engine`."""
    seed_org(engine)
    return engine


@pytest.fixture
def frozen_now():
    with clock.frozen(FROZEN):
        yield FROZEN
