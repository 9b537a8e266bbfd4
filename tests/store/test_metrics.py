"""Metrics with hand-computed answers, on SQLite and PostgreSQL (DESIGN.md §2 Metrics).

Histories are built through the services with ``at=`` timestamps while the clock
is frozen at Monday 2026-11-16 09:00 UTC. In November London is on GMT, so the
"Service Desk hours" calendar (P2-P4) is open Mon-Fri 07:00-23:00 UTC and P1
runs 24x7. Every expected number below is worked out in the comment beside it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from deskui.domain.metrics import Targets, percentile, period_of_days
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.survey import record_survey
from deskui.domain import report as shown
from deskui.store import metrics as m
from deskui.store import metrics_series as series
from deskui.store import wallboard as wb
from deskui.store.db import session_scope
from deskui.store.tickets import ticket_record

TZ = "Europe/London"
# Two weeks of local days: Mon 2 Nov .. Sun 15 Nov 2026 = [2026-11-02 00:00Z, 2026-11-16 00:00Z).
NOV = period_of_days(date(2026, 11, 2), date(2026, 11, 16), TZ)
SERVICE_DESK_CATEGORY = "Software/Web Browser"  # routed to the Service Desk (tier 1)


@pytest.fixture
def desk(org, frozen_now):
    return org


def A(engine, username="demo"):
    return actor_for(engine, username)


def T(day: int, hour: int = 0, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute)


def open_at(engine, at, *, impact="medium", urgency="medium", category=SERVICE_DESK_CATEGORY,
            requester="ana.ruiz@northwind.example", **kw):
    return svc.open_ticket(engine, A(engine), subject="Printer offline", requester=requester, category=category,
                           impact=impact, urgency=urgency, at=at, **kw).id


def reply(engine, ticket_id, at, who="demo"):
    svc.add_comment(engine, A(engine, who), ticket_id, "We are on it", at=at)


def resolve(engine, ticket_id, at, who="demo"):
    svc.resolve(engine, A(engine, who), ticket_id, code="solved", notes="fixed", at=at)


def record(engine, ticket_id):
    with session_scope(engine) as s:
        return ticket_record(s, ticket_id)


def report(engine, period=NOV, **kw):
    return m.build_report(engine, period, **kw)


# ------------------------------------------------------------------ percentiles

def test_percentile_interpolates_like_percentile_cont():
    assert percentile([10, 20, 30, 40, 100], 0.5) == 30
    assert percentile([10, 20, 30, 40, 100], 0.9) == pytest.approx(76)  # h = 3.6: 40 + 0.6 * 60
    assert percentile([2, 4, 10, 24], 0.5) == 7  # h = 1.5
    assert percentile([7], 0.9) == 7
    assert percentile([], 0.5) is None


# ------------------------------------------------------------------ durations

def test_first_response_and_resolution_times(desk):
    base = T(3, 9)  # Tue 3 Nov 09:00
    created = [base + timedelta(hours=i) for i in range(5)]
    ids = [open_at(desk, at) for at in created]
    for tid, at, minutes in zip(ids, created, (10, 20, 30, 40, 100)):
        reply(desk, tid, at + timedelta(minutes=minutes))
    # created before the period, first reply inside it (23:00 -> 00:50, 110 min): counts
    early = open_at(desk, T(1, 23, 0))
    reply(desk, early, T(2, 0, 50))
    # created inside, first reply after the period: left out
    late = open_at(desk, T(15, 23, 0))
    # an internal note is not a response
    svc.add_comment(desk, A(desk), late, "note", internal=True, at=T(15, 23, 1))
    reply(desk, late, T(16, 0, 5))

    # Resolution (calendar hours): 2, 4, 10, 24 -> mean 10, median 7, p90 = 10 + 0.7 * 14 = 19.8
    for tid, at, hours in zip(ids, created, (2, 4, 10, 24)):
        resolve(desk, tid, at + timedelta(hours=hours))
    resolve(desk, late, T(16, 1))  # resolved after the period: left out

    r = report(desk)
    f = r.figures
    # responses: 10, 20, 30, 40, 100, 110 minutes -> median (30 + 40) / 2 = 35, p90: h = 4.5 -> 100 + 0.5 * 10 = 105
    assert f.first_response.count == 6
    assert f.first_response.median_seconds == 35 * 60
    assert f.first_response.p90_seconds == pytest.approx(105 * 60)
    assert f.resolution.count == 4 and f.resolved == 4
    assert f.resolution.mean_seconds == 10 * 3600
    assert f.resolution.median_seconds == 7 * 3600
    assert f.resolution.p90_seconds == pytest.approx(19.8 * 3600)
    assert f.opened == 6  # the five, plus `late` (created 15 Nov 23:00); `early` was created 1 Nov

    data = shown.report_dict(r)
    assert data["first_response_minutes"] == {"responses": 6, "median": 35.0, "p90": 105.0}
    assert data["resolution_hours"] == {"resolved": 4, "unknown": 0, "mean": 10.0, "median": 7.0, "p90": 19.8}

    # The target figures split P1-P2 from P3-P4 and incidents from requests: all these are P3 incidents.
    assert r.target_figures.first_response_p1_p2.count == 0
    assert r.target_figures.first_response_other.median_seconds == 35 * 60
    assert r.target_figures.resolution_incident.mean_seconds == 10 * 3600
    assert r.target_figures.resolution_request.count == 0


def test_percentiles_per_breakdown_value(desk):
    """Three priorities with hand-picked resolution times (hours); the breakdown computes
    each group's median and p90 (one window pass), the whole its own."""
    durations = {("high", "high"): [1, 3], ("high", "medium"): [2, 4, 6, 30], ("medium", "medium"): [5]}
    start = T(3, 8)
    for (impact, urgency), hours in durations.items():
        for h in hours:
            tid = open_at(desk, start, impact=impact, urgency=urgency)
            resolve(desk, tid, start + timedelta(hours=h))
            start += timedelta(minutes=7)
    r = report(desk, by="priority")
    rows = {row.label: row.figures.resolution for row in r.breakdown}
    # P1 [1, 3]: median 2, p90 = 1 + 0.9 * 2 = 2.8; P2 [2, 4, 6, 30]: median 5, p90: h = 2.7 -> 6 + 0.7 * 24 = 22.8
    assert (rows["P1"].median_seconds, rows["P1"].p90_seconds) == (2 * 3600, pytest.approx(2.8 * 3600))
    assert (rows["P2"].median_seconds, rows["P2"].p90_seconds) == (5 * 3600, pytest.approx(22.8 * 3600))
    assert (rows["P3"].median_seconds, rows["P3"].p90_seconds) == (5 * 3600, 5 * 3600)
    assert rows["P2"].mean_seconds == 10.5 * 3600
    # the whole: 1, 2, 3, 4, 5, 6, 30 -> median 4, p90: h = 5.4 -> 6 + 0.4 * 24 = 15.6
    whole = r.figures.resolution
    assert (whole.median_seconds, whole.p90_seconds) == (4 * 3600, pytest.approx(15.6 * 3600))
    # Without percentiles (the metrics screen's table): the same counts and means, no medians.
    with session_scope(desk) as s:
        lean = {row.label: row.figures.resolution for row in m.breakdown(s, NOV, "priority", percentiles=False)}
    assert {k: (d.count, d.mean_seconds) for k, d in lean.items()} == {
        k: (d.count, d.mean_seconds) for k, d in rows.items()}
    assert all(d.median_seconds is None and d.p90_seconds is None for d in lean.values())


