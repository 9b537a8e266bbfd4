"""Benchmark the queue screen on a 1,000,000-ticket SQLite database, beside its floors.

    python bench/bench_queue.py [--tickets 1000000] [--small 1000] [--repeat 5]

Databases are generated once with ``deskui.services.generate`` (the demo
organisation plus a synthetic history observed at END) and cached in bench/out/.
Every figure is printed beside a floor measured in the same run, so the ratio
holds on a noisy machine:

- launch: a fresh ``deskui --db DB --as demo`` process (the real CLI path,
  headless) until the queue's first page is painted, beside a fresh process
  that only imports textual, sqlmodel and typer (target: <= 1.3x);
- memory: peak RSS of a process that opens the queue, filters it to every
  ticket and jumps to the last row, on 1,000,000 tickets beside 1,000 (target:
  <= 1.2x);
- filter: the `/` filter applied until every id is read and the first page
  painted, beside raw sqlite3 running the same SQL and fetching the same ids
  (target: <= 2x); jump to the last row (G) until its page is painted, beside
  raw sqlite3 reading that page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
END = datetime(2026, 11, 16, 9, 0, 0)
FILTERS = {
    "every ticket": "status:new,open,pending,resolved,closed,cancelled",
    "resolved P1/P2": "status:resolved,closed priority:1,2",
    "text 'vpn'": "status:new,open,pending,resolved,closed,cancelled vpn",
    "open, network group": 'group:"Network Operations"',
}
SIZE = (160, 48)


# ------------------------------------------------------------------ data


def database(tickets: int) -> Path:
    """The cached database with ``tickets`` generated tickets (built once)."""
    from deskui.store.db import make_engine, upgrade

    path = OUT / f"queue-{tickets}.db"
    if path.exists():
        engine = make_engine(str(path))
        upgrade(engine)  # new migrations since it was built (no-op when current)
        engine.dispose()
        return path
    from deskui.resources import sample_data_dir
    from deskui.services.generate import generate_history
    from deskui.services.seed import seed_demo_org

    OUT.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".building")
    for leftover in OUT.glob(partial.name + "*"):
        leftover.unlink()
    print(f"building {tickets:,} tickets in {path} (once; cached) ...", flush=True)
    started = time.perf_counter()
    engine = make_engine(str(partial))
    upgrade(engine)
    seed_demo_org(engine, sample_data_dir())
    generate_history(engine, tickets=tickets, end=END, seed=7,
                     progress=lambda done, total: print(f"\r  {done:,}/{total:,}", end="", flush=True))
    engine.dispose()
    import sqlite3

    con = sqlite3.connect(str(partial), isolation_level=None)
    con.execute("ANALYZE")  # as `deskui generate` users are told to; the planner needs it at this size
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    partial.rename(path)
    print(f"\n  built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


# ------------------------------------------------------------------ children


def _env() -> dict:
    env = dict(os.environ)
    env["DESKUI_FROZEN_NOW"] = END.isoformat()
    env["DESKUI_CONFIG_DIR"] = str(OUT / "config")  # no user config, no user themes
    env.pop("DESKUI_DB", None)
    env.pop("DESKUI_USER", None)
    return env


# Timed to the line it prints, like the others (not to its exit: tearing the
# interpreter down is nobody's startup).
FLOOR_CODE = "import sys, textual.app, sqlmodel, typer; sys.stdout.write('imported\\n'); sys.stdout.flush()"

# A second, stricter floor: the same imports plus an empty Textual app's first frame.
BARE_APP_CODE = """
import sys
import sqlmodel, typer
from textual.app import App
from textual.widgets import Static


class Bare(App):
    def compose(self):
        yield Static("hello")

    def on_mount(self):
        self.call_after_refresh(self.painted)

    def painted(self):
        sys.stdout.write("painted\\n")
        sys.stdout.flush()
        self.exit()


Bare().run(headless=True, size=(160, 48))
"""

LAUNCH_CODE = """
import sys
import deskui.tui.app as tui


class BenchApp(tui.DeskApp):
    def on_queue_screen_first_page_painted(self, message):
        sys.stdout.write("painted\\n")
        sys.stdout.flush()
        self.exit()


def run_app(*, engine, actor, settings):
    desk = tui.DeskContext(engine=engine, actor=actor, settings=settings, live_refresh_seconds=0, sweep_seconds=0)
    BenchApp(desk).run(headless=True, size=(160, 48))


tui.run_app = run_app
from deskui.start import main  # the console script's entry point

