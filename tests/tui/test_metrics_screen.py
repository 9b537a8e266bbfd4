"""The metrics screen and the wallboard: Pilot flows and snapshots, frozen clock, fixed data.

Regenerate the pictures after an intended change with
``pytest tests/tui/test_metrics_screen.py --snapshot-update`` and look at the SVGs in
``__snapshots__`` before committing.
"""

from __future__ import annotations

import asyncio
import functools
import io
import random
import shutil
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console
from textual.app import App
from textual.widgets import DataTable

from deskui import clock
from deskui.config import Settings
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.seed import seed_demo_org
from deskui.services.survey import record_survey
from deskui.store.db import make_engine
from deskui.tui.context import DeskContext
from deskui.tui.screens.metrics import MetricsScreen
from deskui.tui.widgets.metrics_panels import BLOCKS, KpiTile, bars, bucket, flex_width, shade
from deskui.tui.screens.wallboard import WallboardScreen
from deskui.tui.widgets.wallboard_panels import BigCount, breach_table
from snapshot_sizes import SIZE_IDS, SIZES

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
NOW = datetime(2026, 11, 16, 9, 0)  # Monday 09:00 London (GMT)


def run_async(test):
    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        return asyncio.run(test(*args, **kwargs))

    return wrapper


class Harness(App):
    """Hosts one screen the way DeskApp does (``app.desk``, ``app.open_ticket``, app.tcss)."""

    CSS_PATH = str(Path(__file__).resolve().parents[2] / "deskui" / "tui" / "app.tcss")

    def __init__(self, engine, screen_type, settings: Settings | None = None, refresh: float = 0) -> None:
        super().__init__()
        settings = settings or Settings(db_url=str(engine.url), user="demo")
        self.desk = DeskContext(engine=engine, actor=actor_for(engine, "demo"), settings=settings,
                                live_refresh_seconds=refresh, sweep_seconds=0)
        self.screen_type = screen_type
        self.opened: list[int] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        from deskui.tui.themes import SEMANTIC_DEFAULTS

        return dict(SEMANTIC_DEFAULTS)

    def on_mount(self) -> None:
        self.push_screen(self.screen_type())

    def open_ticket(self, ticket_id: int) -> None:
        self.opened.append(ticket_id)


async def settle(pilot) -> None:
    app = pilot.app
    for _ in range(50):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return


def A(engine, username="demo"):
    return actor_for(engine, username)


# ------------------------------------------------------------------ data


def small_desk(engine):
    """Hand-checkable: three P3 incidents opened Tue 10 Nov 09:00 on the Service Desk.
    #a taken by demo, replied after 30 min, resolved after 2 h (FCR), survey 5;
    #b resolved after 6 h unassigned, survey 2; #c still open (breached both targets).
    In the previous 30 days: one P3 incident resolved by nobody in 4 h (FCR 0%)."""
    opened = datetime(2026, 11, 10, 9)
    me = A(engine)
    ids = []
    with clock.frozen(NOW):
        for i in range(3):
            ids.append(svc.open_ticket(engine, me, subject=f"Browser crash {i}", requester="ana.ruiz@northwind.example",
                                       category="Software/Web Browser", at=opened).id)
        svc.take(engine, me, ids[0], at=opened + timedelta(minutes=10))
        svc.add_comment(engine, me, ids[0], "Try this", at=opened + timedelta(minutes=30))
        svc.resolve(engine, me, ids[0], code="solved", notes="ok", at=opened + timedelta(hours=2))
        svc.resolve(engine, me, ids[1], code="solved", notes="ok", at=opened + timedelta(hours=6))
        record_survey(engine, ids[0], 5, at=opened + timedelta(hours=3))
        record_survey(engine, ids[1], 2, at=opened + timedelta(hours=7))
        old = svc.open_ticket(engine, me, subject="Old crash", requester="ana.ruiz@northwind.example",
                              category="Software/Web Browser", at=datetime(2026, 10, 5, 9)).id
        svc.resolve(engine, me, old, code="solved", notes="ok", at=datetime(2026, 10, 5, 13))
    return ids


CATEGORIES = (("Software/Web Browser", "Browser crashes on start"), ("Network/VPN", "VPN drops every few minutes"),
              ("Printing/Printer Setup", "Printer jams on every job"),
              ("Accounts & Access/Password & Lockout", "Password expired"),
              ("Hardware/Laptop & Desktop", "Laptop will not dock"),
              ("Email & Collaboration/Calendar", "Teams calendar not syncing"))
ANALYSTS = ("akhan", "cbennett", "moyelaran", "snair", "ekowalska", "tbrennan")
REQUESTERS = ("ana.ruiz", "bob.stone", "chen.li", "dara.okafor", "eva.novak", "femi.adeyemi", "gita.rao")