def test_percentiles_agree_with_the_reference_with_ties(desk):
    """Whole-minute durations with ties, split over channels: every group's median and p90
    (both SQL paths: per-group ordered scans, and the window pass) equal the reference."""
    import random

    rng = random.Random(11)
    channels = ("email", "phone", "chat")
    by_channel: dict[str, list[int]] = {c: [] for c in channels}
    start = T(3, 8)
    for i in range(23):
        minutes = rng.choice((5, 5, 10, 30, 30, 30, 45, 90, 240))
        channel = channels[i % 3]
        tid = open_at(desk, start, channel=channel)
        resolve(desk, tid, start + timedelta(minutes=minutes))
        by_channel[channel].append(minutes * 60)
        start += timedelta(minutes=11)
    everything = sorted(v for values in by_channel.values() for v in values)
    whole = report(desk).figures.resolution
    assert (whole.median_seconds, whole.p90_seconds) == (percentile(everything, 0.5),
                                                         pytest.approx(percentile(everything, 0.9)))
    rows = {row.label: row.figures.resolution for row in report(desk, by="channel").breakdown}
    for channel, values in by_channel.items():
        values.sort()
        assert rows[channel].median_seconds == pytest.approx(percentile(values, 0.5))
        assert rows[channel].p90_seconds == pytest.approx(percentile(values, 0.9))
        assert rows[channel].count == len(values)


