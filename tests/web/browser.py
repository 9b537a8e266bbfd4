"""Helpers for the browser tests: a real `deskui serve` process, headless system Chromium
(Debian's package, through Playwright; no browser download), and the terminal text the
page received (xterm.js paints on a canvas, so the test reads the websocket frames)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]")

needs_browser = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no system chromium (apt-get install chromium; .ci/run installs it)",
)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@contextmanager
def served(db: Path, *args: str, host: str = "127.0.0.1", env: dict | None = None, log: Path | None = None):
    """`deskui --db DB serve ARGS` on a free port until the block ends; yields the URL."""
    port = free_port(host)
    proc = subprocess.Popen([sys.executable, "-m", "deskui", "--db", str(db), "serve", "--host", host,
                             "--port", str(port), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})
    out = open(log or os.devnull, "wb")
    try:
        # The server says "Serving ..." once it listens: read up to it (no timed waits), then
        # copy the rest to the log in a thread so the pipe never fills.
        for line in proc.stdout:
            out.write(line)
            if b"Serving" in line:
                break
        else:
            raise RuntimeError(f"deskui serve did not start (exit {proc.wait()})")
        threading.Thread(target=shutil.copyfileobj, args=(proc.stdout, out), daemon=True).start()
        yield f"http://{host}:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        out.close()


class Screen:
    """The text the served app sent to the page (websocket frames, escape codes removed)."""

    def __init__(self, page) -> None:
        self.frames: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if isinstance(payload, (bytes, bytearray)):
            self.frames.append(bytes(payload))

    def mark(self) -> int:
        return len(self.frames)

    def text(self, since: int = 0) -> str:
        raw = ANSI.sub(b"", b"".join(self.frames[since:]))
        return raw.decode("utf-8", "replace")

    def wait_for(self, page, pattern: str, *, since: int = 0, timeout: float = 10.0) -> re.Match:
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.text(since))
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} not on the page within {timeout} s")
            page.wait_for_timeout(100)


@contextmanager
def chromium_page(width: int = 1280, height: int = 800):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()
