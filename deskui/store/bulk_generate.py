"""Writing a generated history in bulk: raw driver ``executemany`` in ``BEGIN
IMMEDIATE`` transactions on SQLite, ``COPY`` on PostgreSQL, one transaction per chunk,
ids preassigned (ticket ids dense and following creation time; comment ids reserved
per chunk). On SQLite the full-text trigger on ``tickets`` is dropped inside each
chunk's transaction and the chunk indexed with one ``INSERT ... SELECT`` before it is
recreated (three times faster than the trigger row by row), so a crash leaves both
consistent.

The generator (``deskui.services.generate``) plans every ticket's history through
the history planner and hands each chunk here as rows in the column orders below,
times already as :func:`stored_time` gives them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable, Sequence

from deskui.errors import ConflictError

TICKET_COLUMNS = (
    "id", "type", "subject", "description", "requester_id", "channel", "category_id", "impact", "urgency",
    "priority", "priority_reason", "status", "pending_reason", "group_id", "assignee_id", "first_assignee_id",
    "tier", "ci", "problem_id", "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at",
    "resolution_code", "resolution_notes", "external_ref", "sla_policy_id", "response_due_at", "resolution_due_at",
    "response_warn_at", "resolution_warn_at", "response_state", "resolution_state", "sla_breach_recorded",
    "reopen_count", "reassignment_count", "escalation_count", "external_made_sla", "updated_by", "version",
)
COMMENT_COLUMNS = ("id", "ticket_id", "author_id", "author_name", "visibility", "body", "created_at")
EVENT_COLUMNS = ("ticket_id", "at", "actor_id", "actor", "kind", "field", "old", "new", "detail", "comment_id")
SURVEY_COLUMNS = ("ticket_id", "score", "comment", "created_at")


def bulk_writer_for(engine):
    return SqliteBulkWriter(engine) if engine.dialect.name == "sqlite" else PostgresBulkWriter(engine)


def stored_time(sqlite: bool) -> Callable[[datetime], object]:
    """How a time is handed to the bulk writer: the text SQLAlchemy stores on SQLite."""
    return _sqlite_dt if sqlite else _same


def stored_bool(value: bool, sqlite: bool):
    return int(value) if sqlite else value


def _sqlite_dt(at: datetime) -> str:
    # The exact text SQLAlchemy's SQLite DateTime type writes and reads back
    # ("2026-11-16 09:00:00.000000"); this spelling is the fastest.
    text = at.isoformat(" ")
    return text if at.microsecond else text + ".000000"


def _same(at):
    return at



# Connection settings while loading, restored after: the default 2 MB page cache
# thrashes on the tickets table's dozen indexes at a million rows, and the generated
# rows reference only rows that exist (tests run PRAGMA foreign_key_check), so the
# per-row foreign-key lookups are skipped on this connection.
BULK_PRAGMAS = (("cache_size", -262144), ("temp_store", 2), ("foreign_keys", 0), ("wal_autocheckpoint", 50000))


class SqliteBulkWriter:
    """Raw sqlite3 executemany in BEGIN IMMEDIATE transactions, ids preassigned."""

    sqlite = True

    def __init__(self, engine):
        self.engine = engine
        self.raw = None
        self.trigger_sql: str | None = None
        self.saved_pragmas: dict[str, object] = {}

    def _connection(self):
        if self.raw is None:
            self.raw = self.engine.raw_connection()
        return self.raw.driver_connection

    def upsert_requesters(self, pool: Sequence) -> tuple[list[int], int]:
        con = self._connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            existing = dict(con.execute("SELECT email, id FROM requesters"))
            new = [p for p in pool if p.email not in existing]
            con.executemany(
                "INSERT INTO requesters (email, name, department, location, vip) VALUES (?, ?, ?, ?, ?)",
                [(p.email, p.name, p.department, p.location, int(p.vip)) for p in new],
            )
            ids = dict(con.execute("SELECT email, id FROM requesters"))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return [ids[p.email] for p in pool], len(new)

    def reserve_ids(self, tickets: int, comments: int) -> tuple[int, int]:
        con = self._connection()
        self.first_ticket = (con.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]) + 1
        self.first_comment = (con.execute("SELECT coalesce(max(id), 0) FROM comments").fetchone()[0]) + 1
        return self.first_ticket, self.first_comment

    def begin_bulk(self) -> None:
        con = self._connection()
        row = con.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'tickets_fts_ai'").fetchone()
        self.trigger_sql = row[0] if row else None
        for pragma, value in BULK_PRAGMAS:
            self.saved_pragmas[pragma] = con.execute(f"PRAGMA {pragma}").fetchone()[0]
            con.execute(f"PRAGMA {pragma} = {value}")

    def write(self, rows) -> None:
        con = self._connection()
        first = rows.first_ticket_id
        last = first + len(rows.tickets) - 1
        first_comment = rows.comments[0][0] if rows.comments else None
        con.execute("BEGIN IMMEDIATE")
        try:
            # Ids were preassigned: another writer taking one of them would collide.
            top = con.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]
            top_comment = con.execute("SELECT coalesce(max(id), 0) FROM comments").fetchone()[0]
            if top >= first or (first_comment is not None and top_comment >= first_comment):
                raise ConflictError(f"generate: another process wrote tickets or comments while generating; "
                                    f"stopped before ticket #{first} (the tickets before it are complete)")
            if self.trigger_sql:
                con.execute("DROP TRIGGER tickets_fts_ai")
            con.executemany(_insert_sql("tickets", TICKET_COLUMNS), rows.tickets)
            con.executemany(_insert_sql("comments", COMMENT_COLUMNS), rows.comments)
            con.executemany(_insert_sql("ticket_events", EVENT_COLUMNS), rows.events)
            con.executemany(_insert_sql("surveys", SURVEY_COLUMNS), rows.surveys)
            if self.trigger_sql:
                con.execute(
                    "INSERT INTO tickets_fts(rowid, subject, description, resolution_notes) "
                    "SELECT id, deskui_cjk(subject), deskui_cjk(description), deskui_cjk(resolution_notes) "
                    "FROM tickets WHERE id BETWEEN ? AND ?",
                    (first, last),
                )
                con.execute(self.trigger_sql)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Refresh the planner's statistics (sampled: quick even at a million tickets),
        restore the connection's settings and give it back."""
        if self.raw is None:
            return
        con = self.raw.driver_connection
        try:
            limit = con.execute("PRAGMA analysis_limit").fetchone()[0]
            con.execute("PRAGMA analysis_limit = 1000")
            con.execute("ANALYZE")
            con.execute(f"PRAGMA analysis_limit = {int(limit)}")
            for pragma, value in self.saved_pragmas.items():
                con.execute(f"PRAGMA {pragma} = {value}")
            con.execute("PRAGMA wal_checkpoint(PASSIVE)")  # what the bigger autocheckpoint left
        finally:
            self.raw.close()
            self.raw = None