# ------------------------------------------------------------------ FCR and rates

def test_fcr_reopen_escalation_and_reassignment_rates(desk):
    day = T(4, 8)  # Wed 4 Nov 08:00

    def taken(offset_hours, category=SERVICE_DESK_CATEGORY, who="demo"):
        tid = open_at(desk, day + timedelta(hours=offset_hours), category=category)
        svc.assign(desk, A(desk), tid, who, at=day + timedelta(hours=offset_hours, minutes=1))
        return tid

    a = taken(0)  # FCR: tier 1, first assignee resolves, nothing else happened
    resolve(desk, a, day + timedelta(hours=1))

    b = taken(1)  # reassigned demo -> akhan
    svc.assign(desk, A(desk), b, "akhan", at=day + timedelta(hours=1, minutes=10))
    resolve(desk, b, day + timedelta(hours=2), who="akhan")

    c = taken(2)  # escalated to tier 2
    svc.escalate(desk, A(desk), c, reason="needs deskside", tier=2, at=day + timedelta(hours=2, minutes=10))
    resolve(desk, c, day + timedelta(hours=3))

    d = taken(3)  # resolved, reopened, resolved again: counted once, as reopened
    resolve(desk, d, day + timedelta(hours=4))
    svc.reopen(desk, A(desk), d, reason="still broken", at=day + timedelta(hours=5))
    resolve(desk, d, day + timedelta(hours=6))

    e = taken(4, category="Network/VPN", who="snair")  # routed to Network Operations: tier 2
    resolve(desk, e, day + timedelta(hours=5), who="snair")

    f_ = open_at(desk, day + timedelta(hours=5))  # resolved without ever being assigned
    resolve(desk, f_, day + timedelta(hours=6))

    h = taken(6)  # demo -> nobody -> akhan: a hand-off through nobody is a reassignment (issue 19.2)
    svc.assign(desk, A(desk), h, None, at=day + timedelta(hours=6, minutes=5))
    svc.assign(desk, A(desk), h, "akhan", at=day + timedelta(hours=6, minutes=10))
    resolve(desk, h, day + timedelta(hours=7), who="akhan")

    g = taken(-72)  # resolved before the period: not in any rate
    resolve(desk, g, T(1, 12))

    assert record(desk, e).tier == 2 and record(desk, a).tier == 1
    f = report(desk).figures
    # resolved in the period: a, b, c, d, e, f_, h = 7
    assert f.resolved == 7
    assert (f.fcr, f.reopened, f.escalated, f.reassigned) == (1, 1, 1, 2)  # reassigned: b and h
    assert f.fcr_rate == pytest.approx(1 / 7)
    assert f.reopen_rate == f.escalation_rate == pytest.approx(1 / 7)
    assert f.reassignment_rate == pytest.approx(2 / 7)


# ------------------------------------------------------------------ SLA compliance

