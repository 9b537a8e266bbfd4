"""Many tickets, fast: one INSERT ... SELECT over a recursive counter, inside SQLite.

Only for size tests and benchmarks (the services are the write path for
everything else). Rows look like a desk's history: the newest few percent
arrived in the last two weeks and are active (new, open, pending), the rest
were resolved or closed; SLA due times and states match their age at ``now``.
Values are spread with multiplicative hashes of the row number, so the data is
the same on every run. Times are whole seconds, stored the way SQLAlchemy
stores them on SQLite ('YYYY-MM-DD HH:MM:SS.000000').
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

_JULIAN_UNIX_EPOCH = 2440587.5

_SQL = """
WITH RECURSIVE counter(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM counter WHERE n + 1 < :count),
base AS (
  SELECT n,
         :first_id + n AS id,
         CASE WHEN n < :active_from THEN :begin + n * :step ELSE :recent + (n - :active_from) * :active_step END AS jd,
         CASE WHEN (n * 2654435761) % 100 < 2 THEN 1 WHEN (n * 2654435761) % 100 < 12 THEN 2
              WHEN (n * 2654435761) % 100 < 72 THEN 3 ELSE 4 END AS priority,
         CASE WHEN n >= :active_from THEN
                CASE WHEN (n * 7919) % 10 < 2 THEN 'new' WHEN (n * 7919) % 10 < 8 THEN 'open' ELSE 'pending' END
              ELSE CASE WHEN (n * 104729) % 100 < 1 THEN 'cancelled' WHEN (n * 104729) % 100 < 70 THEN 'closed'
                        ELSE 'resolved' END END AS status
  FROM counter
),
timed AS (
  SELECT b.*,
         b.jd + (CASE b.priority WHEN 1 THEN 15 WHEN 2 THEN 30 WHEN 3 THEN 240 ELSE 480 END) / 1440.0 AS response_jd,
         b.jd + (CASE b.priority WHEN 1 THEN 240 WHEN 2 THEN 480 WHEN 3 THEN 2880 ELSE 4800 END) / 1440.0 AS due_jd,
         b.jd + (10 + (b.n * 31337) % 5990) / 1440.0 AS resolved_jd
  FROM base b
)
INSERT INTO tickets (
  id, type, subject, description, requester_id, channel, category_id, impact, urgency, priority, priority_reason,
  status, pending_reason, group_id, assignee_id, first_assignee_id, tier, ci, created_at, updated_at,
  first_response_at, resolved_at, closed_at, resolution_code, resolution_notes, sla_policy_id, response_due_at,
  resolution_due_at, response_state, resolution_state, sla_breach_recorded, reopen_count, reassignment_count,
  escalation_count, updated_by, version)
SELECT
  id,
  CASE n % 3 WHEN 2 THEN 'request' ELSE 'incident' END,
  CASE n % 8 WHEN 0 THEN 'VPN drops every few minutes' WHEN 1 THEN 'Outlook keeps asking for password'
             WHEN 2 THEN 'Printer on 3rd floor jams' WHEN 3 THEN 'Cannot log in to ERP'
             WHEN 4 THEN 'New starter needs account' WHEN 5 THEN 'MFA code not accepted'
             WHEN 6 THEN 'Teams calls cut out' ELSE 'Disk almost full on server' END || ' (' || id || ')',
  '',
  :requester_lo + (n * 7) % :requesters,
  'portal',
  CASE WHEN :categories > 0 THEN :category_lo + (n * 13) % :categories END,
  'medium', 'medium', priority, 'bulk', status,
  CASE WHEN status = 'pending' THEN 'awaiting_requester' ELSE '' END,
  CASE WHEN :groups > 0 THEN :group_lo + (n * 17) % :groups END,
  CASE WHEN status = 'new' OR :analysts = 0 THEN NULL ELSE :analyst_lo + (n * 19) % :analysts END,
  CASE WHEN status = 'new' OR :analysts = 0 THEN NULL ELSE :analyst_lo + (n * 19) % :analysts END,
  1, '',
  (datetime(jd) || '.000000'),
  (datetime(CASE WHEN status IN ('new', 'open', 'pending') THEN jd + (:now - jd) * ((n * 48271) % 1000) / 1000.0
                      WHEN status = 'closed' THEN resolved_jd + 3 ELSE resolved_jd END) || '.000000'),
  CASE WHEN status IN ('new', 'pending') OR (status = 'open' AND n % 3 = 0) THEN NULL
       ELSE (datetime(jd + 5 / 1440.0) || '.000000') END,
  CASE WHEN status IN ('resolved', 'closed', 'cancelled') THEN (datetime(resolved_jd) || '.000000') END,
  CASE WHEN status = 'closed' THEN (datetime(resolved_jd + 3) || '.000000') END,
  CASE WHEN status IN ('resolved', 'closed') THEN 'solved' ELSE '' END,
  '',
  (SELECT id FROM sla_policies p WHERE p.priority = timed.priority AND p.ticket_type = ''),
  (datetime(response_jd) || '.000000'),
  CASE WHEN status = 'pending' AND :now < due_jd THEN NULL ELSE (datetime(due_jd) || '.000000') END,
  CASE WHEN status IN ('new', 'pending') OR (status = 'open' AND n % 3 = 0) THEN
            CASE WHEN :now >= response_jd THEN 'breached' ELSE 'ok' END
       ELSE 'met' END,
  CASE WHEN status IN ('resolved', 'closed', 'cancelled') THEN CASE WHEN resolved_jd <= due_jd THEN 'met' ELSE 'breached' END
       WHEN :now >= due_jd THEN 'breached'
       WHEN status = 'pending' THEN 'paused'
       WHEN (:now - jd) >= 0.75 * (due_jd - jd) THEN 'at_risk'
       ELSE 'ok' END,
  0, 0, 0, 0, 'bulk', 1
