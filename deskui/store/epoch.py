"""Whole seconds since the epoch of a naive UTC timestamp, the same on SQLite and PostgreSQL.

Used by the metrics queries and by the duration columns the tickets table computes
(``Ticket.resolution_seconds``, ``Ticket.first_response_seconds``, migration 0011).
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class epoch(FunctionElement):
    """Whole seconds since 1970-01-01 of a naive UTC timestamp column (floored)."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    arg = compiler.process(element.clauses, **kw)
    if sqlite3.sqlite_version_info >= (3, 38):
        return f"unixepoch({arg})"
    return f"CAST(strftime('%s', {arg}) AS INTEGER)"


@compiles(epoch, "postgresql")
def _epoch_pg(element, compiler, **kw):
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


def seconds_between(start: str, end: str, dialect: str) -> str:
    """SQL text of ``end - start`` in whole seconds (NULL when either is), for a
    generated column: virtual on SQLite, stored on PostgreSQL."""
    if dialect == "postgresql":
        def one(c: str) -> str:
            return f"CAST(FLOOR(EXTRACT(EPOCH FROM {c})) AS BIGINT)"
    elif sqlite3.sqlite_version_info >= (3, 38):
        def one(c: str) -> str:
            return f"unixepoch({c})"
    else:
        def one(c: str) -> str:
            return f"CAST(strftime('%s', {c}) AS INTEGER)"
    return f"{one(end)} - {one(start)}"