def build_sla_history(desk):
    """Eight tickets whose targets fall due in, before, after or never in NOV."""
    t = {}
    # S1 P3, opened Fri 6 Nov 21:00. Response 4 business hours: Fri 21-23 (2 h) + Mon 9 07-09 -> due Mon 09:00;
    # replied Mon 08:30: met. Resolution 48 business hours: 2 + 16 (Mon) + 16 (Tue) + 14 -> Wed 11 Nov 21:00;
    # resolved Tue 12:00: met.
    t["S1"] = open_at(desk, T(6, 21))
    reply(desk, t["S1"], T(9, 8, 30))
    resolve(desk, t["S1"], T(10, 12))
    # S2 P3, opened Mon 9 Nov 07:00, replied 10:00 (due 11:00): met. Resolution runs 8 h to the pause at
    # 15:00, pending until Wed 11 07:00, then 40 h more: Wed 16 + Thu 16 + Fri 8 -> Fri 13 Nov 15:00.
    # Resolved Fri 14:00: met (it would have been breached without the pause: due Wed 11 23:00).
    t["S2"] = open_at(desk, T(9, 7))
    reply(desk, t["S2"], T(9, 10))
    svc.change_status(desk, A(desk), t["S2"], "pending", pending_reason="awaiting_requester", at=T(9, 15))
    svc.change_status(desk, A(desk), t["S2"], "open", at=T(11, 7))
    resolve(desk, t["S2"], T(13, 14))
    # S3 P2 (30 min / 8 business hours), opened Tue 10 Nov 10:00; first reply 11:00 (due 10:30): breached;
    # resolved Wed 11 09:00 (due Tue 18:00): breached.
    t["S3"] = open_at(desk, T(10, 10), impact="high")
    reply(desk, t["S3"], T(10, 11))
    resolve(desk, t["S3"], T(11, 9))
    # S4 P2, opened Thu 12 Nov 20:00, replied 20:10 (due 20:30): met. Resolution: Thu 20-23 (3 h) + Fri 07-12
    # -> due Fri 13 12:00, still open: a still-open breach, even though no sweep refreshed the stored state.
    t["S4"] = open_at(desk, T(12, 20), impact="high")
    reply(desk, t["S4"], T(12, 20, 10))
    # S5 P3, opened Mon 2 Nov 09:00, replied 09:30 (due 13:00): met. Resolved Mon 17:00 after 8 h; reopened
    # Wed 4 07:00 with 40 h left: Wed 16 + Thu 16 + Fri 8 -> due Fri 6 Nov 15:00; resolved Fri 16:00: breached.
    t["S5"] = open_at(desk, T(2, 9))
    reply(desk, t["S5"], T(2, 9, 30))
    resolve(desk, t["S5"], T(2, 17))
    svc.reopen(desk, A(desk), t["S5"], reason="came back", at=T(4, 7))
    resolve(desk, t["S5"], T(6, 16))
    # S6 P4 (8 h / 80 h), opened Fri 13 Nov 22:00: response due Mon 16 14:00 -- after the period and after now.
    t["S6"] = open_at(desk, T(13, 22), impact="low", urgency="low")
    # S7 P1 (24x7: 15 min / 4 h), opened Sun 1 Nov 22:00, replied 22:05: the response fell due (22:15) before
    # the period; resolution due Mon 2 Nov 02:00 (in the period), resolved 01:00: met.
    t["S7"] = open_at(desk, T(1, 22), impact="high", urgency="high")
    reply(desk, t["S7"], T(1, 22, 5))
    resolve(desk, t["S7"], T(2, 1))
    # S8 P3, opened Thu 12 Nov 08:00, replied 08:30 (due 12:00): met; pending from 09:00: the resolution
    # target is paused, has no deadline, and waits.
    t["S8"] = open_at(desk, T(12, 8))
    reply(desk, t["S8"], T(12, 8, 30))
    svc.change_status(desk, A(desk), t["S8"], "pending", pending_reason="awaiting_vendor", at=T(12, 9))
    return t


