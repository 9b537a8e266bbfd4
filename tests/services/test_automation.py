"""Automation rules on SQLite and PostgreSQL: seeding, assignment on open (round robin,
least open load, tiers, away analysts), SLA escalation, auto-close, and concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from deskui import clock
from deskui.errors import ValidationError
from deskui.services import automation, sla, tickets
from deskui.services.actors import actor_for
from deskui.services.sweep import sweep
from deskui.store.db import session_scope, write_session
from deskui.store.models import Analyst, TicketEvent
from deskui.store.models_ops import Notification, RuleFiring
from deskui.store.tickets import events, ticket_record

SAMPLE_RULES = Path(__file__).resolve().parents[2] / "sample_data" / "rules.toml"

SERVICE_DESK = "Accounts & Access/Password & Lockout"    # routes to Service Desk (tier 1)
DESKTOP = "Hardware/Laptop & Desktop"                    # Desktop Support (tier 2)
NETWORK = "Network/VPN"                                  # Network Operations (tier 2)
SERVERS = "Server & Cloud"                               # a group name, tier 3


@pytest.fixture
def desk(org, frozen_now):
    return org


@pytest.fixture
def ruled(desk):
    automation.seed_rules(desk, SAMPLE_RULES)
    return desk


def me(engine, username="demo"):
    return actor_for(engine, username)


def open_in(engine, category=None, group=None, **kw):
    args = dict(subject="Locked out again", requester="ana.ruiz@northwind.example", category=category, group=group)
    args.update(kw)
    return tickets.open_ticket(engine, me(engine), **args)


def history(engine, ticket_id):
    with session_scope(engine) as s:
        return events(s, ticket_id)


def record(engine, ticket_id):
    with session_scope(engine) as s:
        return ticket_record(s, ticket_id)


def set_away(engine, username, away=True):
    with write_session(engine) as s:
        s.execute(update(Analyst).where(Analyst.username == username).values(away=away))


def write_rules(tmp_path, text):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


# ------------------------------------------------------------------ seeding

def test_seed_sample_rules_is_idempotent_and_replaces(desk, tmp_path):
    first = automation.seed_rules(desk, SAMPLE_RULES)
    assert first.created == 7 and first.updated == 0
    again = automation.seed_rules(desk, SAMPLE_RULES)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    kinds = Counter(r.kind for r in automation.list_rules(desk))
    assert kinds == {"assign": 3, "sla_escalation": 3, "auto_close": 1}
    one = write_rules(tmp_path, '[[rule]]\nname = "only"\nkind = "assign"\nmethod = "least_open"\n')
    automation.seed_rules(desk, one)
    assert [(r.name, r.config["method"]) for r in automation.list_rules(desk)] == [("only", "least_open")]


@pytest.mark.parametrize("text, message", [
    ('[[rule]]\nname = "x"\nkind = "nope"\n', r"rules.toml:3: rule\[1\].kind: kind 'nope' is not one of assign"),
    ('[[rule]]\nname = "x"\nkind = "assign"\ngroups = ["Nowhere"]\n', r":4: rule\[1\].groups: unknown group 'Nowhere'"),
    ('[[rule]]\nname = "x"\nkind = "assign"\nmethod = "random"\n', r":4: .*'random' is not one of round_robin"),
    ('[[rule]]\nname = "x"\nkind = "assign"\ncolour = 1\n', r":4: rule\[1\].colour: unknown key 'colour'; accepted keys: "),
    ('[[rule]]\nname = "Bad Name"\nkind = "assign"\n', r":2: .*name 'Bad Name' must be"),
    ('[[rule]]\nname = "x"\nkind = "sla_escalation"\n', r"needs an action"),
    ('[[rule]]\nname = "x"\nkind = "auto_close"\nafter_business_days = 0\n', r":4: .*from 1 to 365"),
    ('[[rule]]\nname = "x"\nkind = "assign"\n[[rule]]\nname = "x"\nkind = "assign"\n', r":5: .*defined twice"),
])
def test_bad_rule_files_name_file_line_and_change_nothing(desk, tmp_path, text, message):
    automation.seed_rules(desk, SAMPLE_RULES)
    with pytest.raises(ValidationError, match=message):
        automation.seed_rules(desk, write_rules(tmp_path, text))
    assert len(automation.list_rules(desk)) == 7


# ------------------------------------------------------------------ assignment on open

def test_round_robin_skips_away_leads_and_other_tiers(ruled):
    set_away(ruled, "cbennett")  # lgarcia is away in the sample data already
    got = [open_in(ruled, SERVICE_DESK).assignee for _ in range(5)]
    # Service Desk analysts (role analyst, tier 1, not away): akhan, moyelaran
    assert got == ["akhan", "moyelaran", "akhan", "moyelaran", "akhan"]
    set_away(ruled, "cbennett", False)
    assert [open_in(ruled, SERVICE_DESK).assignee for _ in range(3)] == ["cbennett", "moyelaran", "akhan"]


def test_rule_effect_is_in_history_with_the_rule_name(ruled):
    t = open_in(ruled, SERVICE_DESK)
    assert t.status == "open"
    rows = [(e.actor, e.kind) for e in history(ruled, t.id)]
    assert rows == [("demo", "created"), ("rule:service-desk-round-robin", "rule"),
                    ("rule:service-desk-round-robin", "status"), ("rule:service-desk-round-robin", "assigned")]
    why = history(ruled, t.id)[1]
    assert why.detail == "round robin in Service Desk (tier 1)"


def test_least_open_load_within_the_group(ruled):
    # Desktop Support, tier 2: dokafor (lead), ekowalska, tbrennan. Load two onto ekowalska and one on dokafor.
    for who in ("ekowalska", "ekowalska", "dokafor"):
        open_in(ruled, DESKTOP, assignee=who)
    first = open_in(ruled, DESKTOP).assignee
    assert first == "tbrennan"
    second = open_in(ruled, DESKTOP).assignee   # tbrennan 1, dokafor 1, ekowalska 2: the tie takes turns
    assert second == "dokafor"
    loads = Counter(open_in(ruled, DESKTOP).assignee for _ in range(3))
    assert loads == {"tbrennan": 1, "dokafor": 1, "ekowalska": 1}


def test_exact_tier_and_at_least(ruled):
    # Network Operations is tier 2: snair (2) yes, hlindqvist (3) no.
    assert {open_in(ruled, NETWORK).assignee for _ in range(3)} == {"snair"}
    # Server & Cloud is tier 3 with tier = "at_least": hlindqvist and kasante take turns.
    assert {open_in(ruled, group=SERVERS).assignee for _ in range(4)} == {"hlindqvist", "kasante"}


def test_nobody_available_leaves_it_unassigned_with_a_reason(ruled):
    set_away(ruled, "snair")
    t = open_in(ruled, NETWORK)
    assert t.assignee == "" and t.status == "new"
    rule_events = [e for e in history(ruled, t.id) if e.kind == "rule"]
    assert len(rule_events) == 1 and "no available analyst in Network Operations (tier 2)" in rule_events[0].detail
    assert rule_events[0].actor == "rule:resolver-least-load"


def test_explicit_assignee_and_no_rules_mean_no_automation(desk, ruled):
    t = open_in(ruled, SERVICE_DESK, assignee="demo")
    assert t.assignee == "demo"
    assert not any(e.actor.startswith("rule:") for e in history(ruled, t.id))


def test_no_rules_no_assignment(desk):
    t = open_in(desk, SERVICE_DESK)
    assert t.assignee == "" and [e.kind for e in history(desk, t.id)] == ["created"]


def test_types_filter(desk, tmp_path):
    automation.seed_rules(desk, write_rules(tmp_path, '[[rule]]\nname = "req-only"\nkind = "assign"\n'
                                                      'types = ["request"]\nroles = ["analyst"]\n'))
    assert open_in(desk, SERVICE_DESK).assignee == ""
    assert open_in(desk, SERVICE_DESK, type="request").assignee == "akhan"


# ------------------------------------------------------------------ concurrency

def _assigned_events(engine):
    with session_scope(engine) as s:
        return s.execute(select(TicketEvent.ticket_id, TicketEvent.new)
                         .where(TicketEvent.kind == "assigned")).all()


def test_concurrent_opens_take_round_robin_turns_exactly(ruled):
    per_thread, threads_n = 6, 3
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def work(user):
        actor = me(ruled, user)
        barrier.wait()
        try:
            for _ in range(per_thread):
                tickets.open_ticket(ruled, actor, subject="Password expired", requester="x@northwind.example",
                                    category=SERVICE_DESK)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(u,)) for u in ("demo", "akhan", "cbennett")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    rows = _assigned_events(ruled)
    assert len(rows) == per_thread * threads_n
    assert len({tid for tid, _ in rows}) == len(rows)  # one assignment per ticket
    counts = Counter(who for _, who in rows)  # akhan, cbennett, moyelaran in exact turns
    assert set(counts) == {"akhan", "cbennett", "moyelaran"} and set(counts.values()) == {6}


def test_two_analysts_applying_automation_at_once_never_double_assign(desk):
    ids = [open_in(desk, SERVICE_DESK).id for _ in range(12)]  # no rules yet: unassigned
    automation.seed_rules(desk, SAMPLE_RULES)
    barrier = threading.Barrier(2)
    outcomes = []

    def work():
        barrier.wait()
        outcomes.append(automation.apply_assignment(desk, ids))

    threads = [threading.Thread(target=work) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    done = [tid for o in outcomes for tid, _ in o.assigned]
    assert sorted(done) == ids  # each ticket assigned by exactly one of the two
    rows = _assigned_events(desk)
    assert sorted(tid for tid, _ in rows) == ids
    counts = Counter(who for _, who in rows)
    assert set(counts.values()) == {4}  # 12 tickets, 3 analysts, exact turns
    skipped = [why for o in outcomes for _, why in o.skipped]
    assert len(skipped) == 12 and all(w in ("already assigned", "changed by someone else meanwhile") for w in skipped)


def test_apply_assignment_finds_unassigned_tickets(desk):
    ids = [open_in(desk, NETWORK).id for _ in range(2)]
    automation.seed_rules(desk, SAMPLE_RULES)
    out = automation.apply_assignment(desk)
    assert [t for t, _ in out.assigned] == ids and {w for _, w in out.assigned} == {"snair"}
    assert automation.apply_assignment(desk).assigned == []


# ------------------------------------------------------------------ SLA escalation

def sweep_at(engine, when):
    with clock.frozen(when):
        return sweep(engine, now=when)


def rule_rows(engine, ticket_id):
    return [(e.actor, e.kind, e.field, e.old, e.new) for e in history(engine, ticket_id) if e.actor.startswith("rule:")]


def test_at_risk_notifies_once(ruled, frozen_now):
    t = open_in(ruled, NETWORK, impact="high", urgency="medium")  # P2: response 30 min, warn at 75%
    assert t.priority == 2
    sweep_at(ruled, frozen_now + timedelta(minutes=10))
    assert not [r for r in rule_rows(ruled, t.id) if r[1] == "notified"]
    sweep_at(ruled, frozen_now + timedelta(minutes=25))
    sweep_at(ruled, frozen_now + timedelta(minutes=26))
    notified = [e for e in history(ruled, t.id) if e.kind == "notified"]
    assert len(notified) == 1 and notified[0].actor == "rule:p1-p2-at-risk-notify"
    assert "Network Operations <netops@northwind.example>" in notified[0].detail
    why = [e for e in history(ruled, t.id) if e.kind == "rule" and e.actor == "rule:p1-p2-at-risk-notify"]
    assert len(why) == 1 and why[0].field == "response" and why[0].new == "at_risk"
    with session_scope(ruled) as s:
        outbox = s.scalars(select(Notification)).all()
    assert [(n.ticket_id, n.recipient, n.rule_name) for n in outbox] == [
        (t.id, "netops@northwind.example", "p1-p2-at-risk-notify")]
    assert record(ruled, t.id).version == t.version + 1  # a rule's change is a change


def test_breach_rebalances_to_least_loaded_colleague(ruled, frozen_now):
    t = open_in(ruled, DESKTOP, impact="high", urgency="medium")  # P2
    first = t.assignee
    # Resolution target 8 business hours on Service Desk hours (07-23): breached by 17:01.
    sweep_at(ruled, frozen_now + timedelta(hours=8, minutes=1))
    after = record(ruled, t.id)
    assert after.assignee not in ("", first)
    rows = rule_rows(ruled, t.id)
    assert ("rule:p1-p2-breach-rebalance", "assigned", "assignee", first, after.assignee) in rows
    assert after.reassignment_count == 1


def test_breach_raises_priority_and_sla_follows(ruled, frozen_now):
    t = open_in(ruled, NETWORK)  # P3 incident: 2880 business minutes = 3 days of 16 h
    later = frozen_now + timedelta(days=3, hours=1)  # Thursday 10:00: 49 business hours used
    sweep_at(ruled, later)
    after = record(ruled, t.id)
    assert after.priority == 2 and after.priority_reason.startswith("raised by rule p3-breach-raise")
    assert ("rule:p3-breach-raise", "priority", "priority", "P3", "P2") in rule_rows(ruled, t.id)
    assert after.resolution_due_at < t.resolution_due_at  # the P2 policy now applies
    sweep_at(ruled, later + timedelta(hours=1))  # fires once only: no P1 next time
    assert record(ruled, t.id).priority == 2


def test_two_sweeps_at_once_fire_each_rule_once(ruled, frozen_now):
    ids = [open_in(ruled, NETWORK, impact="high", urgency="medium").id for _ in range(4)]
    when = frozen_now + timedelta(minutes=25)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work():
        barrier.wait()
        try:
            sweep_at(ruled, when)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    with session_scope(ruled) as s:
        firings = s.execute(select(RuleFiring.ticket_id, RuleFiring.rule_name)).all()
        notes = s.scalars(select(Notification.ticket_id)).all()
    assert sorted(f[0] for f in firings) == ids
    assert sorted(notes) == ids


def test_resolved_tickets_do_not_escalate(ruled, frozen_now):
    t = open_in(ruled, NETWORK, impact="high", urgency="medium")
    tickets.resolve(ruled, me(ruled), t.id, code="solved", notes="quick")
    sweep_at(ruled, frozen_now + timedelta(hours=9))
    assert not [e for e in history(ruled, t.id) if e.kind == "notified"]
    with session_scope(ruled) as s:
        assert s.scalars(select(RuleFiring).where(RuleFiring.ticket_id == t.id)).all() == []


# ------------------------------------------------------------------ auto-close

def test_close_deadline_counts_business_days_and_holidays(desk):
    with session_scope(desk) as s:
        from deskui.store.models import Calendar

        uk = sla.calendar_of(s.scalars(select(Calendar).where(Calendar.name == "UK business hours")).one())
    friday = datetime(2026, 11, 20, 10, 0)
    assert automation.close_deadline(friday, 3, uk) == datetime(2026, 11, 25, 10, 0)  # Mon, Tue, Wed
    before_christmas = datetime(2026, 12, 22, 10, 0)  # Wed 23 counts; 24-31 Dec and 1 Jan are closed
    assert automation.close_deadline(before_christmas, 3, uk) == datetime(2027, 1, 5, 10, 0)
    summer = datetime(2026, 7, 10, 9, 0)  # BST: 10:00 London, Friday
    assert automation.close_deadline(summer, 1, uk) == datetime(2026, 7, 13, 9, 0)
    assert automation.close_deadline(friday, 3, None) == datetime(2026, 11, 23, 10, 0)


def test_auto_close_after_n_business_days(ruled, frozen_now):
    friday = datetime(2026, 11, 20, 10, 0)
    t = open_in(ruled, SERVICE_DESK, at=friday - timedelta(hours=1))
    tickets.resolve(ruled, me(ruled), t.id, code="solved", notes="reset the password", at=friday)
    sweep_at(ruled, datetime(2026, 11, 25, 9, 59))
    assert record(ruled, t.id).status == "resolved"
    sweep_at(ruled, datetime(2026, 11, 25, 10, 0))
    closed = record(ruled, t.id)
    assert closed.status == "closed" and closed.closed_at == datetime(2026, 11, 25, 10, 0)
    last = history(ruled, t.id)[-1]
    assert (last.actor, last.kind) == ("rule:auto-close-resolved", "closed")


def test_auto_close_skips_reopened_and_respects_types(desk, tmp_path, frozen_now):
    automation.seed_rules(desk, write_rules(tmp_path, '[[rule]]\nname = "close-requests"\nkind = "auto_close"\n'
                                                      'after_business_days = 1\ntypes = ["request"]\n'))
    inc = open_in(desk, SERVICE_DESK)
    req = open_in(desk, SERVICE_DESK, type="request")
    again = open_in(desk, SERVICE_DESK, type="request")
    for t in (inc, req, again):
        tickets.resolve(desk, me(desk), t.id, code="solved", notes="done")
    tickets.reopen(desk, me(desk), again.id, reason="not fixed")
    closed = automation.auto_close(desk, now=frozen_now + timedelta(days=2))
    assert closed == [req.id]
    assert record(desk, inc.id).status == "resolved" and record(desk, again.id).status == "open"
