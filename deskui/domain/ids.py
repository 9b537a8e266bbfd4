"""Record ids a user types (ticket numbers): the range every database can hold.

Ids are PostgreSQL ``integer`` columns (and SQLite rowids), so the common range is
1 to 2**31 - 1. An id outside it names no record: callers say "ticket #N not found"
rather than hand the database a number it cannot compare (issue 12.5).
"""

from __future__ import annotations

MAX_ID = 2**31 - 1


def id_in_range(value: int) -> bool:
    return 1 <= value <= MAX_ID