def test_sla_compliance_counts_targets_that_fell_due(desk):
    t = build_sla_history(desk)
    # The history is what the comments say.
    assert record(desk, t["S1"]).response_due_at == T(9, 9)
    assert record(desk, t["S1"]).resolution_due_at == T(11, 21)
    assert record(desk, t["S2"]).resolution_due_at == T(13, 15)
    assert record(desk, t["S3"]).resolution_due_at == T(10, 18)
    assert (record(desk, t["S4"]).resolution_state, record(desk, t["S4"]).resolution_due_at) == ("ok", T(13, 12))
    assert (record(desk, t["S5"]).resolution_state, record(desk, t["S5"]).resolution_due_at) == ("breached", T(6, 15))
    assert record(desk, t["S6"]).response_due_at == T(16, 14)
    assert record(desk, t["S7"]).resolution_due_at == T(2, 2)
    assert (record(desk, t["S8"]).resolution_state, record(desk, t["S8"]).resolution_due_at) == ("paused", None)

    sla = report(desk).figures.sla
    # Response fell due: S1, S2, S3, S4, S5, S8 (S6 after, S7 before) -- all met but S3.
    assert (sla.response_due, sla.response_met) == (6, 5)
    # Resolution fell due: S1 met, S2 met, S3 breached, S4 breached (open), S5 breached, S7 met (S6 later, S8 paused).
    assert (sla.resolution_due, sla.resolution_met) == (6, 3)
    assert sla.response_compliance == pytest.approx(5 / 6)
    assert sla.resolution_compliance == 0.5

    # A period that runs past now only counts what fell due by now: S6's response (due today 14:00) waits.
    through_today = period_of_days(date(2026, 11, 2), date(2026, 11, 17), TZ)
    sla = report(desk, through_today).figures.sla
    assert (sla.response_due, sla.resolution_due) == (6, 6)
    # The first week alone: S5 (response met, resolution breached) and S7's resolution (met).
    week = period_of_days(date(2026, 11, 2), date(2026, 11, 9), TZ)
    sla = report(desk, week).figures.sla
    assert (sla.response_due, sla.response_met, sla.resolution_due, sla.resolution_met) == (1, 1, 2, 1)


def test_a_cancelled_ticket_is_neither_met_nor_breached_unless_it_had_breached(desk):
    """Issue 19.1: a cancelled ticket's targets are left out of compliance (the clock
    stopped them, nobody met them) and the ticket out of the first-response figures;
    a target that had already breached before the cancellation stays a breach."""
    build_sla_history(desk)
    before = report(desk).figures
    assert (before.sla.response_due, before.sla.response_met) == (6, 5)
    assert (before.sla.resolution_due, before.sla.resolution_met) == (6, 3)

    cancel = lambda tid, at: svc.change_status(desk, A(desk), tid, "cancelled", at=at)  # noqa: E731
    # C1: cancelled an hour after it came in, nobody answered (the old rule: response and resolution "met").
    c1 = open_at(desk, T(3, 9))
    cancel(c1, T(3, 10))
    # C2: no answer by its 4 h response deadline (Wed 13:00), cancelled the next day: a breach stays a breach.
    c2 = open_at(desk, T(4, 9))
    cancel(c2, T(5, 9))
    # C3: answered in 10 minutes, then cancelled: out of the first-response figures and of compliance.
    c3 = open_at(desk, T(3, 11))
    reply(desk, c3, T(3, 11, 10))
    cancel(c3, T(3, 12))
    assert record(desk, c1).response_state == "met" and record(desk, c2).response_state == "breached"

    after = report(desk).figures
    assert (after.sla.response_due, after.sla.response_met) == (7, 5)  # only C2's breach is added
    assert (after.sla.resolution_due, after.sla.resolution_met) == (6, 3)  # unchanged
    assert after.first_response == before.first_response  # C3's ten minutes are not counted
    # Opened counts every ticket created in the period; cancelled ones are shown apart.
    assert (after.opened, after.cancelled) == (before.opened + 3, before.cancelled + 3)
    assert after.resolved == before.resolved
    assert shown.report_dict(report(desk))["tickets_cancelled"] == 3


def test_an_imported_outcome_wins_over_the_computed_state(desk):
    """An import carries the source system's verdict (external_made_sla); it decides the
    resolution outcome of a target that fell due. Set here as the importer would."""
    from sqlalchemy import update

    from deskui.store.models import Ticket

    t = build_sla_history(desk)
    with session_scope(desk) as s:  # S1 was met here, the source says missed; S3 the other way round
        s.execute(update(Ticket).where(Ticket.id == t["S1"]).values(external_made_sla=False))
        s.execute(update(Ticket).where(Ticket.id == t["S3"]).values(external_made_sla=True))
    sla = report(desk).figures.sla
    assert (sla.resolution_due, sla.resolution_met) == (6, 3)  # S1 now a miss, S3 now met: still 3 of 6
    with session_scope(desk) as s:
        s.execute(update(Ticket).where(Ticket.id == t["S3"]).values(external_made_sla=None))
    assert report(desk).figures.sla.resolution_met == 2
    assert report(desk).figures.sla.response_met == 5  # the response target is not affected