sys.argv = ["deskui", "--db", sys.argv[1], "--as", "demo"]
main()
"""


def wall(code: str, *args: str, until: str | None = None) -> float:
    """Seconds from spawning ``python -c code`` to its exit (or to the line ``until``)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=_env(), text=True)
    if until is not None:
        for line in proc.stdout:
            if line.strip() == until:
                elapsed = time.perf_counter() - started
                break
        else:
            raise RuntimeError(f"child ended without {until!r}: {proc.stderr.read()[-2000:]}")
        proc.wait(timeout=60)
        return elapsed
    _, err = proc.communicate(timeout=120)
    if proc.returncode:
        raise RuntimeError(err[-2000:])
    return time.perf_counter() - started


async def explore(db: str) -> dict:
    """In a child: open the queue, filter, jump to the end; report timings and peak RSS."""
    import resource

    from deskui.services.actors import actor_for
    from deskui.store.db import make_engine
    from deskui.tui.app import DeskApp
    from deskui.tui.context import DeskContext
    from deskui.tui.screens.queue import QueueScreen
    from deskui.tui.widgets.queue_view import QueueView

    from deskui.config import load_settings

    engine = make_engine(db)
    desk = DeskContext(engine=engine, actor=actor_for(engine, "demo"), settings=load_settings(db, "demo"),
                       live_refresh_seconds=0, sweep_seconds=0)
    app = DeskApp(desk)
    result: dict = {}

    async def settle(pilot) -> None:
        for _ in range(200):
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            if not any(w.is_running for w in app.workers):
                return

    # ``check`` is asked after every message that brings the queue data (not
    # polled: a polling loop takes the GIL from the thread reading the ids).
    hooks: list = []

    def ask_after(cls, name: str) -> None:
        original = getattr(cls, name)

        def handler(self, message):
            original(self, message)
            for hook in list(hooks):
                hook()

        setattr(cls, name, handler)

    ask_after(QueueScreen, "on_ids_read")
    ask_after(QueueView, "on_queue_view_rows_loaded")

    async def until_painted(check, started: float) -> float:
        """Wait until ``check`` holds, then for the next frame to be drawn;
        return the seconds until the data was ready (before the frame)."""
        ready_at = asyncio.get_running_loop().create_future()

        def hook() -> None:
            if not ready_at.done() and check():
                ready_at.set_result(time.perf_counter())

        hooks.append(hook)
        hook()
        try:
            ready = await ready_at - started
        finally:
            hooks.remove(hook)
        drawn = asyncio.get_running_loop().create_future()
        app.call_after_refresh(lambda: drawn.done() or drawn.set_result(None))
        await drawn
        return ready

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        view = screen.query_one(QueueView)
        result["open_rows"] = len(view.ids)
        result["rss_open_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for label, query in FILTERS.items():
            times, readies = [], []
            for _ in range(3):
                screen.apply_filter("")
                await settle(pilot)
                started = time.perf_counter()
                assert screen.apply_filter(query)
                readies.append(await until_painted(lambda: screen._done_reading and
                                                   (not view.ids or view.row(view.ids[0]) is not None), started))
                times.append(time.perf_counter() - started)
                await settle(pilot)
            result[f"filter {label}"] = {"seconds": min(times), "ready": min(readies), "rows": len(view.ids),
                                         "query": query}
        # Every ticket, then to the last row.
        screen.apply_filter(FILTERS["every ticket"])
        await settle(pilot)
        times, readies = [], []
        for _ in range(3):
            await pilot.press("g")
            await settle(pilot)
            view.forget()  # a cold page, as on the first jump
            await settle(pilot)
            last = view.ids[-1]
            started = time.perf_counter()
            screen.action_cursor_last()  # what G does, without Pilot's own waiting
            readies.append(await until_painted(lambda: view.row(last) is not None, started))
            times.append(time.perf_counter() - started)
        result["jump"] = {"seconds": min(times), "ready": min(readies), "rows": len(view.ids),
                          "page": list(view.ids[-(view.visible_rows):])}
        result["rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def run_explore(db: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child-explore", str(db)], capture_output=True, text=True,
                          env=_env(), timeout=900)
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ raw sqlite3


def raw_filter_seconds(db: Path, query: str) -> float:
    """sqlite3 alone: the same SQL (literal parameters) fetching every id."""
    import sqlite3

    from sqlalchemy import select

    from deskui import clock
    from deskui.store.db import make_engine
    from deskui.store.queue import conditions, order_by
    from deskui.store.tables import tickets

    engine = make_engine(str(db))
    with clock.frozen(END):
        where = conditions(query, me_id=None, dialect_name="sqlite")
    sql = str(select(tickets.c.id).where(*where).order_by(*order_by("sla"))
              .compile(engine, compile_kwargs={"literal_binds": True}))
    engine.dispose()
    con = sqlite3.connect(str(db))
    times = []
    for _ in range(3):
        started = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - started)
    con.close()
    return min(times)