def busy_desk(engine):
    """A fixed, varied fortnight-plus of history (the same on every run): arrivals in business
    hours, replies, resolutions, pending, escalations, reopens, surveys and a recurring printer."""
    rng = random.Random(20261116)
    me = A(engine)
    with clock.frozen(NOW):
        for i in range(64):
            created = NOW - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 14), minutes=rng.choice((0, 15, 30)))
            created = created.replace(hour=max(7, min(created.hour, 20)))
            if created >= NOW:
                created = NOW - timedelta(hours=1 + i % 5)
            impact, urgency = rng.choice([("medium", "medium")] * 4 + [("high", "medium"), ("low", "low"),
                                                                       ("high", "high")])
            category, subject = CATEGORIES[i % len(CATEGORIES)]
            ci = f"PRN-0{i % 3 + 1}" if category.startswith("Printing") else ""
            t = svc.open_ticket(engine, me, subject=subject,
                                requester=f"{REQUESTERS[i % len(REQUESTERS)]}@northwind.example",
                                category=category, impact=impact, urgency=urgency, ci=ci,
                                type="request" if i % 5 == 4 else "incident", at=created)
            at = created + timedelta(minutes=rng.randint(3, 90))
            if at >= NOW:
                continue
            who = ANALYSTS[i % len(ANALYSTS)]
            svc.assign(engine, me, t.id, who, at=at)
            at += timedelta(minutes=rng.randint(5, 240))
            if at >= NOW:
                continue
            svc.add_comment(engine, A(engine, who), t.id, "Looking into it", at=at)
            if i % 7 == 3:
                at += timedelta(minutes=30)
                svc.escalate(engine, me, t.id, reason="needs tier 2", tier=2, at=at)
            if i % 9 == 5:
                at += timedelta(minutes=20)
                svc.change_status(engine, me, t.id, "pending", pending_reason="awaiting_requester", at=at)
                at += timedelta(hours=rng.randint(2, 30))
                if at >= NOW:
                    continue
                svc.change_status(engine, me, t.id, "open", at=at)
            at += timedelta(hours=rng.randint(1, 60))
            if at >= NOW or i % 11 == 0:
                continue
            svc.resolve(engine, A(engine, who), t.id, code="solved", notes="fixed", at=at)
            if i % 13 == 6 and at + timedelta(hours=5) < NOW:
                svc.reopen(engine, me, t.id, reason="came back", at=at + timedelta(hours=5))
                continue
            if i % 3 == 0 and at + timedelta(hours=1) < NOW:
                record_survey(engine, t.id, rng.choice((5, 5, 4, 4, 4, 3, 2)), at=at + timedelta(hours=1))


_TEMPLATES: dict[str, Path] = {}


