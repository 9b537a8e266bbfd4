"""Queue queries compiled to SQL select exactly the tickets they describe."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from deskui.domain.query import QueryError, parse_query
from deskui.store.db import make_engine, session_scope, upgrade, write_session
from deskui.store.models import Analyst, Category, Group, Problem, Requester, Ticket
from deskui.store.tables import tickets
from deskui.store.queue_filter import compile_query

NOW = datetime(2026, 3, 10, 12, 0, 0)
ALL = frozenset({"vpn", "printer", "wifi", "switch", "rootcause", "laptop", "cancelled"})
ACTIVE = frozenset({"vpn", "printer", "wifi", "laptop"})


class Desk:
    """A tiny desk: label -> ticket id, and who 'me' is."""

    def __init__(self, engine, ids: dict[str, int], me_id: int):
        self.engine = engine
        self.ids = ids
        self.labels = {ticket_id: label for label, ticket_id in ids.items()}
        self.me_id = me_id

    def select(self, text: str, *, me_id: int | None | str = "me", now: datetime = NOW) -> set[str]:
        me = self.me_id if me_id == "me" else me_id
        conditions = compile_query(parse_query(text), me_id=me, now=now, dialect_name=self.engine.dialect.name)
        with session_scope(self.engine) as session:
            ids = session.execute(select(tickets.c.id).where(*conditions)).scalars().all()
        return {self.labels[ticket_id] for ticket_id in ids}


def _ticket(label: str, **fields) -> Ticket:
    fields.setdefault("updated_at", fields["created_at"])
    return Ticket(subject=fields.pop("subject"), external_ref=label, **fields)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def desk(request, tmp_path_factory) -> Desk:
    """One database for the whole module: every test here only reads."""
    if request.param == "sqlite":
        engine = make_engine(str(tmp_path_factory.mktemp("queue_filter") / "desk.db"))
        upgrade(engine)
    else:
        engine = request.getfixturevalue("pg_database")
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE tickets, problems, categories, requesters, analysts, groups "
                              "RESTART IDENTITY CASCADE"))
    yield _fill(engine)
    if request.param == "sqlite":
        engine.dispose()


def _fill(engine) -> Desk:
    with write_session(engine) as s:
        network = Group(name="Network")
        network_team = Group(name="Network Team", tier=2)
        service_desk = Group(name="Service Desk")
        jdoe = Analyst(username="jdoe", name="Jane Doe")
        bsmith = Analyst(username="bsmith", name="Bob Smith")
        alice = Requester(email="alice@example.com", name="Alice Liddell")
        alicia = Requester(email="alicia@example.com", name="Alicia Keys")
        bob = Requester(email="bob@corp.example", name="Bob Builder")
        s.add_all([network, network_team, service_desk, jdoe, bsmith, alice, alicia, bob])
        s.flush()
        cat_network = Category(name="Network", path="Network")
        cat_networking = Category(name="Networking", path="Networking")
        cat_hardware = Category(name="Hardware", path="Hardware")
        s.add_all([cat_network, cat_networking, cat_hardware])
        s.flush()
        cat_vpn = Category(name="VPN", parent_id=cat_network.id, path="Network/VPN")
        cat_printer = Category(name="Printer", parent_id=cat_hardware.id, path="Hardware/Printer")
        problem = Problem(title="Flapping uplinks", created_at=NOW, updated_at=NOW)
        s.add_all([cat_vpn, cat_printer, problem])
        s.flush()
        tickets = [
            _ticket(
                "vpn", subject="VPN tunnel drops every hour", type="incident", status="open", priority=1,
                group_id=network.id, assignee_id=jdoe.id, requester_id=alice.id, category_id=cat_vpn.id,
                channel="email", tier=1, ci="VPN-GW-01", created_at=NOW - timedelta(hours=2),
                updated_at=NOW - timedelta(minutes=30), response_state="met", resolution_state="at_risk",
            ),
            _ticket(
                "printer", subject="Printer on floor 3 jams", type="request", status="pending", priority=3,
                group_id=service_desk.id, requester_id=alicia.id, category_id=cat_printer.id, channel="portal",
                created_at=NOW - timedelta(days=3), updated_at=NOW - timedelta(days=1),
                response_state="ok", resolution_state="paused",
            ),
            _ticket(
                "wifi", subject="Wi-Fi outage in building B", type="incident", status="new", priority=2,
                requester_id=bob.id, category_id=cat_network.id, channel="phone", tier=2, problem_id=problem.id,
                created_at=NOW - timedelta(days=10), updated_at=NOW - timedelta(days=9),
                response_state="breached", resolution_state="ok",
            ),
            _ticket(
                "switch", subject="Switch port flapping", type="incident", status="resolved", priority=2,
                group_id=network.id, assignee_id=bsmith.id, requester_id=alice.id, category_id=cat_networking.id,
                channel="monitoring", tier=3, problem_id=problem.id, created_at=datetime(2026, 1, 31, 8, 0),
                updated_at=datetime(2026, 2, 1, 10, 0), resolved_at=datetime(2026, 2, 1, 10, 0),
                response_state="met", resolution_state="breached",
            ),
            _ticket(
                "rootcause", subject="Root cause: VPN gateway firmware", type="problem", status="closed",
                priority=4, group_id=network_team.id, assignee_id=jdoe.id, channel="walk_in", tier=2,
                created_at=datetime(2026, 1, 30, 23, 59, 59), updated_at=datetime(2026, 2, 5),
                resolved_at=datetime(2026, 2, 4), response_state="met", resolution_state="met",
            ),
            _ticket(
                "laptop", subject="Laptop will not boot", type="incident", status="open", priority=4,
                group_id=service_desk.id, assignee_id=bsmith.id, requester_id=bob.id, category_id=cat_hardware.id,
                ci="laptop-42", created_at=NOW - timedelta(minutes=40), updated_at=NOW - timedelta(minutes=5),
            ),
            _ticket(
                "cancelled", subject="Duplicate request", type="request", status="cancelled", priority=3,
                created_at=datetime(2026, 2, 1, 0, 0, 0),
            ),
        ]
        s.add_all(tickets)
        s.flush()
        ids = {ticket.external_ref: ticket.id for ticket in tickets}
        me_id = jdoe.id
    return Desk(engine, ids, me_id)


def test_empty_query_selects_everything(desk):
    assert compile_query(parse_query(""), me_id=None, now=NOW, dialect_name="sqlite") == []
    assert desk.select("") == ALL


CASES = [
    # enums
    ("status:open,pending", {"vpn", "printer", "laptop"}),
    ("status:open|pending", {"vpn", "printer", "laptop"}),
    ("STATUS:Resolved", {"switch"}),
    ("type:request", {"printer", "cancelled"}),
    ("channel:walk-in", {"rootcause"}),
    ("channel:email,phone", {"vpn", "wifi"}),
    # numbers
    ("priority:1-2", {"vpn", "wifi", "switch"}),
    ("priority:<=2", {"vpn", "wifi", "switch"}),
    ("priority:>=4", {"rootcause", "laptop"}),
    ("tier:2", {"wifi", "rootcause"}),
    ("tier:2-3", {"wifi", "switch", "rootcause"}),
    # assignee
    ("assignee:me", {"vpn", "rootcause"}),
    ("assignee:none", {"printer", "wifi", "cancelled"}),
    ("assignee:me|none", {"vpn", "rootcause", "printer", "wifi", "cancelled"}),
    ("assignee:bsmith", {"switch", "laptop"}),
    ("assignee:BSmith", {"switch", "laptop"}),
    ('assignee:"bob smith"', {"switch", "laptop"}),
    ("assignee:nobody", set()),
    # group: by whole name, case-insensitively
    ("group:network", {"vpn", "switch"}),
    ('group:"network team"', {"rootcause"}),
    ("group:none", {"wifi", "cancelled"}),
    ("group:network,none", {"vpn", "switch", "wifi", "cancelled"}),
    # category: the path and its children; not a longer name sharing the prefix
    ("category:network", {"vpn", "wifi"}),
    ("category:NETWORK/", {"vpn", "wifi"}),
    ("category:network/vpn", {"vpn"}),
    ("category:vpn", {"vpn"}),
    ("category:networking", {"switch"}),
    ("category:hardware", {"printer", "laptop"}),
    ("category:none", {"rootcause", "cancelled"}),
    ("category:net", set()),
    # requester: e-mail, the part before @, full name
    ("requester:alice", {"vpn", "switch"}),
    ("requester:ALICE@example.com", {"vpn", "switch"}),
    ('requester:"alicia keys"', {"printer"}),
    ("requester:none", {"rootcause", "cancelled"}),
    ("requester:example.com", set()),
    # configuration item and problem
    ("ci:vpn-gw-01", {"vpn"}),
    ("ci:vpn-gw", set()),
    ("ci:none", {"printer", "wifi", "switch", "rootcause", "cancelled"}),
    ("problem:none", ALL - {"wifi", "switch"}),
    # SLA: the worse target; live states only on active tickets
    ("sla:breached", {"wifi", "switch"}),  # a resolved ticket that breached stays breached
    ("sla:at_risk", {"vpn"}),
    ("sla:paused", {"printer"}),
    ("sla:ok", {"laptop"}),
    ("sla:met", {"rootcause"}),
    ("sla:breached|at_risk", {"wifi", "vpn", "switch"}),
    ("status:resolved,closed -sla:met", {"switch"}),
    # ages: "<7d" is newer than now - 7 days
    ("created:<7d", {"vpn", "printer", "laptop"}),
    ("created:>7d", {"wifi", "switch", "rootcause", "cancelled"}),
    ("created:<3d", {"vpn", "laptop"}),
    ("created:<=3d", {"vpn", "printer", "laptop"}),
    ("created:>=3d", {"printer", "wifi", "switch", "rootcause", "cancelled"}),
    ("created:<1h", {"laptop"}),
    ("created:<41m", {"laptop"}),
    ("created:<39m", set()),
    ("created:<2w", {"vpn", "printer", "laptop", "wifi"}),
    ("updated:<1h", {"vpn", "laptop"}),
    ("updated:>2h", {"printer", "wifi", "switch", "rootcause", "cancelled"}),
    ("resolved:<60d", {"switch", "rootcause"}),
    ("resolved:<1d", set()),
    # dates are whole UTC days
    ("created:2026-01-31", {"switch"}),
    ("created:>=2026-01-31", ALL - {"rootcause"}),
    ("created:<2026-01-31", {"rootcause"}),
    ("created:<=2026-01-31", {"switch", "rootcause"}),
    ("created:>2026-01-31", ALL - {"switch", "rootcause"}),
    ("created:2026-02-01", {"cancelled"}),
    ("created:>=2026-01-01 created:<2026-02-01", {"switch", "rootcause"}),
    ("resolved:2026-02-04", {"rootcause"}),
    # combinations are AND-ed
    ("status:open assignee:me", {"vpn"}),
    ("status:open,pending,new -group:network", {"printer", "wifi", "laptop"}),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[text for text, _ in CASES])
def test_query_selects(desk, text, expected):
    assert desk.select(text) == expected


def test_problem_by_number(desk):
    with session_scope(desk.engine) as s:
        problem_id = s.execute(select(Problem.id)).scalar_one()
    assert desk.select(f"problem:{problem_id}") == {"wifi", "switch"}
    assert desk.select(f"problem:#{problem_id},none") == ALL


SINGLE_TERMS = [text for text, _ in CASES if len(parse_query(text).terms) == 1]


@pytest.mark.parametrize("text", SINGLE_TERMS)
def test_negation_is_the_exact_complement(desk, text):
    # NULL columns (no assignee, no group, not resolved) must land on the
    # negated side, not vanish from both.
    assert desk.select("-" + text) == ALL - desk.select(text)


def test_live_sla_states_split_the_active_queue(desk):
    parts = [desk.select(f"sla:{state} status:new,open,pending") for state in ("breached", "at_risk", "paused", "ok")]
    assert set().union(*parts) == ACTIVE
    assert sum(len(part) for part in parts) == len(ACTIVE)


def test_ages_move_with_now(desk):
    assert desk.select("created:<7d", now=NOW + timedelta(days=10)) == set()
    assert desk.select("created:<11d", now=NOW) == ACTIVE


def test_aware_now_is_read_as_utc(desk):
    aware = NOW.replace(tzinfo=timezone.utc).astimezone(timezone(timedelta(hours=5)))
    assert desk.select("created:<41m", now=aware) == {"laptop"}


def test_assignee_me_without_a_user_is_a_query_error(desk):
    with pytest.raises(QueryError, match="assignee:me"):
        desk.select("assignee:me", me_id=None)
    # Other terms don't need a user.
    assert desk.select("assignee:none", me_id=None) == {"printer", "wifi", "cancelled"}


def test_extreme_ages_and_dates_do_not_overflow(desk):
    assert desk.select("created:<5217w") == ALL
    assert desk.select("created:>9999-12-31") == set()
    assert desk.select("created:<=9999-12-31") == ALL
    assert desk.select("created:<0001-01-01") == set()


# ------------------------------------------------------------------ free text


def _text_search_available() -> bool:
    try:
        from deskui.store.search import ticket_text_condition  # noqa: F401
    except ImportError:
        return False
    return True


needs_search = pytest.mark.skipif(not _text_search_available(), reason="deskui.store.search.ticket_text_condition not there yet")


@needs_search
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vpn", {"vpn", "rootcause"}),
        ("vpn firmware", {"rootcause"}),
        ('"floor 3 jams"', {"printer"}),
        ('"jams floor"', set()),
        ("vpn status:open", {"vpn"}),
        ("vpn -status:open", {"rootcause"}),
        ("nothingmatchesthis", set()),
    ],
)
def test_free_text(desk, text, expected):
    assert desk.select(text) == expected