def test_backlog_now_with_aging_and_past_sla(desk):
    t = build_sla_history(desk)
    b = report(desk).figures.backlog
    # Active at Mon 16 09:00: S4 (open, 3 d 13 h old, past SLA), S6 (new, 2 d 11 h, response due 14:00),
    # S8 (pending, 4 d 1 h, paused).
    assert b.open == 3 and b.past_sla == 1
    assert b.past_sla_share == pytest.approx(1 / 3)
    assert b.aging == (0, 1, 2, 0)
    # Aging boundaries are [0, 1 d), [1 d, 3 d), [3 d, 7 d), [7 d, ...): exactly 1 day old is "1d_to_3d".
    exact = open_at(desk, T(15, 9))
    old = open_at(desk, T(9, 9))  # exactly 7 days
    b = report(desk).figures.backlog
    assert b.aging == (0, 2, 2, 1) and b.open == 5
    assert t and exact and old


def test_wallboard_counts_live_state(desk):
    t = build_sla_history(desk)
    svc.assign(desk, A(desk), t["S6"], "akhan", at=T(16, 8))
    with session_scope(desk) as s:
        w = wb.wallboard(s)
    assert (w.open, w.breached, w.at_risk, w.unassigned) == (3, 1, 0, 2)  # S4 and S8 have no assignee
    assert [b.id for b in w.oldest_breaches] == [t["S4"]]
    assert w.oldest_breaches[0].breached_at == T(13, 12)
    assert {a.username: a.open for a in w.analysts} == {"akhan": 1}
    by_group = {g.group: (g.open, g.breached) for g in w.groups}
    assert by_group == {"Service Desk": (3, 1)}
    assert w.marker > 0


# ------------------------------------------------------------------ CSAT

def test_csat_share_mean_and_responses(desk):
    ids = []
    for i in range(6):
        tid = open_at(desk, T(2, 8 + i))
        resolve(desk, tid, T(2, 9 + i))
        ids.append(tid)
    for tid, score, day in zip(ids, (5, 4, 3, 1, 5, 2), (3, 4, 5, 6, 15, 1)):
        record_survey(desk, tid, score, at=T(day, 12))  # the last one (2) is before the period
    c = report(desk).figures.csat
    # in the period: 5, 4, 3, 1, 5 -> 3 of 5 satisfied, mean 18 / 5
    assert (c.responses, c.satisfied, c.score_total) == (5, 3, 18)
    assert c.satisfied_share == 0.6 and c.mean == 3.6


# ------------------------------------------------------------------ recurrence

SEP = period_of_days(date(2026, 9, 1), date(2026, 10, 1), TZ)  # BST: [2026-08-31 23:00Z, 2026-09-30 23:00Z)


