"""Bench (issue 14.5): opening the page to the first queue page painted in headless
Chromium (`deskui serve`, Debian's chromium through Playwright), beside the same app's
first paint in a terminal (a pty running `deskui`), on the demo database.

"Painted" is the first output frame that holds a queue row (`#123`): in the browser the
websocket frames the page received, in the terminal the bytes written to the pty.
Usage: python bench/bench_serve.py [--runs 5] [--db PATH]  (default: a fresh demo)
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.web.browser import CHROMIUM, Screen, chromium_page, served  # noqa: E402

ROW = re.compile(rb"#\d{1,7}\b")


def terminal_first_paint(db: Path, user: str) -> float:
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(COLUMNS="142", LINES="44", TERM="xterm-256color")
        os.execv(sys.executable, [sys.executable, "-m", "deskui", "--db", str(db), "--as", user])
    started, seen = time.perf_counter(), b""
    try:
        while time.perf_counter() - started < 30:
            ready, _, _ = select.select([fd], [], [], 1.0)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                if ROW.search(re.sub(rb"\x1b\[[0-9;?]*[ -/]*[@-~]", b"", seen)):
                    return time.perf_counter() - started
        raise RuntimeError("no queue row in the terminal within 30 s")
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def browser_first_paint(page, url: str) -> float:
    screen = Screen(page)
    started = time.perf_counter()
    page.goto(url)
    screen.wait_for(page, r"#\d{1,7}\b", timeout=30)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    if CHROMIUM is None:
        raise SystemExit("no chromium: apt-get install chromium")
    db = args.db
    if db is None:
        db = Path(tempfile.mkdtemp()) / "demo.db"
        subprocess.run([sys.executable, "-m", "deskui", "--db", str(db), "init", "--demo"], check=True,
                       capture_output=True)
    tickets = subprocess.run([sys.executable, "-c", f"import sqlite3; print(sqlite3.connect({str(db)!r})"
                              ".execute('select count(*) from tickets').fetchone()[0])"],
                             capture_output=True, text=True).stdout.strip()
    terminal = [terminal_first_paint(db, "demo") for _ in range(args.runs)]
    browser = []
    with served(db, env={"DESKUI_USER": "demo"}) as url, chromium_page(width=1280, height=800) as page:
        for _ in range(args.runs):
            browser.append(browser_first_paint(page, url))
            page.goto("about:blank")
    t, b = statistics.median(terminal), statistics.median(browser)
    print(f"database: {db} ({tickets} tickets), {args.runs} runs, medians")
    print(f"terminal first paint (pty, deskui process start -> first queue row): {t * 1000:7.0f} ms")
    print(f"browser first paint (page open -> first queue row in Chromium):     {b * 1000:7.0f} ms"
          f"  ({b / t:.2f}x the terminal)")


if __name__ == "__main__":
    main()
