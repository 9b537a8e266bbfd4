"""Many tickets, fast: a bulk INSERT straight into a migrated, seeded SQLite file.

Only for size tests and benchmarks (the services are the write path for
everything else). Rows look like a desk's history: the newest few percent are
active, the rest resolved or closed, with SLA due times and states that match
their age against ``now``.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

_FMT = "%Y-%m-%d %H:%M:%S.%f"
_SUBJECTS = (
    "VPN drops every few minutes", "Outlook keeps asking for password", "Printer on 3rd floor jams",
    "Cannot log in to ERP", "Laptop battery swelling", "New starter needs account", "Wi-Fi slow in meeting room",
    "MFA code not accepted", "Shared drive access request", "Teams calls cut out", "Disk almost full on server",
    "Password reset", "Monitor flickers", "Invoice app error 500", "Scanner not found",
)
_RESOLUTION_MINUTES = {1: 240, 2: 480, 3: 2880, 4: 4800}
_RESPONSE_MINUTES = {1: 15, 2: 30, 3: 240, 4: 480}


def _ts(value: datetime | None) -> str | None:
    return value.strftime(_FMT) if value else None


def bulk_tickets(path: str | Path, count: int, *, now: datetime, active_share: float = 0.06, seed: int = 1,
                 batch: int = 20000, with_events: bool = True) -> None:
    """Append ``count`` tickets (and one 'created' event each) to the SQLite file."""
    rng = random.Random(seed)
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    groups = [row[0] for row in conn.execute("SELECT id FROM groups")] or [None]
    analysts = [row[0] for row in conn.execute("SELECT id FROM analysts")] or [None]
    categories = [row[0] for row in conn.execute("SELECT id FROM categories")] or [None]
    policy_of = {p: i for i, p in conn.execute("SELECT id, priority FROM sla_policies WHERE ticket_type = ''")}
    start_requester = conn.execute("SELECT coalesce(max(id), 0) FROM requesters").fetchone()[0]
    conn.executemany(
        "INSERT INTO requesters (email, name, department, location, vip) VALUES (?, ?, '', '', 0)",
        [(f"user{start_requester + i}@bulk.example", f"Bulk User {start_requester + i}") for i in range(1, 2001)],
    )
    requesters = [row[0] for row in conn.execute("SELECT id FROM requesters")]
    first_id = conn.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0] + 1
    active_from = int(count * (1 - active_share))
    # History at ~400 tickets a day; the active tail arrived in the last two weeks.
    recent = timedelta(days=14)
    span = timedelta(days=max(30, count // 400))
    begin = now - span
    step = (span - recent) / max(active_from, 1)
    active_step = recent / max(count - active_from, 1)
    columns = (
        "id, type, subject, description, requester_id, channel, category_id, impact, urgency, priority, "
        "priority_reason, status, pending_reason, group_id, assignee_id, first_assignee_id, tier, ci, created_at, "
        "updated_at, first_response_at, resolved_at, closed_at, resolution_code, resolution_notes, sla_policy_id, "
        "response_due_at, resolution_due_at, response_state, resolution_state, sla_breach_recorded, reopen_count, "
        "reassignment_count, escalation_count, updated_by, version"
    )
    marks = ", ".join("?" * 36)
    rows, events = [], []
    for n in range(count):
        ticket_id = first_id + n
        created = begin + step * n if n < active_from else now - recent + active_step * (n - active_from)
        priority = rng.choices((1, 2, 3, 4), (2, 10, 60, 28))[0]
        response_due = created + timedelta(minutes=_RESPONSE_MINUTES[priority])
        resolution_due = created + timedelta(minutes=_RESOLUTION_MINUTES[priority])
        assignee = rng.choice(analysts)
        if n >= active_from:
            status = rng.choices(("new", "open", "pending"), (2, 6, 2))[0]
            if status == "new":
                assignee = None
            responded = created + timedelta(minutes=5) if status != "new" and rng.random() < 0.7 else None
            updated = created + (now - created) * rng.random()
            resolved = closed = None
            code = ""
            due_share = (now - created) / (resolution_due - created)
            state = "breached" if due_share >= 1 else "at_risk" if due_share >= 0.75 else "ok"
            if status == "pending" and state != "breached":
                state, resolution_due = "paused", None
            response_state = "met" if responded else ("breached" if now >= response_due else "ok")
        else:
            status = "closed" if rng.random() < 0.7 else "resolved"
            if rng.random() < 0.01:
                status = "cancelled"
            responded = created + timedelta(minutes=rng.randint(1, 300))
            resolved = created + timedelta(minutes=rng.randint(10, 6000))
            closed = resolved + timedelta(days=3) if status == "closed" else None
            updated = closed or resolved
            code = "solved" if status != "cancelled" else ""
            state = "met" if resolved <= resolution_due else "breached"
            response_state = "met" if responded <= response_due else "breached"
        rows.append((
            ticket_id, rng.choice(("incident", "incident", "request")), f"{rng.choice(_SUBJECTS)} ({ticket_id})", "",
            rng.choice(requesters), "portal", rng.choice(categories), "medium", "medium", priority, "bulk", status,
            "awaiting_requester" if status == "pending" else "", rng.choice(groups), assignee, assignee, 1, "",
            _ts(created), _ts(updated), _ts(responded), _ts(resolved), _ts(closed), code, "",
            policy_of.get(priority), _ts(response_due), _ts(resolution_due), response_state, state,
            int(state == "breached"), 0, 0, 0, "bulk", 1,
        ))
        if with_events:
            events.append((ticket_id, _ts(created), "bulk", "created", "", "", "", "via bulk"))
        if len(rows) >= batch:
            _flush(conn, columns, marks, rows, events)
    _flush(conn, columns, marks, rows, events)
    conn.commit()
    conn.close()


def _flush(conn, columns, marks, rows, events) -> None:
    conn.executemany(f"INSERT INTO tickets ({columns}) VALUES ({marks})", rows)
    if events:
        conn.executemany(
            "INSERT INTO ticket_events (ticket_id, at, actor, kind, field, old, new, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            events,
        )
    rows.clear()
    events.clear()