def raw_page_seconds(db: Path, ids: list[int]) -> float:
    """sqlite3 alone: one page of rows by id, with the joins the queue shows."""
    import sqlite3

    sql = (
        "SELECT t.*, r.name, r.email, c.path, g.name, a.username, a.name FROM tickets t "
        "LEFT JOIN requesters r ON r.id = t.requester_id LEFT JOIN categories c ON c.id = t.category_id "
        "LEFT JOIN groups g ON g.id = t.group_id LEFT JOIN analysts a ON a.id = t.assignee_id "
        f"WHERE t.id IN ({','.join('?' * len(ids))})"
    )
    con = sqlite3.connect(str(db))
    times = []
    for _ in range(5):
        started = time.perf_counter()
        con.execute(sql, ids).fetchall()
        times.append(time.perf_counter() - started)
    con.close()
    return min(times)


# ------------------------------------------------------------------ main


def ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}x" if floor > 0 else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child-explore")
    args = parser.parse_args()
    if args.child_explore:
        print(json.dumps(asyncio.run(explore(args.child_explore))))
        return

    big, small = database(args.tickets), database(args.small)
    # Bytecode for deskui, as `pip install` writes it: an editable install on a
    # machine with PYTHONDONTWRITEBYTECODE would compile every module at each launch.
    import compileall

    compileall.compile_dir(str(ROOT / "deskui"), quiet=1)
    print(f"\nqueue benchmark: {args.tickets:,} tickets ({big.name}) beside {args.small:,} ({small.name})")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}\n")

    # Launch vs the floors, interleaved so all see the same machine.
    launches, floors, bares = [], [], []
    wall(LAUNCH_CODE, str(big), until="painted")  # warm the OS caches once
    for _ in range(args.repeat):
        floors.append(wall(FLOOR_CODE, until="imported"))
        bares.append(wall(BARE_APP_CODE, until="painted"))
        launches.append(wall(LAUNCH_CODE, str(big), until="painted"))
    print("launch to first page painted (fresh processes, %d runs interleaved; median and best)" % args.repeat)
    for label, runs in ((f"deskui --db queue-{args.tickets}.db", launches),
                        ("import textual, sqlmodel, typer", floors),
                        ("same + an empty Textual app drawn", bares)):
        print(f"  {label:<34} {statistics.median(runs) * 1000:7.0f} ms   best {min(runs) * 1000:7.0f} ms")
    print(f"  launch / import floor: median {ratio(statistics.median(launches), statistics.median(floors))}, "
          f"best {ratio(min(launches), min(floors))}  (target <= 1.30x); "
          f"launch / empty app: best {ratio(min(launches), min(bares))}")

    explored_big = run_explore(big)
    explored_small = run_explore(small)
    print("\npeak memory (RSS): open the queue, filter to every ticket, jump to the last row")
    print(f"  {args.tickets:>9,} tickets  {explored_big['rss_peak_mb']:7.1f} MB   "
          f"(after opening: {explored_big['rss_open_mb']:.1f} MB, {explored_big['open_rows']:,} open tickets)")
    print(f"  {args.small:>9,} tickets  {explored_small['rss_peak_mb']:7.1f} MB   "
          f"-> {ratio(explored_big['rss_peak_mb'], explored_small['rss_peak_mb'])}  (target <= 1.20x)")

    print("\nfilter until every id is read and the first page painted, beside raw sqlite3 (same SQL, all ids)")
    for label in FILTERS:
        figure = explored_big[f"filter {label}"]
        raw = raw_filter_seconds(big, figure["query"])
        print(f"  {label:<22} {figure['rows']:>9,} rows  {figure['seconds'] * 1000:7.0f} ms   "
              f"raw {raw * 1000:7.0f} ms   -> {ratio(figure['seconds'], raw)}  (target <= 2x)   "
              f"data ready {figure['ready'] * 1000:5.0f} ms -> {ratio(figure['ready'], raw)}")

    jump = explored_big["jump"]
    raw = raw_page_seconds(big, jump["page"])
    print("\njump to the last row (G) until its page is painted, beside raw sqlite3 reading that page")
    print(f"  {jump['rows']:>9,} rows  {jump['seconds'] * 1000:7.1f} ms   raw {raw * 1000:6.1f} ms   "
          f"-> {ratio(jump['seconds'], raw)}   data ready {jump['ready'] * 1000:5.1f} ms")
    print(f"\n(a frame: Textual paints at most every {1000 / 60:.1f} ms; 'painted' includes waiting for it)")


if __name__ == "__main__":
    main()
