"""Benchmark screen switches (issue 15 item 7) beside a bare Textual screen switch.

    python bench/bench_screens.py [--db PATH] [--runs 5] [--size 120x40]

On the demo desk (built in a temporary directory unless --db is given), a real
DeskApp under Pilot presses ``2`` (knowledge), ``3`` (metrics), ``4``
(wallboard) and ``:1999`` and times, from the key press:

- **frame**: the new screen is the active one and mounted (its frame is drawn at
  the next refresh); for ``:1999`` from the enter that ends the jump;
- **data**: its first figures are shown (metrics: the KPI tiles; knowledge: the
  article list; wallboard: the board; ticket: the ticket).

Each switch is measured cold (a fresh app: the screen's first creation) and warm
(``1`` back to the queue, then the key again). The floor: a bare Textual app
switching between two screens holding a Static (key press to mounted), in the
same run. Targets: frame <= 100 ms, data <= 300 ms on the demo; metrics tiles
<= 500 ms on 1,000,000 tickets (pass --db of bench_queue's database).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POLL = 0.002


async def until(check, started: float, limit: float = 30.0) -> float:
    """Seconds from ``started`` until ``check()`` is true, polled on the app's loop."""
    while not check():
        if time.perf_counter() - started > limit:
            return float("nan")
        await asyncio.sleep(POLL)
    return time.perf_counter() - started


# ------------------------------------------------------------------ the floor

async def bare_switch(size: tuple[int, int]) -> tuple[float, float]:
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Footer, Static

    class Plain(Screen):
        def __init__(self, label: str) -> None:
            super().__init__()
            self.label = label

        def compose(self):
            yield Static(self.label)
            yield Footer()

    class Bare(App):
        MODES = {"one": lambda: Plain("one"), "two": lambda: Plain("two")}
        BINDINGS = [("1", "switch_mode('one')", "One"), ("2", "switch_mode('two')", "Two")]

        def on_mount(self) -> None:
            self.switch_mode("one")

    app = Bare()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        out = []
        for _ in range(2):  # cold, then warm
            started = time.perf_counter()
            press = asyncio.create_task(pilot.press("2"))
            out.append(await until(lambda: getattr(app.screen, "label", "") == "two" and app.screen.is_mounted,
                                   started))
            await press
            await pilot.press("1")
            await pilot.pause()
        return out[0], out[1]


# ------------------------------------------------------------------ deskui

def checks(target: str):
    """(frame, data) checks for a target on the app."""
    from deskui.tui.screens.knowledge import KnowledgeScreen
    from deskui.tui.screens.metrics import MetricsScreen
    from deskui.tui.screens.ticket import TicketScreen
    from deskui.tui.screens.wallboard import WallboardScreen

    kind = {"2": KnowledgeScreen, "3": MetricsScreen, "4": WallboardScreen, ":1999": TicketScreen}[target]

    def frame(app) -> bool:
        return isinstance(app.screen, kind) and app.screen.is_mounted

    def data(app) -> bool:
        if not frame(app):
            return False
        screen = app.screen
        if kind is MetricsScreen:
            return screen.first_paint.is_set()
        if kind is KnowledgeScreen:
            return bool(screen.results.hits)
        if kind is WallboardScreen:
            return screen.board is not None
        return screen.view is not None

    return frame, data


async def deskui_switch(db: str, target: str, size: tuple[int, int]) -> tuple[float, float, float, float]:
    """(cold frame, cold data, warm frame, warm data) in seconds."""
    from deskui.config import Settings
    from deskui.services.actors import actor_for
    from deskui.store.db import make_engine
    from deskui.tui.app import DeskApp
    from deskui.tui.context import DeskContext

    engine = make_engine(db)
    settings = Settings(db_url=db, user="demo")
    app = DeskApp(DeskContext(engine=engine, actor=actor_for(engine, "demo"), settings=settings,
                              live_refresh_seconds=0, sweep_seconds=0))
    frame, data = checks(target)
    out: list[float] = []
    async with app.run_test(size=size) as pilot:
        from deskui.tui.screens.queue import QueueScreen

        await until(lambda: isinstance(app.screen, QueueScreen) and app.screen._first_painted, time.perf_counter())
        for _ in range(2):
            key = target
            if target.startswith(":"):  # type the jump, then time its enter
                await pilot.press(*target)
                key = "enter"
            started = time.perf_counter()
            press = asyncio.create_task(pilot.press(key))
            out.append(await until(lambda: frame(app), started))
            out.append(await until(lambda: data(app), started))
            await press
            await pilot.press("escape" if target.startswith(":") else "1")
            await until(lambda: isinstance(app.screen, QueueScreen), time.perf_counter())
            await pilot.pause()
    engine.dispose()
    return out[0], out[1], out[2], out[3]


def ms(value: float) -> str:
    return f"{value * 1000:7.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    size = tuple(int(x) for x in args.size.split("x"))

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = str(Path(tmp) / "demo.db")
            subprocess.run([sys.executable, "-m", "deskui", "--db", db, "init", "--demo"], check=True,
                           stdout=subprocess.DEVNULL)
        targets = {"2": "knowledge", "3": "metrics", "4": "wallboard", ":1999": "ticket :1999"}
        results: dict[str, list] = {name: [] for name in targets}
        floors: list[tuple[float, float]] = []
        for _ in range(args.runs):  # interleaved: a busy machine slows all alike
            floors.append(asyncio.run(bare_switch(size)))
            for key in targets:
                results[key].append(asyncio.run(deskui_switch(db, key, size)))

    floor_cold = statistics.median(f[0] for f in floors)
    floor_warm = statistics.median(f[1] for f in floors)
    print(f"screen switches, median of {args.runs} runs at {args.size} (ms from the key press)")
    print(f"{'':<22}{'cold frame':>11}{'cold data':>10}{'warm frame':>11}{'warm data':>10}")
    print(f"{'bare Textual switch':<22}{ms(floor_cold):>11}{'':>10}{ms(floor_warm):>11}")
    for key, name in targets.items():
        rows = results[key]
        cols = [statistics.median(r[i] for r in rows) for i in range(4)]
        print(f"{name:<22}{ms(cols[0]):>11}{ms(cols[1]):>10}{ms(cols[2]):>11}{ms(cols[3]):>10}")
    print("targets: frame <= 100 ms, data <= 300 ms (demo); metrics tiles <= 500 ms on 1,000,000 tickets")


if __name__ == "__main__":
    main()
