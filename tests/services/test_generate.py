"""`deskui generate`: deterministic, realistic, and consistent with what the services write."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from deskui.domain.enums import Status
from deskui.domain.workflow import TRANSITIONS
from deskui.errors import ValidationError
from deskui.services import generate as gen
from deskui.services import sla
from deskui.services.generate import WindowCalendar, generate_history
from deskui.store.db import session_scope
from deskui.store.models import Comment, Requester, Survey, Ticket, TicketEvent

from tests.conftest import new_sqlite_engine, seed_org

END = datetime(2026, 11, 16, 9, 0, 0)  # a Monday morning
TABLES = ("tickets", "comments", "ticket_events", "surveys", "requesters")
# Events written by a use case that also sets updated_at (comments do not, except the first response).
MUTATIONS = {"status", "assigned", "group", "priority", "escalated", "resolved", "reopened", "closed", "first_response"}


def _dump(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))] for t in TABLES}


def _fresh(sqlite_template, directory):
    engine = new_sqlite_engine(sqlite_template, directory)
    seed_org(engine)
    return engine


@pytest.fixture(scope="module")
def history(sqlite_template, tmp_path_factory):
    """One demo-sized history, shared by the read-only tests below."""
    engine = _fresh(sqlite_template, tmp_path_factory.mktemp("generate"))
    summary = generate_history(engine, tickets=1500, seed=11, days=90, end=END)
    yield engine, summary
    engine.dispose()


# ------------------------------------------------------------------ determinism

def test_same_seed_same_database_content(sqlite_template, tmp_path):
    a = _fresh(sqlite_template, tmp_path)
    b = _fresh(sqlite_template, tmp_path)
    generate_history(a, tickets=300, seed=5, end=END)
    generate_history(b, tickets=300, seed=5, end=END)
    first, second = _dump(a), _dump(b)
    assert first == second
    assert len(first["tickets"]) == 300 and len(first["ticket_events"]) > 300 * 5
    c = _fresh(sqlite_template, tmp_path)
    generate_history(c, tickets=300, seed=6, end=END)
    assert _dump(c)["tickets"] != first["tickets"]


def test_worker_processes_write_the_same_content(sqlite_template, tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "CHUNK_TICKETS", 60)  # several chunks from a small history
    here = _fresh(sqlite_template, tmp_path)
    there = _fresh(sqlite_template, tmp_path)
    one = generate_history(here, tickets=400, seed=3, end=END, workers=0)
    two = generate_history(there, tickets=400, seed=3, end=END, workers=2)
    assert two.workers == 2 and one.workers == 0
    assert _dump(here) == _dump(there)


# ------------------------------------------------------------------ shape of the history

def test_summary_matches_the_rows(history):
    engine, summary = history
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == summary.tickets == 1500
        assert s.scalar(select(func.count()).select_from(Comment)) == summary.comments
        assert s.scalar(select(func.count()).select_from(TicketEvent)) == summary.events
        assert s.scalar(select(func.count()).select_from(Survey)) == summary.surveys
        active = s.scalar(select(func.count()).select_from(Ticket).where(Ticket.status.in_(["new", "open", "pending"])))
        assert active == summary.open_tickets
        ids = s.scalars(select(Ticket.id).order_by(Ticket.id)).all()
        created = s.scalars(select(Ticket.created_at).order_by(Ticket.id)).all()
    assert ids == list(range(summary.first_id, summary.last_id + 1))
    assert created == sorted(created), "ticket numbers follow creation time"
    assert summary.start == END - timedelta(days=90) and summary.end == END
    assert min(created) >= summary.start and max(created) <= END


def test_distributions_are_believable(history):
    engine, _ = history
    with session_scope(engine) as s:
        rows = s.execute(select(Ticket.type, Ticket.channel, Ticket.priority, Ticket.created_at, Ticket.category_id,
                                Ticket.escalation_count, Ticket.reopen_count, Ticket.resolved_at)).all()
        pending_ever = s.scalar(select(func.count(func.distinct(TicketEvent.ticket_id)))
                                .where(TicketEvent.kind == "status", TicketEvent.new == "pending"))
        scores = Counter(s.scalars(select(Survey.score)).all())
    n = len(rows)
    share = lambda pred: sum(1 for r in rows if pred(r)) / n  # noqa: E731
    assert 0.68 < share(lambda r: r.type == "incident") < 0.82
    assert 0.33 < share(lambda r: r.channel == "email") < 0.47
    assert 0.24 < share(lambda r: r.channel == "portal") < 0.36
    assert 0.10 < share(lambda r: r.channel == "phone") < 0.20
    assert 0.005 < share(lambda r: r.priority == 1) < 0.05
    assert 0.08 < share(lambda r: r.priority == 2) < 0.19
    assert 0.42 < share(lambda r: r.priority == 3) < 0.58
    assert 0.27 < share(lambda r: r.priority == 4) < 0.43
    # Categories are skewed: the busiest is several times the median one.
    per_category = sorted(Counter(r.category_id for r in rows).values(), reverse=True)
    assert per_category[0] > 3 * per_category[len(per_category) // 2]
    # Business-hours arrivals: weekdays dominate, Monday is busier than Friday, nights are quiet.
    weekday = Counter(r.created_at.weekday() for r in rows)
    assert weekday[0] > weekday[4] and weekday[5] + weekday[6] < 0.12 * n
    night = share(lambda r: 0 <= r.created_at.hour < 5)  # 00-05 UTC: night in London and New York
    assert night < 0.06
    assert 0.08 < share(lambda r: r.escalation_count > 0) < 0.24
    assert 0.02 < share(lambda r: r.reopen_count > 0) < 0.09
    assert 0.14 < pending_ever / n < 0.28
    resolved = sum(1 for r in rows if r.resolved_at is not None)
    assert 0.15 < sum(scores.values()) / resolved < 0.32
    assert scores[4] + scores[5] > 0.6 * sum(scores.values())


def test_recurring_incidents_and_breaches_exist(history):
    engine, _ = history
    with session_scope(engine) as s:
        incidents = s.execute(select(Ticket.created_at, Ticket.resolved_at, Ticket.ci, Ticket.requester_id,
                                     Ticket.category_id).where(Ticket.type == "incident")).all()
        breached = s.scalar(select(func.count()).select_from(Ticket).where(Ticket.sla_breach_recorded.is_(True)))
        n = s.scalar(select(func.count()).select_from(Ticket))
    by_key = defaultdict(list)
    for t in incidents:
        by_key[("ci", t.ci) if t.ci else ("rc", t.requester_id, t.category_id)].append(t.created_at)
    resolved = [t for t in incidents if t.resolved_at is not None]
    recurring = 0
    for t in resolved:
        key = ("ci", t.ci) if t.ci else ("rc", t.requester_id, t.category_id)
        if any(t.resolved_at < c <= t.resolved_at + timedelta(days=30) for c in by_key[key]):
            recurring += 1
    assert 0.05 < recurring / len(resolved) < 0.22
    assert 0.03 < breached / n < 0.2


def test_recent_tickets_are_open_old_ones_closed(history):
    engine, _ = history
    with session_scope(engine) as s:
        rows = s.execute(select(Ticket.status, Ticket.created_at, Ticket.response_state, Ticket.resolution_state)).all()
    recent = [r for r in rows if r.created_at > END - timedelta(hours=12)]
    old = [r for r in rows if r.created_at < END - timedelta(days=30)]
    active = {"new", "open", "pending"}
    assert recent and sum(r.status in active for r in recent) > 0.5 * len(recent)
    assert sum(r.status in ("closed", "cancelled") for r in old) > 0.9 * len(old)
    states = Counter(r.status for r in rows)
    assert states["new"] and states["open"] and states["pending"] and states["resolved"] and states["cancelled"]
    live = Counter(st for r in rows if r.status in active for st in (r.response_state, r.resolution_state))
    assert live["ok"] and (live["at_risk"] or live["breached"])


# ------------------------------------------------------------------ consistency with the services

def test_sla_cache_is_what_refresh_would_store(history):
    """For a sample, re-run deskui.services.sla semantics (status_of over the stored
    events, the real calendar) as of `end`: same policy, due times and states, and a
    breach event exactly once per breached target (so refresh adds nothing)."""
    engine, _ = history
    with session_scope(engine) as s:
        ids = s.scalars(select(Ticket.id)).all()
        for ticket_id in random.Random(1).sample(ids, 250):
            ticket = s.get(Ticket, ticket_id)
            status, info = sla.status_of(s, ticket, END)
            assert ticket.sla_policy_id == info.policy_id
            assert (ticket.response_due_at, ticket.response_state) == (status.response.due_at, status.response.state.value)
            assert (ticket.resolution_due_at, ticket.resolution_state) == (
                status.resolution.due_at, status.resolution.state.value)
            breaches = s.execute(select(TicketEvent.field, TicketEvent.at).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "sla_breach")).all()
            # Written once per target, at the breach (as a sweep running all along would).
            expected = sorted((t.name, t.breached_at) for t in status.targets if t.breached_at is not None)
            assert sorted(tuple(b) for b in breaches) == expected
            assert ticket.sla_breach_recorded == bool(expected)


def test_sla_refresh_changes_nothing(history, tmp_path):
    engine, _ = history
    with session_scope(engine) as s:
        sample = s.scalars(select(Ticket).where(Ticket.status.in_(["new", "open", "pending"])).limit(60)).all()
        before = [(t.response_due_at, t.resolution_due_at, t.response_state, t.resolution_state) for t in sample]
        events_before = s.scalar(select(func.count()).select_from(TicketEvent))
        for t in sample:
            sla.refresh(s, t, "test", END)
        after = [(t.response_due_at, t.resolution_due_at, t.response_state, t.resolution_state) for t in sample]
        s.flush()
        assert s.scalar(select(func.count()).select_from(TicketEvent)) == events_before
        s.rollback()
    assert before == after


def test_histories_follow_the_workflow_and_counters_match(history):
    engine, _ = history
    with session_scope(engine) as s:
        tickets = {t.id: t for t in s.scalars(select(Ticket))}
        comments = {c.id: c for c in s.scalars(select(Comment))}
        by_ticket = defaultdict(list)
        for e in s.scalars(select(TicketEvent).order_by(TicketEvent.id)):
            by_ticket[e.ticket_id].append(e)
        usernames = dict(s.execute(text("SELECT username, id FROM analysts")).all())
    for ticket_id, ticket in tickets.items():
        events = by_ticket[ticket_id]
        assert events[0].kind == "created" and events[0].at == ticket.created_at
        assert [e.at for e in events] == sorted(e.at for e in events), f"#{ticket_id}: events out of time order"
        assert events[-1].at <= END
        status, assignee, first_assignee, reassignments = "new", "", None, 0
        last = ""
        first_response = resolved_at = closed_at = None
        for e in events:
            if e.kind in ("status", "resolved", "reopened", "closed"):
                assert e.old == status, f"#{ticket_id}: {e.kind} from {e.old} but ticket was {status}"
                assert Status(e.new) in TRANSITIONS[Status(status)], f"#{ticket_id}: {status} -> {e.new}"
                if e.new == "pending":
                    assert e.detail in ("awaiting_requester", "awaiting_vendor", "awaiting_change")
                if e.kind == "resolved":
                    code, _, notes = e.detail.partition(": ")
                    assert code and notes.strip()
                    resolved_at = e.at
                if e.kind == "reopened":
                    resolved_at = None
                if e.kind == "closed":
                    closed_at = e.at
                status = e.new
            elif e.kind == "assigned":
                assert e.old == assignee
                # A hand-off, straight or through nobody, to another analyst than the last one.
                if last and e.new and e.new != last:
                    reassignments += 1
                if e.new and first_assignee is None:
                    first_assignee = usernames[e.new]
                assignee = e.new
                last = e.new or last
            elif e.kind == "comment":
                comment = comments[e.comment_id]
                assert comment.ticket_id == ticket_id and comment.visibility == e.field and comment.created_at == e.at
            elif e.kind == "first_response":
                assert first_response is None
                first_response = e.at
                previous = comments[int(e.detail.split()[1])]
                assert previous.visibility == "public" and previous.author_id is not None and previous.created_at == e.at
        assert status == ticket.status
        assert ticket.assignee_id == (usernames[assignee] if assignee else None)
        assert ticket.first_assignee_id == first_assignee
        assert ticket.reassignment_count == reassignments
        assert ticket.reopen_count == sum(e.kind == "reopened" for e in events)
        assert ticket.escalation_count == sum(e.kind == "escalated" for e in events)
        assert (ticket.first_response_at, ticket.resolved_at, ticket.closed_at) == (first_response, resolved_at, closed_at)
        if ticket.status != "pending":
            assert ticket.pending_reason == ""
        changes = [e.at for e in events if e.kind in MUTATIONS]
        assert ticket.updated_at == (max(changes) if changes else ticket.created_at)


def test_foreign_keys_and_full_text_index_hold(history):
    engine, _ = history
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        conn.exec_driver_sql("INSERT INTO tickets_fts(tickets_fts) VALUES ('integrity-check')")
        trigger = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'tickets_fts_ai'").scalar()
        assert trigger == 1
        found = conn.exec_driver_sql("SELECT count(*) FROM tickets_fts WHERE tickets_fts MATCH 'vpn'").scalar()
        expected = conn.exec_driver_sql(
            "SELECT count(*) FROM tickets WHERE lower(subject || ' ' || description || ' ' || resolution_notes) "
            "LIKE '%vpn%'").scalar()
        assert found > 0 and found >= expected * 0.9


# ------------------------------------------------------------------ appending, errors, both databases

def test_generating_twice_appends_and_reuses_requesters(sqlite_template, tmp_path):
    engine = _fresh(sqlite_template, tmp_path)
    first = generate_history(engine, tickets=120, seed=2, end=END)
    second = generate_history(engine, tickets=80, seed=2, end=END)
    assert (first.first_id, first.last_id) == (1, 120)
    assert (second.first_id, second.last_id) == (121, 200)
    assert first.requesters_created == gen.requester_count(120) and second.requesters_created == 0
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 200
        assert s.scalar(select(func.count()).select_from(Requester)) == gen.requester_count(120)


def test_bad_arguments_and_missing_organisation(sqlite_template, tmp_path):
    empty = new_sqlite_engine(sqlite_template, tmp_path)
    with pytest.raises(ValidationError, match="no analysts"):
        generate_history(empty, tickets=10, end=END)
    with pytest.raises(ValidationError, match="tickets"):
        generate_history(empty, tickets=0, end=END)
    with pytest.raises(ValidationError, match="days"):
        generate_history(empty, tickets=5, days=0, end=END)
    with session_scope(empty) as s:
        assert s.scalar(select(func.count()).select_from(Ticket)) == 0


def test_runs_on_each_database(org):
    """SQLite always; PostgreSQL when DESKUI_TEST_PG_URL is set (COPY, reserved sequences)."""
    from deskui.services import tickets as svc
    from deskui.services.actors import actor_for

    summary = generate_history(org, tickets=150, seed=9, end=END)
    assert summary.tickets == 150
    with session_scope(org) as s:
        for ticket in s.scalars(select(Ticket).order_by(Ticket.id).limit(40)):
            status, info = sla.status_of(s, ticket, END)
            assert (ticket.resolution_due_at, ticket.resolution_state) == (
                status.resolution.due_at, status.resolution.state.value)
        assert s.scalar(select(func.count()).select_from(Comment)) == summary.comments
    # The services keep numbering after the generated tickets.
    opened = svc.open_ticket(org, actor_for(org, "demo"), subject="After the history", requester="x@example.com",
                             at=END)
    assert opened.id == summary.last_id + 1
    again = generate_history(org, tickets=20, seed=9, end=END)
    assert again.first_id == opened.id + 1


# ------------------------------------------------------------------ pieces

def test_window_calendar_answers_like_the_calendar(history):
    engine, _ = history
    with session_scope(engine) as s:
        policies = {ticket_type: sla.policy_for(s, 3, ticket_type) for ticket_type in ("incident", "request")}
    rng = random.Random(4)
    for info in policies.values():
        calendar = info.calendar
        fast = WindowCalendar(calendar, END - timedelta(days=120), END + timedelta(days=60))
        for _ in range(300):
            # Inside the window, straddling its edges, and outside it.
            a = END + timedelta(seconds=rng.randrange(-150 * 86400, 80 * 86400))
            b = a + timedelta(seconds=rng.randrange(0, 20 * 86400))
            assert fast.business_microseconds(a, b) == calendar.business_microseconds(a, b)
            us = rng.randrange(1, 40 * 3600) * 1_000_000
            assert fast.add_business_microseconds(a, us) == calendar.add_business_microseconds(a, us)


def test_arrival_counts_add_up():
    weights = [0.0, 1.0, 3.0, 0.0, 2.0]
    counts = gen._multinomial_sorted(random.Random(1), 6000, weights)
    assert sum(counts) == 6000 and counts[0] == counts[3] == 0
    assert 2700 < counts[2] < 3300 and 1700 < counts[4] < 2300


def test_command_line(sqlite_template, tmp_path):
    from typer.testing import CliRunner

    from deskui.cli.main import app

    engine = _fresh(sqlite_template, tmp_path)
    db = engine.url.database
    engine.dispose()
    runner = CliRunner()
    result = runner.invoke(app, [f"--db={db}", "--as=rmensah", "generate", "--tickets", "40", "--seed", "3", "--end", "2026-11-16"])
    assert result.exit_code == 0, result.output
    assert "40 tickets (#1-#40" in result.output and "to 2026-11-16 00:00" in result.output
    bad = runner.invoke(app, [f"--db={db}", "--as=rmensah", "generate", "--tickets", "5", "--end", "next tuesday"])
    assert bad.exit_code == 2  # a usage error (issue 15 item 14)
    assert "Invalid value for '--end': 'next tuesday' is not an ISO date" in bad.output and "Traceback" not in bad.output


def test_generic_templates_without_a_template_file(sqlite_template, tmp_path):
    empty = tmp_path / "templates.toml"
    empty.write_text("# no templates\n", encoding="utf-8")
    engine = _fresh(sqlite_template, tmp_path)
    generate_history(engine, tickets=60, seed=1, end=END, templates=empty)
    with session_scope(engine) as s:
        subjects = s.scalars(select(Ticket.subject).where(Ticket.channel != "monitoring")).all()
        types = set(s.scalars(select(Ticket.type)).all())
    generic = ("not working", "Problem with", "Error in", "is very slow", "Request:", "set up", "Need access")
    assert subjects and all(any(g in subject for g in generic) for subject in subjects)
    assert types == {"incident", "request"}
