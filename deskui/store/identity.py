"""Who the database says is connected: the login on PostgreSQL, nobody on SQLite
(dialect-specific SQL lives in the store, DESIGN.md §1)."""

from __future__ import annotations

from sqlalchemy import func, select, text, true
from sqlalchemy.engine import Connection, Engine

from deskui.store.tables import analysts


def database_login(engine: Engine) -> str | None:
    """``current_user`` on PostgreSQL; None where the database has no logins (SQLite)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT current_user")).scalar_one()


def has_active_admin(conn: Connection) -> bool:
    a = analysts.c
    return bool(conn.execute(select(func.count()).select_from(analysts)
                             .where(a.role == "admin", a.active == true())).scalar_one())