def _template(factory, sqlite_template, name, build) -> Path:
    if name not in _TEMPLATES:
        path = factory.mktemp("metrics-tui") / f"{name}.db"
        shutil.copyfile(sqlite_template, path)
        engine = make_engine(str(path))
        seed_demo_org(engine, SAMPLE)
        build(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _TEMPLATES[name] = path
    return _TEMPLATES[name]


def _copy(template: Path, tmp_path: Path):
    path = tmp_path / f"desk-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, path)
    return make_engine(str(path))


@pytest.fixture
def busy(tmp_path_factory, sqlite_template, tmp_path):
    engine = _copy(_template(tmp_path_factory, sqlite_template, "busy", busy_desk), tmp_path)
    with clock.frozen(NOW):
        yield engine
    engine.dispose()


@pytest.fixture
def busy_pictured(tmp_path_factory, sqlite_template, tmp_path, monkeypatch):
    """The busy desk at a path that looks the same on every run (the status line shows it)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tmp_path / "desk.db"
    shutil.copyfile(_template(tmp_path_factory, sqlite_template, "busy", busy_desk), path)
    engine = make_engine(str(path))
    with clock.frozen(NOW):
        yield engine
    engine.dispose()


@pytest.fixture
def small(tmp_path_factory, sqlite_template, tmp_path):
    template = _template(tmp_path_factory, sqlite_template, "small", lambda e: _TEMPLATES.setdefault(
        "small-ids", small_desk(e)))
    engine = _copy(template, tmp_path)
    with clock.frozen(NOW):
        yield engine, _TEMPLATES["small-ids"]
    engine.dispose()


def tile_text(screen, key: str) -> str:
    return screen.query_one(f"#tile-{key}", KpiTile).render().plain


# ------------------------------------------------------------------ renderers


def test_bars_bucket_and_shade():
    assert bars([0, 1, 2, 4, 8, None], 8) == " ▁▂▄█ "
    assert bars([3, 3], 0) == "  "
    assert bucket([1, 2, 3, 4, 5], 2) == [6, 9]  # ceil(5 / 2) = 3 per column
    assert bucket([1, 2, 3], 10) == [1, 2, 3]
    assert [shade(n, 8) for n in (0, 1, 2, 4, 6, 8)] == [" ", "░", "░", "▒", "▓", "█"]
    assert BLOCKS[8] == "█"


def test_flexible_column_takes_the_room_the_box_leaves():
    columns = (("value", 18), ("opened", 6), ("recur", 5))
    # The others take (6 + 2) + (5 + 2); margin, scrollbar and own padding 6: room = box - 21.
    assert flex_width(0, columns, 0, 40) == 18  # not laid out yet: the default width
    assert flex_width(100, columns, 0, 12) == 18  # short values keep the default
    assert flex_width(100, columns, 0, 40) == 40  # whole values when they fit
    assert flex_width(50, columns, 0, 40) == 29  # else as wide as the box allows
    assert flex_width(30, columns, 0, 40) == 18  # never below the default


def test_oldest_breaches_show_whole_group_names_on_a_wide_screen():
    breach = SimpleNamespace(id=7, priority=2, breached_at=NOW - timedelta(hours=3), subject="Mailbox missing",
                             group="Messaging & Collaboration", assignee="dokafor")
    board = SimpleNamespace(now=NOW, oldest_breaches=[breach])

    def shown(width: int) -> str:
        console = Console(width=width, record=True, file=io.StringIO())
        console.print(breach_table(board, width=width))
        return console.export_text()

    assert "Messaging & Collaboration" in shown(198)
    assert "Messaging & Collabora…" in shown(78)


# ------------------------------------------------------------------ metrics screen


def test_a_previous_period_with_too_few_tickets_is_not_compared():
    from deskui.domain.metrics import Targets, period_of_days
    from deskui.domain.report import Figures, Report, TargetFigures
    from deskui.tui.widgets.metrics_panels import build_tiles, comparable

    period = period_of_days(date(2026, 10, 1), date(2026, 11, 1), "UTC")

    def report(opened, fcr):
        return Report(period, NOW, NOW, Figures(opened=opened, resolved=opened, fcr=fcr), TargetFigures(), Targets())

    assert comparable(100, 25) and not comparable(100, 24) and not comparable(3, 0) and comparable(0, 0)
    thin = {t.key: t for t in build_tiles(report(2000, 600), report(18, 9))}
    assert thin["opened"].delta is None and thin["opened"].note == "no comparison"
    assert thin["fcr_rate"].delta is None and thin["fcr_rate"].value == 0.3
    fair = {t.key: t for t in build_tiles(report(2000, 600), report(1800, 450))}
    assert fair["opened"].delta == 200 and fair["opened"].note == ""


@run_async
async def test_tiles_show_values_targets_and_change(small):
    engine, _ids = small
    app = Harness(engine, MetricsScreen)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.period.label() == "2026-10-18 .. 2026-11-16"
        assert screen.previous.label() == "2026-09-18 .. 2026-10-17"
        # FCR: 1 of 2 resolved (#a); the previous period: 0 of 1
        assert tile_text(screen, "fcr_rate") == "FCR\n50.0%  ▲ +50.0 pt\ntarget ≥ 70.0%"
        assert screen.query_one("#tile-fcr_rate", KpiTile).tile.status == "bad"
        assert tile_text(screen, "opened").splitlines()[1] == "3  ▲ +2"
        # CSAT: 5 and 2 -> 50 %; first reply 30 min against < 4 h: good
        assert tile_text(screen, "csat_satisfied_share").splitlines()[1] == "50.0%"
        assert tile_text(screen, "first_response_minutes_other").splitlines()[1:] == ["30m", "target < 4h 00m"]
        assert screen.query_one("#tile-first_response_minutes_other", KpiTile).tile.status == "good"
        # MTTR incidents: (2 h + 6 h) / 2 = 4 h, previous 4 h: no change
        assert tile_text(screen, "mttr_hours_incident").splitlines()[1] == "4h 00m  = ±0m"
        # the breakdown (by group) and its title
        table = screen.query_one("#breakdown", DataTable)
        assert table.row_count == 1 and str(table.get_row_at(0)[0]) == "Service Desk"


@run_async
async def test_period_and_breakdown_keys(small):
    engine, _ids = small
    app = Harness(engine, MetricsScreen)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert screen.period.label() == "2026-09-18 .. 2026-10-17"
        assert tile_text(screen, "opened").splitlines()[1].startswith("1")
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.period.label() == "2026-10-18 .. 2026-11-16" and screen.end_day is None
        await pilot.press("p")
        await settle(pilot)
        assert screen.period.days == 90 and screen.period.label() == "2026-08-19 .. 2026-11-16"
        await pilot.press("b")
        await settle(pilot)
        assert screen.breakdown_by == "priority"
        table = screen.query_one("#breakdown", DataTable)
        assert [str(table.get_row_at(i)[0]) for i in range(table.row_count)] == ["P3"]
        assert "Breakdown by priority" in str(screen.query_one("#breakdown-title").render())


@run_async
async def test_p_offers_a_year_and_the_year_shows_its_tiles_charts_and_breakdown(small):
    """Issue 17.2: p cycles 7, 30, 90 and 365 days; a year loads like any period."""
    engine, _ids = small
    app = Harness(engine, MetricsScreen)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        lengths = []
        for _ in range(4):
            await pilot.press("p")
            await settle(pilot)
            lengths.append(screen.period.days)
        assert lengths == [90, 365, 7, 30]
        await pilot.press("p", "p")
        await settle(pilot)
        assert screen.period.days == 365 and screen.period.label() == "2025-11-17 .. 2026-11-16"
        assert screen.loaded.is_set() and screen.first_paint.is_set()
        assert tile_text(screen, "opened").splitlines()[1] == "4  no comparison"  # the whole small desk
        assert "365 days" in str(screen.query_one("#period").render())
        table = screen.query_one("#breakdown", DataTable)
        assert table.row_count == 1


@run_async
async def test_recurring_key_opens_its_tickets(busy):
    app = Harness(busy, MetricsScreen)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.recurring, "the busy desk has recurring printers"
        keys = screen.query_one("#recurring", DataTable)
        tickets = screen.query_one("#recurring-tickets", DataTable)
        first_key = screen.recurring[0]
        assert tickets.row_count == len(first_key.tickets)
        keys.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is tickets
        await pilot.press("enter")
        await settle(pilot)
        assert app.opened == [first_key.tickets[0].id]


@run_async
async def test_bad_targets_in_config_fall_back_with_a_warning(small):
    engine, _ids = small
    settings = Settings(db_url=str(engine.url), user="demo", targets={"fcr": 0.5})
    app = Harness(engine, MetricsScreen, settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "unknown key 'fcr'" in app.screen._config_error
        assert tile_text(app.screen, "fcr_rate").endswith("target ≥ 70.0%")


# ------------------------------------------------------------------ wallboard


@run_async
async def test_wallboard_counts_and_refresh(small):
    engine, ids = small
    app = Harness(engine, WallboardScreen)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        # one open ticket (#c), past both targets, unassigned
        assert (screen.board.open, screen.board.breached, screen.board.unassigned) == (1, 1, 1)
        assert screen.query_one("#count-breached", BigCount).has_class("-breached")
        assert str(screen.query_one("#count-open").query_one("Digits").value) == "1"
        assert [b.id for b in screen.board.oldest_breaches] == [ids[2]]
        reads = screen.reads
        # nothing changed: a tick does not re-read
        screen.read(force=False)
        await settle(pilot)
        assert screen.reads == reads
        # a change: the next tick re-reads
        svc.open_ticket(engine, A(engine), subject="New one", requester="ana.ruiz@northwind.example",
                        category="Software/Web Browser", at=NOW)
        screen.read(force=False)
        await settle(pilot)
        assert screen.reads == reads + 1 and screen.board.open == 2


@run_async
async def test_keys_3_and_4_switch_to_metrics_and_wallboard(small):
    from deskui.tui.app import DeskApp

    engine, _ids = small
    desk = DeskContext(engine=engine, actor=A(engine), settings=Settings(db_url=str(engine.url), user="demo"),
                       live_refresh_seconds=0, sweep_seconds=0)
    app = DeskApp(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert isinstance(app.screen, MetricsScreen) and app.screen.first_paint.is_set()
        await pilot.press("4")
        await settle(pilot)
        assert isinstance(app.screen, WallboardScreen) and app.screen.board is not None


@run_async
async def test_deskui_wallboard_opens_on_the_wallboard(small):
    from deskui.cli.report import wallboard_app

    engine, _ids = small
    app = wallboard_app(engine, A(engine), Settings(db_url=str(engine.url), user="demo"),
                        live_refresh_seconds=0, sweep_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WallboardScreen) and app.screen.board.open == 1


# ------------------------------------------------------------------ snapshots


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_metrics_snapshot(busy_pictured, snap_compare, size):
    assert snap_compare(Harness(busy_pictured, MetricsScreen), terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_wallboard_snapshot(busy_pictured, snap_compare, size):
    assert snap_compare(Harness(busy_pictured, WallboardScreen), terminal_size=size, run_before=settle)