def test_recurrence_inside_and_outside_the_window(desk):
    printers = "Printing/Printer Setup"
    bob = "bob.stone@northwind.example"

    def incident(created, resolved=None, *, ci="", category=printers, requester="ana.ruiz@northwind.example",
                 type="incident"):
        tid = open_at(desk, created, ci=ci, category=category, requester=requester, type=type)
        if resolved:
            resolve(desk, tid, resolved)
        return tid

    a1 = incident(T(2, 9, month=9), T(3, 10, month=9), ci="PRN-01")
    incident(T(5, 10, month=9), T(6, 10, month=9), ci="PRN-01")  # a2: recurrence of a1, 48 h later
    incident(T(20, 10, month=10), ci="PRN-01")  # 44 days after a2: a2 does not recur
    b1 = incident(T(8, 8, month=9), T(10, 10, month=9))  # key ana + printers
    incident(T(10, 10, month=10))  # exactly 30 days (720 h) later: b1 recurs (the window is inclusive)
    incident(T(12, 8, month=9), T(12, 12, month=9), category="Software/Web Browser")  # c1 ...
    incident(T(13, 8, month=9), ci="LAPTOP-7", category="Software/Web Browser")  # ... has a CI: another key
    incident(T(15, 8, month=9), T(15, 12, month=9), requester=bob)  # d1 ...
    incident(T(16, 8, month=9), T(17, 8, month=9), requester=bob, type="request")  # ... a request is no recurrence
    incident(T(20, 9, month=9), T(20, 12, month=9), ci="SRV-9")  # f1 and f2 overlap: f2 was opened before
    incident(T(20, 10, month=9), T(21, 8, month=9), ci="SRV-9")  # f1 was resolved, so neither recurs

    rec = report(desk, SEP).figures.recurrence
    # resolved incidents in September: a1, a2, b1, c1, d1, f1, f2 = 7; recurring: a1 (48 h), b1 (720 h)
    assert (rec.resolved_incidents, rec.recurring) == (7, 2)
    assert rec.rate == pytest.approx(2 / 7)
    assert rec.mean_hours_between == 384  # (48 + 720) / 2
    # With a breakdown the overall recurrence is summed from its rows: the same figures.
    for by in ("category", "analyst"):
        assert m.build_report(desk, SEP, by=by).figures.recurrence == rec
    # A shorter window drops b1.
    rec = m.build_report(desk, SEP, window_days=29).figures.recurrence
    assert (rec.recurring, rec.mean_hours_between) == (1, 48)

    with session_scope(desk) as s:
        top = series.top_recurring_keys(s, SEP)
    # ties: keys without a CI first, then by CI
    assert [(k.label, k.recurrences) for k in top] == [("Ana Ruiz · Printing/Printer Setup", 1), ("PRN-01", 1)]
    assert [tk.id for tk in top[0].tickets] == [b1]  # the October recurrence was opened after the period
    assert top[1].tickets[-1].id == a1 and len(top[1].tickets) == 2


# ------------------------------------------------------------------ volume and arrivals

def test_volume_and_arrivals_in_local_time_across_dst(desk):
    # London leaves summer time on Sun 25 Oct 2026 at 01:00 UTC (02:00 BST -> 01:00 GMT).
    period = period_of_days(date(2026, 10, 24), date(2026, 10, 27), TZ)
    assert (period.since, period.until) == (datetime(2026, 10, 23, 23), datetime(2026, 10, 27))
    created = [
        datetime(2026, 10, 23, 22, 30),  # Fri 23:30 BST: before the period
        datetime(2026, 10, 23, 23, 30),  # Sat 24 00:30 BST
        datetime(2026, 10, 24, 22, 30),  # Sat 24 23:30 BST
        datetime(2026, 10, 24, 23, 30),  # Sun 25 00:30 BST
        datetime(2026, 10, 25, 0, 30),  # Sun 25 01:30 BST
        datetime(2026, 10, 25, 1, 30),  # Sun 25 01:30 GMT (the hour happens twice)
        datetime(2026, 10, 26, 8, 0),  # Mon 26 08:00 GMT
        datetime(2026, 10, 27, 0, 0),  # Tue 27 00:00 GMT: the end of the period
    ]
    ids = [open_at(desk, at) for at in created]
    resolve(desk, ids[1], datetime(2026, 10, 25, 0, 15))  # Sun 25 01:15 BST
    resolve(desk, ids[6], datetime(2026, 10, 26, 23, 59))  # Mon 26 23:59 GMT
    with session_scope(desk) as s:
        volume = series.volume_per_day(s, period)
        heat = series.arrivals_heatmap(s, period)
    assert [(v.day.day, v.opened, v.resolved) for v in volume] == [(24, 2, 0), (25, 3, 1), (26, 1, 1)]
    cells = {(w, h): n for w, row in enumerate(heat) for h, n in enumerate(row) if n}
    # weekday Mon=0: Sat=5, Sun=6
    assert cells == {(5, 0): 1, (5, 23): 1, (6, 0): 1, (6, 1): 2, (0, 8): 1}


def test_compliance_per_day_follows_the_due_day(desk):
    build_sla_history(desk)
    with session_scope(desk) as s:
        days = {d.day: d for d in series.compliance_per_day(s, NOV)}
    assert len(days) == 14
    # Mon 2 Nov: S5's response (met, due 13:00) and S7's resolution (met, due 02:00)
    assert (days[date(2026, 11, 2)].response_due, days[date(2026, 11, 2)].response_met) == (1, 1)
    assert (days[date(2026, 11, 2)].resolution_due, days[date(2026, 11, 2)].resolution_met) == (1, 1)
    # Fri 13 Nov: S2's resolution (met 15:00) and S4's (breached 12:00)
    fri = days[date(2026, 11, 13)]
    assert (fri.resolution_due, fri.resolution_met, fri.resolution_compliance) == (2, 1, 0.5)
    assert sum(d.response_due for d in days.values()) == 6
    assert sum(d.resolution_met for d in days.values()) == 3


