"""Problem management on SQLite and PostgreSQL: lifecycle, links, timeline,
resolving with incidents, candidate problems and known-error matching."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from deskui.errors import ConflictError, NotFound, ValidationError
from deskui.reads import problems as problem_reads
from deskui.services import problems as svc
from deskui.store.problem_matching import text_signature
from deskui.services import tickets
from deskui.services.actors import actor_for
from deskui.store.db import session_scope
from deskui.store.tickets import events, ticket_record


@pytest.fixture
def desk(org, frozen_now):
    return org


def me(engine, username="demo"):
    return actor_for(engine, username)


def incident(engine, subject="VPN drops every few minutes", requester="ana.ruiz@northwind.example",
             category="Network/VPN", ci="", at=None, **kw):
    return tickets.open_ticket(engine, me(engine), subject=subject, requester=requester, category=category, ci=ci,
                               at=at, **kw)


def ticket_events(engine, ticket_id):
    with session_scope(engine) as s:
        return events(s, ticket_id)


def test_create_from_incidents_links_them_with_events(desk):
    a, b = incident(desk), incident(desk, subject="VPN disconnects")
    p = svc.create_problem(desk, me(desk), "VPN gateway drops tunnels", incidents=[a.id, b.id])
    assert p.status == "new" and p.owner == "demo" and p.ref == f"PRB-{p.id}"
    detail = problem_reads.problem_detail(desk, p.id)
    assert [i.id for i in detail.incidents] == [a.id, b.id]
    assert [e.kind for e in detail.events] == ["created", "linked", "linked"]
    with session_scope(desk) as s:
        assert ticket_record(s, a.id).problem_id == p.id
    linked = [e for e in ticket_events(desk, a.id) if e.kind == "linked"]
    assert len(linked) == 1 and linked[0].new == p.ref and linked[0].actor == "demo"
    with session_scope(desk) as s:  # the analyst's screen learns the ticket moved on
        assert ticket_record(s, a.id).version == a.version + 1


def test_create_is_all_or_nothing(desk):
    a = incident(desk)
    req = incident(desk, subject="New laptop please", type="request", category="Hardware")
    with pytest.raises(ValidationError, match=f"#{req.id} is a request"):
        svc.create_problem(desk, me(desk), "Mixed", incidents=[a.id, req.id])
    assert problem_reads.list_problems(desk) == []
    with session_scope(desk) as s:
        assert ticket_record(s, a.id).problem_id is None
    with pytest.raises(NotFound, match="#99999"):
        svc.create_problem(desk, me(desk), "Ghost", incidents=[99999])
    with pytest.raises(ValidationError, match="title"):
        svc.create_problem(desk, me(desk), "   ")


def test_link_unlink_and_refuse_double_link(desk):
    a = incident(desk)
    p1 = svc.create_problem(desk, me(desk), "One")
    p2 = svc.create_problem(desk, me(desk), "Two")
    svc.link(desk, me(desk), p1.id, [a.id])
    svc.link(desk, me(desk), p1.id, [a.id])  # again: no change, no second event
    assert len([e for e in ticket_events(desk, a.id) if e.kind == "linked"]) == 1
    with pytest.raises(ValidationError, match=f"already linked to PRB-{p1.id}"):
        svc.link(desk, me(desk), p2.id, [a.id])
    with pytest.raises(ValidationError, match="not linked"):
        svc.unlink(desk, me(desk), p2.id, [a.id])
    svc.unlink(desk, me(desk), p1.id, [a.id])
    svc.link(desk, me(desk), p2.id, [a.id])
    with session_scope(desk) as s:
        assert ticket_record(s, a.id).problem_id == p2.id
    assert [e.kind for e in problem_reads.problem_detail(desk, p1.id).events] == ["created", "linked", "unlinked"]


def test_two_people_linking_one_incident_to_two_problems(desk):
    a = incident(desk)
    problems = [svc.create_problem(desk, me(desk), f"P{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def work(problem_id):
        barrier.wait()
        try:
            svc.link(desk, me(desk), problem_id, [a.id])
            outcomes.append("ok")
        except (ValidationError, ConflictError) as exc:
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=work, args=(p.id,)) for p in problems]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert outcomes.count("ok") == 1
    linked = [e for e in ticket_events(desk, a.id) if e.kind == "linked"]
    assert len(linked) == 1


def test_status_workflow_needs_workaround_and_fix(desk):
    p = svc.create_problem(desk, me(desk), "Printer queue stalls")
    p = svc.set_status(desk, me(desk), p.id, "investigating")
    with pytest.raises(ValidationError, match="workaround"):
        svc.set_status(desk, me(desk), p.id, "known error")
    p = svc.update_problem(desk, me(desk), p.id, root_cause="Spooler leaks handles",
                           workaround="Restart the spooler service")
    p = svc.set_status(desk, me(desk), p.id, "known_error")
    assert p.status == "known_error"
    with pytest.raises(ValidationError, match="permanent_fix"):
        svc.set_status(desk, me(desk), p.id, "resolved")
    with pytest.raises(ValidationError, match="is not one of new, investigating"):
        svc.set_status(desk, me(desk), p.id, "done")
    with pytest.raises(ValidationError, match="workaround"):
        svc.update_problem(desk, me(desk), p.id, workaround="")
    closed = svc.set_status(desk, me(desk), p.id, "closed")
    with pytest.raises(ValidationError, match="closed is final"):
        svc.set_status(desk, me(desk), closed.id, "investigating")
    kinds = [(e.kind, e.field) for e in problem_reads.problem_detail(desk, p.id).events]
    assert ("field", "root_cause") in kinds and ("field", "workaround") in kinds
    assert [e.new for e in problem_reads.problem_detail(desk, p.id).events if e.kind == "status"] == [
        "investigating", "known_error", "closed"]


def test_optimistic_locking_on_problems(desk):
    p = svc.create_problem(desk, me(desk), "Teams calls drop")
    svc.update_problem(desk, me(desk), p.id, root_cause="QoS", version=p.version)
    with pytest.raises(ConflictError):
        svc.update_problem(desk, me(desk, "akhan"), p.id, workaround="Use the web client", version=p.version)


def test_resolve_offers_and_resolves_open_incidents(desk, frozen_now):
    a, b, c = incident(desk), incident(desk), incident(desk)
    tickets.resolve(desk, me(desk), c.id, code="solved", notes="fixed on its own")
    p = svc.create_problem(desk, me(desk), "VPN gateway firmware", incidents=[a.id, b.id, c.id])
    assert problem_reads.open_incidents(desk, p.id) == [a.id, b.id]
    out = svc.resolve_problem(desk, me(desk), p.id, permanent_fix="Upgraded gateway firmware to 10.2.4",
                              resolve_incidents=True, note="Fixed by the gateway upgrade", at=frozen_now)
    assert out.problem.status == "resolved" and out.problem.resolved_at == frozen_now
    assert out.resolved_incidents == [a.id, b.id] and out.failed == []
    with session_scope(desk) as s:
        rec = ticket_record(s, a.id)
    assert rec.status == "resolved" and rec.resolution_notes == "Fixed by the gateway upgrade"
    assert problem_reads.open_incidents(desk, p.id) == []
    assert problem_reads.problem_detail(desk, p.id).events[-1].kind == "incidents_resolved"


def test_resolve_without_incidents_leaves_them_open(desk):
    a = incident(desk)
    p = svc.create_problem(desk, me(desk), "X", incidents=[a.id])
    out = svc.resolve_problem(desk, me(desk), p.id, permanent_fix="Patched")
    assert out.resolved_incidents == [] and problem_reads.open_incidents(desk, p.id) == [a.id]


def test_list_counts_and_recurrence(desk, frozen_now):
    day = timedelta(days=1)
    first = incident(desk, at=frozen_now - 20 * day)
    tickets.resolve(desk, me(desk), first.id, code="solved", notes="n", at=frozen_now - 19 * day)
    again = incident(desk, at=frozen_now - 10 * day)   # 9 days after a resolution: recurs
    late = incident(desk, at=frozen_now - 1 * day)     # 18 days after that resolution: recurs too
    p = svc.create_problem(desk, me(desk), "Recurring VPN", incidents=[first.id, again.id, late.id])
    other = svc.create_problem(desk, me(desk), "Other")
    rows = {r.id: r for r in problem_reads.list_problems(desk)}
    assert rows[p.id].incidents == 3 and rows[p.id].open_incidents == 2
    assert rows[p.id].recurrences == 2
    assert rows[p.id].last_incident_at == frozen_now - day
    assert rows[other.id].incidents == 0 and rows[other.id].recurrences == 0
    # a shorter window: only the 9-day gap counts
    short = {r.id: r for r in problem_reads.list_problems(desk, window=timedelta(days=10))}
    assert short[p.id].recurrences == 1
    assert [r.id for r in problem_reads.list_problems(desk, statuses=["new"])] == [other.id, p.id]
    with pytest.raises(ValidationError, match="status"):
        problem_reads.list_problems(desk, statuses=["nope"])


def test_candidates_by_ci_requester_category_and_text(desk, frozen_now):
    day = timedelta(days=1)
    for i in range(4):  # same CI, different people: the CI is the key
        incident(desk, requester=f"user{i}@northwind.example", ci="vpn-gw-lon-01", at=frozen_now - (i * 3 + 1) * day)
    for i in range(3):  # same person and category, no CI
        incident(desk, subject=f"Outlook problem {i}", requester="kim@northwind.example",
                 category="Email & Collaboration/Outlook & Mailbox", at=frozen_now - (i + 1) * day)
    for i, subject in enumerate(["Label printer jams on dock 3", "label printers jam on Dock 3!",
                                 "Dock 3: label printer jams"]):
        incident(desk, subject=subject, requester=f"w{i}@northwind.example", category="Hardware/Peripherals",
                 at=frozen_now - (i + 2) * day)
    incident(desk, subject="Disk alert 0", ci="old-ci", at=frozen_now - 40 * day)  # outside the window
    for i in (1, 2):
        incident(desk, subject=f"Disk alert {i}", ci="old-ci", at=frozen_now - 2 * day)  # 2 inside: below min_count
    linked = [incident(desk, subject=f"Backup job {i} failed", ci="linked-ci", at=frozen_now - day) for i in range(3)]
    svc.create_problem(desk, me(desk), "Known", incidents=[t.id for t in linked])

    found = problem_reads.candidates(desk, min_count=3)
    keys = [(c.kind, c.key, c.count) for c in found]
    assert keys[0] == ("ci", "ci vpn-gw-lon-01", 4)
    assert ("requester+category", "Kim / Email & Collaboration/Outlook & Mailbox", 3) in keys
    text = [c for c in found if c.kind == "text"]
    assert len(text) == 1 and text[0].count == 3 and "printer" in text[0].key
    assert not any("old-ci" in c.key or "linked-ci" in c.key for c in found)
    vpn = found[0]
    assert vpn.recent == 3 and vpn.previous == 1 and vpn.growth == 2
    with pytest.raises(ValidationError):
        problem_reads.candidates(desk, min_count=1)


def test_candidates_rank_growth_when_counts_tie(desk, frozen_now):
    day = timedelta(days=1)
    for i in range(3):
        incident(desk, subject=f"Steady {i}", requester=f"a{i}@northwind.example", ci="ci-steady", at=frozen_now - (8 + i) * day)
    for i in range(3):
        incident(desk, subject=f"Growing {i}", requester=f"b{i}@northwind.example", ci="ci-growing", at=frozen_now - (1 + i) * day)
    found = problem_reads.candidates(desk)
    assert [c.key for c in found] == ["ci ci-growing", "ci ci-steady"]
    assert [c.growth for c in found] == [3, -3]


def test_text_signature_is_order_case_and_plural_blind():
    a = text_signature("Label printers jam on Dock 3")
    assert a == text_signature("dock 3: label printer jams!")
    assert a != text_signature("Label printer out of paper")


def test_known_error_matching_by_ci_and_text(desk):
    seed = incident(desk, subject="Scanner will not sync with NorthTrack", ci="zebra-tc52-044")
    p = svc.create_problem(desk, me(desk), "NorthTrack sync fails after app update", incidents=[seed.id],
                           workaround="Clear the NorthTrack app cache and sign in again")
    new_same_ci = incident(desk, subject="Handheld frozen", ci="zebra-tc52-044")
    new_same_text = incident(desk, subject="scanner won't sync with northtrack")
    unrelated = incident(desk, subject="Monitor flickers")
    assert problem_reads.known_errors(desk, new_same_ci.id) == []  # not yet a known error
    svc.set_status(desk, me(desk), p.id, "known_error")
    by_ci = problem_reads.known_errors(desk, new_same_ci.id)
    assert [m.problem_id for m in by_ci] == [p.id] and "zebra-tc52-044" in by_ci[0].reason
    assert by_ci[0].workaround.startswith("Clear the NorthTrack")
    assert [m.problem_id for m in problem_reads.known_errors(desk, new_same_text.id)] == [p.id]
    assert problem_reads.known_errors(desk, unrelated.id) == []
    svc.link(desk, me(desk), p.id, [new_same_ci.id])
    assert problem_reads.known_errors(desk, new_same_ci.id) == []  # linked already


def test_parse_problem_ref():
    assert svc.parse_problem_ref("PRB-12") == 12 == svc.parse_problem_ref("12") == svc.parse_problem_ref(12)
    assert svc.parse_problem_ref("prb7") == 7
    with pytest.raises(ValidationError):
        svc.parse_problem_ref("INC-1")
