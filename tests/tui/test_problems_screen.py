"""Pilot flows for issue 7 in the real app: the problems screen (candidates, new,
edit, status, resolve with incidents), a problem from marked queue rows, the
bulletin banner (shows, ends, expires by itself), and the ticket screen's known
error, bulletin link, request approval and checklist keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable

from deskui import clock
from deskui.reads import bulletins as bulletin_reads
from deskui.reads import problems as problem_reads
from deskui.services import bulletins, problems, requests, tickets
from deskui.services.seed import seed_demo_org
from deskui.store.db import session_scope
from deskui.store.tickets import ticket_record
from deskui.tui.app import DeskApp
from deskui.tui.screens.problems import ProblemsScreen
from deskui.tui.widgets.bulletin_banner import BulletinBanner
from deskui.tui.widgets.ticket_ops import OpsPanel
from tests.tui.ticket_support import (
    NOW,
    SAMPLE,
    actor,
    desk_context,
    run_async,
    settle,
    type_text,
)

SIZE = (130, 40)


@pytest.fixture
def desk(sqlite_engine):
    seed_demo_org(sqlite_engine, SAMPLE)
    clock.set_now(lambda: NOW)  # reset by the autouse fixture in conftest
    return sqlite_engine


def app_for(engine, username: str = "demo") -> DeskApp:
    return DeskApp(desk_context(engine, username))


def incident(engine, subject, ci="", ago=timedelta(hours=2), requester="ana.ruiz@northwind.example", **kw):
    with clock.frozen(NOW - ago):
        return tickets.open_ticket(engine, actor(engine), subject=subject, requester=requester, ci=ci,
                                   category=kw.pop("category", "Network/VPN"), **kw)


def record(engine, ticket_id):
    with session_scope(engine) as s:
        return ticket_record(s, ticket_id)


def cell_texts(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_problems(pilot) -> ProblemsScreen:
    await settle(pilot)
    await pilot.press("P")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ProblemsScreen)
    return screen


# ------------------------------------------------------------------ problems screen

@run_async
async def test_candidate_becomes_a_problem_then_known_error_then_resolved(desk):
    ids = [incident(desk, f"Scanner {i} will not sync", ci="zebra-tc52-044", requester=f"w{i}@northwind.example").id
           for i in range(3)]
    app = app_for(desk)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_problems(pilot)
        assert screen.table.row_count == 0
        await pilot.press("c")
        await settle(pilot)
        rows = cell_texts(screen.table)
        assert len(rows) == 1 and rows[0][1] == "3" and "ci zebra-tc52-044" in rows[0]
        await pilot.press("n")  # title prefilled with the latest subject
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert not screen.showing_candidates
        found = problem_reads.list_problems(desk)
        assert len(found) == 1 and found[0].incidents == 3 and found[0].title == "Scanner 2 will not sync"
        assert screen.detail is not None and [i.id for i in screen.detail.incidents] == ids

        await pilot.press("e")  # edit: root cause and workaround
        await settle(pilot)
        await pilot.press("tab")  # from the title to the root cause
        await type_text(pilot, "Cert expired")
        await pilot.press("tab")
        await type_text(pilot, "Restart app")
        await pilot.press("ctrl+s")
        await settle(pilot)
        p = problem_reads.problem_detail(desk, found[0].id).problem
        assert p.root_cause == "Cert expired" and p.workaround == "Restart app"

        await pilot.press("s")  # status: the choices are the allowed transitions
        await settle(pilot)
        options = app.screen.query_one("OptionList")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels == ["closed", "investigating", "known error"]
        await pilot.press("down", "down", "enter")
        await settle(pilot)
        assert problem_reads.problem_detail(desk, p.id).problem.status == "known_error"

        await pilot.press("x")  # resolve: fix, then "also resolve its 3 open incidents?"
        await settle(pilot)
        await type_text(pilot, "Renewed")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")  # yes
        await settle(pilot)
        await pilot.press("enter")  # the note as offered
        await settle(pilot)
    assert problem_reads.problem_detail(desk, p.id).problem.status == "resolved"
    statuses = {record(desk, i).status for i in ids}
    assert statuses == {"resolved"}
    assert record(desk, ids[0]).resolution_notes.startswith(f"Fixed by {p.ref}: Renewed")


@run_async
async def test_problem_list_shows_counts_and_untrusted_title_literally(desk):
    a = incident(desk, "VPN drops")
    problems.create_problem(desk, actor(desk), "[bold red]x[/] gateway", incidents=[a.id])
    app = app_for(desk)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_problems(pilot)
        rows = cell_texts(screen.table)
        assert rows[0][0] == "PRB-1" and rows[0][2] == "1" and rows[0][3] == "1"
        assert rows[0][-1] == "[bold red]x[/] gateway"
        assert "[bold red]x[/] gateway" in str(screen.query_one("#problem-text").render())
        await pilot.press("i", "enter")  # open the incident
        await settle(pilot)
        assert type(app.screen).__name__ == "TicketScreen" and app.screen.ticket_id == a.id


@run_async
async def test_problem_from_marked_queue_rows(desk):
    ids = [incident(desk, f"Outlook crash {i}", ago=timedelta(hours=i + 1)).id for i in range(3)]
    app = app_for(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        queue.view.marks.update(ids[:2])
        await pilot.press("N")
        await settle(pilot)
        await type_text(pilot, "Outlook bug")
        await pilot.press("enter")
        await settle(pilot)
        assert not queue.view.marks
    found = problem_reads.list_problems(desk)
    assert [(p.title, p.incidents) for p in found] == [("Outlook bug", 2)]
    assert record(desk, ids[2]).problem_id is None


# ------------------------------------------------------------------ bulletins

@run_async
async def test_a_bulletin_in_force_at_start_is_shown_not_announced(desk):
    """The banner's clock can tick before its first read (in the queue the read
    waits for the first page): a bulletin already in force is still no news."""
    from textual.app import App

    class BannerOnly(App):
        def __init__(self) -> None:
            super().__init__()
            self.desk = desk_context(desk)

        def compose(self):
            yield BulletinBanner(poll_on_mount=False)

    bulletins.post(desk, actor(desk), "VPN gateway LON degraded", ends_at=NOW + timedelta(hours=1),
                   severity="major")
    app = BannerOnly()
    async with app.run_test(size=SIZE) as pilot:
        banner = app.query_one(BulletinBanner)
        banner.tick()  # the 1-second clock, before the first read
        banner.poll()  # the first read
        await settle(pilot)
        assert banner.has_class("-major") and "VPN gateway LON degraded" in str(banner.render())
        assert not [n for n in app._notifications if "VPN gateway" in n.message]


@run_async
async def test_banner_shows_ends_and_expires(desk):
    b = bulletins.post(desk, actor(desk), "VPN gateway LON degraded", ends_at=NOW + timedelta(hours=1),
                       severity="major")
    app = app_for(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        banner = app.screen.query_one(BulletinBanner)
        assert banner.display and "VPN gateway LON degraded" in str(banner.render())
        assert banner.has_class("-major")
        bulletins.post(desk, actor(desk), "[red]Wi-Fi[/red] down", ends_at=NOW + timedelta(hours=2),
                       severity="critical")
        banner.poll()  # what the timer does every few seconds
        await settle(pilot)
        lines = str(banner.render()).splitlines()
        assert "[red]Wi-Fi[/red] down" in lines[0] and "VPN" in lines[1] and banner.has_class("-critical")
        bulletins.end(desk, actor(desk), 2)
        banner.poll()
        await settle(pilot)
        assert [x.id for x in banner.active] == [b.id]
        clock.set_now(lambda: NOW + timedelta(hours=1))  # its end time: gone without a query
        banner.tick()
        await pilot.pause()
        assert banner.active == [] and not banner.has_class("-shown")


@run_async
async def test_link_marked_and_current_ticket_to_the_bulletin(desk):
    t1, t2 = incident(desk, "VPN slow"), incident(desk, "VPN very slow", ago=timedelta(hours=3))
    b = bulletins.post(desk, actor(desk), "VPN degraded", ends_at=NOW + timedelta(hours=1))
    app = app_for(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.view.marks.add(t2.id)
        await pilot.press("B")
        await settle(pilot)
        assert bulletin_reads.get(desk, b.id)[1] == [t2.id]
        app.open_ticket(t1.id)
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
    assert bulletin_reads.get(desk, b.id)[1] == [t1.id, t2.id]


# ------------------------------------------------------------------ ticket screen

@run_async
async def test_known_error_workaround_shows_at_once_and_links_in_one_key(desk):
    seed = incident(desk, "NorthTrack sync fails", ci="zebra-tc52-044")
    p = problems.create_problem(desk, actor(desk), "NorthTrack sync after update", incidents=[seed.id],
                                workaround="Clear the app cache and sign in again")
    problems.set_status(desk, actor(desk), p.id, "known_error")
    new = incident(desk, "Handheld will not sync", ci="zebra-tc52-044", ago=timedelta(minutes=5))
    app = app_for(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_ticket(new.id)
        await settle(pilot)
        panel = app.screen.query_one(OpsPanel)
        text = str(panel.render())
        assert panel.display and f"Known error {p.ref}" in text and "Clear the app cache and sign in again" in text
        await pilot.press("l")
        await settle(pilot)
        assert record(desk, new.id).problem_id == p.id
        # The link reloaded the ticket; the panel follows that reading, with no timer to wait for.
        assert f"Problem {p.ref}" in str(panel.render()) and "Known error" not in str(panel.render())


@run_async
async def test_request_approval_and_checklist_by_key(desk):
    requests.seed_catalog(desk, SAMPLE / "catalog.toml")
    t = requests.submit(desk, actor(desk), "laptop", requester="kim@northwind.example",
                        answers={"model": "standard", "reason": "broken"})
    app = app_for(desk, "dokafor")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_ticket(t.id)
        await settle(pilot)
        panel = app.screen.query_one(OpsPanel)
        assert "awaiting approval (any: dokafor)" in str(panel.render())
        await pilot.press("d")  # before approval the service refuses
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert requests.request_view(desk, t.id).progress == "0/4"
        await pilot.press("A")
        await settle(pilot)
        await type_text(pilot, "ok")
        await pilot.press("enter")
        await settle(pilot)
        assert requests.request_view(desk, t.id).approval == "approved"
        assert record(desk, t.id).group == "Desktop Support"
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("down", "enter")  # step 2
        await settle(pilot)
    view = requests.request_view(desk, t.id)
    assert [s.done for s in view.checklist] == [False, True, False, False]
    assert view.checklist[1].done_by == "dokafor"


@run_async
async def test_routing_evidence_is_one_key_away(desk):
    for subject in ("VPN drops at home", "GlobalProtect VPN disconnects"):
        done = incident(desk, subject, ago=timedelta(days=2))
        tickets.resolve(desk, actor(desk), done.id, code="solved", notes="Pinned the gateway")
    with clock.frozen(NOW):
        new = tickets.open_ticket(desk, actor(desk), subject="VPN keeps dropping", requester="x@northwind.example")
    app = app_for(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_ticket(new.id)
        await settle(pilot)
        assert "Network/VPN" in str(app.screen.query_one(OpsPanel).render())  # no category: suggested
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("enter")  # the first option moves it to the suggested group
        await settle(pilot)
    assert record(desk, new.id).group == "Network Operations"


@run_async
async def test_the_ticket_screen_suggests_routing_from_the_trained_model(desk):
    """Issue 16.2: with a stored model the panel's suggestion is the model's, with its confidence."""
    from deskui.services.routing_training import train

    kinds = (("VPN drops at home {n}", "Network/VPN"), ("Printer jams on tray {n}", "Printing/Printer Setup"))
    for n in range(20):
        for subject, category in kinds:
            done = incident(desk, subject.format(n=n), category=category, ago=timedelta(days=2))
            tickets.resolve(desk, actor(desk), done.id, code="solved", notes="done")
    assert {m.target for m in train(desk, min_confidence=0.05).models} == {"group", "category"}
    with clock.frozen(NOW):
        new = tickets.open_ticket(desk, actor(desk), subject="VPN keeps dropping", requester="x@northwind.example")
    app = app_for(desk)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_ticket(new.id)
        await settle(pilot)
        shown = str(app.screen.query_one(OpsPanel).render())
    assert "trained model" in shown and "Network/VPN" in shown and "Network Operations" in shown