# ------------------------------------------------------------------ breakdown, empty periods, targets

def test_breakdown_by_priority_and_analyst(desk):
    build_sla_history(desk)
    r = report(desk, by="priority")
    rows = {row.label: row.figures for row in r.breakdown}
    assert list(rows) == ["P1", "P2", "P3", "P4"]
    # P2: S3 (both breached) and S4 (response met, resolution breached)
    assert (rows["P2"].sla.response_due, rows["P2"].sla.response_met) == (2, 1)
    assert (rows["P2"].sla.resolution_due, rows["P2"].sla.resolution_met) == (2, 0)
    assert rows["P2"].opened == 2 and rows["P2"].resolved == 1
    assert rows["P4"].backlog.open == 1 and rows["P1"].resolved == 1
    # the breakdown adds up to the whole
    assert sum(f.opened for f in rows.values()) == r.figures.opened
    assert sum(f.sla.resolution_met for f in rows.values()) == r.figures.sla.resolution_met

    by_analyst = report(desk, by="analyst")
    # nobody was assigned: every ticket is in the "none" row, shown as null
    assert [(row.value, row.label) for row in by_analyst.breakdown] == [(None, None)]
    data = shown.report_dict(by_analyst)
    assert data["by"] == "analyst" and data["breakdown"][0]["value"] is None
    assert data["breakdown"][0]["tickets_opened"] == r.figures.opened


def test_unknown_breakdown_names_the_choices(desk):
    with pytest.raises(ValueError, match="--by: 'colour' is not one of priority, category, group, analyst"):
        report(desk, by="colour")


def test_empty_period_has_no_rates(desk):
    build_sla_history(desk)
    empty = period_of_days(date(2025, 1, 1), date(2025, 1, 8), TZ)
    r = report(desk, empty)
    data = shown.report_dict(r)
    assert data["tickets_opened"] == data["tickets_resolved"] == 0
    assert data["first_response_minutes"] == {"responses": 0, "median": None, "p90": None}
    assert data["resolution_hours"] == {"resolved": 0, "unknown": 0, "mean": None, "median": None, "p90": None}
    for key in ("fcr_rate", "reopen_rate", "escalation_rate", "reassignment_rate"):
        assert data[key] is None
    assert data["sla"]["response_compliance"] is None and data["sla"]["resolution_compliance"] is None
    assert data["csat"] == {"responses": 0, "satisfied_share": None, "mean": None}
    assert data["recurrence"]["rate"] is None and data["recurrence"]["mean_hours_between"] is None
    assert data["backlog"]["open"] == 3  # the backlog is "now", whatever the period
    with session_scope(desk) as s:
        assert all(v.opened == 0 for v in series.volume_per_day(s, empty))
        assert sum(map(sum, series.arrivals_heatmap(s, empty))) == 0
        assert series.top_recurring_keys(s, empty) == []
    assert m.build_report(desk, empty, by="group").breakdown != ()  # backlog rows still exist


def test_kpis_compare_with_targets(desk):
    build_sla_history(desk)
    r = m.build_report(desk, NOV, targets=Targets.from_mapping({"sla_compliance": 50}))
    k = {kpi.key: kpi for kpi in shown.kpis(r.figures, r.target_figures, r.targets)}
    assert k["sla_resolution_compliance"].status == "good"  # 0.5 >= 50 %
    assert k["sla_response_compliance"].status == "good"
    assert k["csat_satisfied_share"].status == "none"
    # backlog 1/3 past SLA against < 5 %
    assert k["backlog_past_sla_share"].status == "bad"


def test_desk_timezone_is_the_calendar_most_policies_use(desk):
    with session_scope(desk) as s:
        assert m.desk_timezone(s) == "Europe/London"