class PostgresBulkWriter:
    """COPY in one transaction per batch; ids reserved by moving the sequences past them."""

    sqlite = False

    def __init__(self, engine):
        self.engine = engine
        self.raw = None

    def _connection(self):
        if self.raw is None:
            self.raw = self.engine.raw_connection()
        return self.raw.driver_connection

    def upsert_requesters(self, pool: Sequence) -> tuple[list[int], int]:
        con = self._connection()
        try:
            with con.cursor() as cur:
                emails = [p.email for p in pool]
                cur.execute("SELECT email FROM requesters WHERE email = ANY(%s)", (emails,))
                existing = {row[0] for row in cur.fetchall()}
                new = [p for p in pool if p.email not in existing]
                cur.executemany(
                    "INSERT INTO requesters (email, name, department, location, vip) VALUES (%s, %s, %s, %s, %s) "
                    "ON CONFLICT (email) DO NOTHING",
                    [(p.email, p.name, p.department, p.location, p.vip) for p in new],
                )
                cur.execute("SELECT email, id FROM requesters WHERE email = ANY(%s)", (emails,))
                ids = dict(cur.fetchall())
                created = len(new)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return [ids[p.email] for p in pool], created

    def reserve_ids(self, tickets: int, comments: int) -> tuple[int, int]:
        con = self._connection()
        firsts = []
        try:
            with con.cursor() as cur:
                for table, count in (("tickets", tickets), ("comments", comments)):
                    # Lock out concurrent creators while the range is claimed.
                    cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
                    cur.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
                    sequence = cur.fetchone()[0]
                    cur.execute(f"SELECT greatest((SELECT coalesce(max(id), 0) FROM {table}), "
                                f"(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}))")
                    first = cur.fetchone()[0] + 1
                    cur.execute("SELECT setval(%s, %s)", (sequence, first + count - 1))
                    firsts.append(first)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return firsts[0], firsts[1]

    def begin_bulk(self) -> None:
        pass

    def write(self, rows) -> None:
        con = self._connection()
        try:
            with con.cursor() as cur:
                for table, columns, attr in (("tickets", TICKET_COLUMNS, "tickets"), ("comments", COMMENT_COLUMNS, "comments"),
                                             ("ticket_events", EVENT_COLUMNS, "events"), ("surveys", SURVEY_COLUMNS, "surveys")):
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in getattr(rows, attr):
                            copy.write_row(row)
            con.commit()
        except BaseException:
            con.rollback()
            raise

    def close(self) -> None:
        if self.raw is None:
            return
        try:
            with self.raw.driver_connection.cursor() as cur:
                for table in ("requesters", "tickets", "comments", "ticket_events", "surveys"):
                    cur.execute(f"ANALYZE {table}")
            self.raw.driver_connection.commit()
        finally:
            self.raw.close()
            self.raw = None


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