FROM timed
"""

_EVENTS = """
INSERT INTO ticket_events (ticket_id, at, actor, kind, field, old, new, detail)
SELECT id, created_at, 'bulk', 'created', '', '', '', 'via bulk' FROM tickets WHERE id >= :first_id
"""


def _jd(moment: datetime) -> float:
    """Julian day number of a naive UTC datetime (SQLite's date arithmetic)."""
    return (moment - datetime(1970, 1, 1)).total_seconds() / 86400 + _JULIAN_UNIX_EPOCH


def _span(conn, table: str) -> tuple[int, int]:
    lo, hi = conn.execute(f"SELECT min(id), max(id) FROM {table}").fetchone()
    return (lo or 0), (0 if lo is None else hi - lo + 1)


def bulk_tickets(path: str | Path, count: int, *, now: datetime, active_share: float = 0.06,
                 with_events: bool = True, index_text: bool = True) -> None:
    """Append ``count`` tickets (and one 'created' event each) to a migrated, seeded SQLite file.

    Without ``index_text`` the full-text index is not fed (faster; text search
    then does not find these tickets)."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")  # 256 MB: index inserts stay in memory
    conn.execute("BEGIN IMMEDIATE")
    if not conn.execute("SELECT count(*) FROM requesters").fetchone()[0]:
        conn.executemany("INSERT INTO requesters (email, name, department, location, vip) VALUES (?, ?, '', '', 0)",
                         [(f"user{i}@bulk.example", f"Bulk User {i}") for i in range(1, 501)])
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'tickets_fts_ai'").fetchone()
    if trigger:
        conn.execute("DROP TRIGGER tickets_fts_ai")
    # Building the indexes once, sorted, is much faster than 12 index inserts per row.
    indexes = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tickets' "
                           "AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    first_id = conn.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0] + 1
    active_from = int(count * (1 - active_share))
    recent = timedelta(days=14)
    span = timedelta(days=max(30, count // 400))  # ~400 tickets a day; the active tail in the last two weeks
    requester_lo, requesters = _span(conn, "requesters")
    category_lo, categories = _span(conn, "categories")
    group_lo, groups = _span(conn, "groups")
    analyst_lo, analysts = _span(conn, "analysts")
    params = dict(
        count=count, first_id=first_id, active_from=active_from, now=_jd(now),
        begin=_jd(now - span), step=(span - recent) / timedelta(days=1) / max(active_from, 1),
        recent=_jd(now - recent), active_step=recent / timedelta(days=1) / max(count - active_from, 1),
        requester_lo=requester_lo, requesters=requesters, category_lo=category_lo, categories=categories,
        group_lo=group_lo, groups=groups, analyst_lo=analyst_lo, analysts=analysts,
    )
    try:
        conn.execute(_SQL, params)
        for _, sql in indexes:
            conn.execute(sql)
        if with_events:
            conn.execute(_EVENTS, {"first_id": first_id})
        if trigger and index_text:
            conn.execute("INSERT INTO tickets_fts(rowid, subject, description, resolution_notes) "
                         "SELECT id, subject, description, resolution_notes FROM tickets WHERE id >= ?", (first_id,))
        if trigger:
            conn.execute(trigger[0])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
