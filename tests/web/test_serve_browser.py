"""deskui served to a real headless Chromium: the wallboard follows other processes,
the full app is driven by keys, and beyond loopback the server refuses to start unsafely."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from tests.web.browser import Screen, chromium_page, needs_browser, served

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("serve") / "demo.db"
    subprocess.run([sys.executable, "-m", "deskui", "--db", str(db), "init", "--demo"], check=True,
                   capture_output=True)
    return db


def deskui(db, *args, user="demo"):
    return subprocess.run([sys.executable, "-m", "deskui", "--db", str(db), "--as", user, *args],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "DESKUI_USER": user})


@needs_browser
def test_wallboard_in_chromium_follows_another_process(demo_db, tmp_path):
    with served(demo_db, "--wallboard", log=tmp_path / "serve.log") as url, chromium_page() as page:
        screen = Screen(page)
        page.goto(url)
        found = screen.wait_for(page, r"([\d,]+) open · ", timeout=15)
        page.screenshot(path=str(tmp_path / "01-wallboard.png"))
        before = int(found.group(1).replace(",", ""))
        mark = screen.mark()
        made = deskui(demo_db, "ticket", "new", "-s", "Printer on fire", "-r", "x@example.com")
        assert made.returncode == 0, made.stderr
        screen.wait_for(page, rf"{before + 1:,} open · ", since=mark, timeout=5)
        page.screenshot(path=str(tmp_path / "02-wallboard-updated.png"))
        # Read-only by construction: no queue, no ticket keys; `r` and `enter` do nothing.
        mark = screen.mark()
        page.keyboard.press("Enter")
        page.keyboard.press("r")
        page.wait_for_timeout(300)
        assert "Reply" not in screen.text(mark) and "Queue" not in screen.text(mark)
        # The page reloads itself when the server comes back (the reconnect script is in it).
        assert "__deskuiPolling" in page.content()
    print(f"screenshots: {tmp_path}")


@needs_browser
def test_full_app_signs_in_then_queue_ticket_reply(demo_db, tmp_path):
    """--require-signin asks on loopback what any other address always asks: the session runs
    as the signed-in analyst (akhan), not as the server's user (DESKUI_USER=demo)."""
    issued = deskui(demo_db, "analyst", "token", "akhan", user="rmensah")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.split()[0]
    shots = tmp_path
    log = tmp_path / "serve.log"
    with served(demo_db, "--require-signin", env={"DESKUI_USER": "demo"}, log=log) as url, \
            chromium_page() as page:
        screen = Screen(page)
        page.goto(url)
        assert page.url.endswith("/signin")
        page.fill("#user", "akhan")
        page.fill("#token", token + "x")
        page.screenshot(path=str(shots / "00-signin.png"))
        page.click("#submit")
        assert "Wrong analyst name or token" in page.inner_text("#error")
        page.screenshot(path=str(shots / "00-refused.png"))
        assert screen.frames == []  # no app was started for the wrong token
        page.fill("#user", "akhan")
        page.fill("#token", token)
        page.click("#submit")
        screen.wait_for(page, r"#\d+", timeout=20)  # the queue's first page
        screen.wait_for(page, r"akhan", timeout=10)  # the status line: the signed-in analyst
        page.screenshot(path=str(shots / "01-queue.png"))
        page.locator(".xterm-screen").click()
        page.keyboard.press("j")
        page.screenshot(path=str(shots / "02-j.png"))
        mark = screen.mark()
        page.keyboard.press("Enter")
        screen.wait_for(page, r"Reply", since=mark, timeout=10)  # the ticket screen's keys
        page.screenshot(path=str(shots / "03-ticket.png"))
        mark = screen.mark()
        page.keyboard.press("r")
        screen.wait_for(page, r"ctrl\+s send", since=mark, timeout=10)
        page.keyboard.type("Restarted the spooler from the browser")
        page.screenshot(path=str(shots / "04-reply.png"))
        mark = screen.mark()
        page.keyboard.press("Control+s")
        screen.wait_for(page, r"Restarted the spooler", since=mark, timeout=10)
        page.screenshot(path=str(shots / "05-replied.png"))
    assert "refused sign-in as 'akhan'" in log.read_text()
    events = sqlite3.connect(demo_db).execute(
        "SELECT a.username FROM comments c JOIN analysts a ON a.id = c.author_id "
        "WHERE c.body = 'Restarted the spooler from the browser'").fetchall()
    assert events == [("akhan",)]
    print(f"screenshots: {shots}")


def test_backoff_is_bounded():
    from deskui.cli.serve_signin import BACKOFF_CAP, backoff_seconds

    waits = [backoff_seconds(n) for n in range(12)]
    assert waits[0] == 0 and waits[1] > 0 and waits == sorted(waits) and max(waits) == BACKOFF_CAP


def test_beyond_loopback_refuses_without_tls_or_viewer_token(demo_db):
    for args, env, says in (
        (["--wallboard"], {}, "without TLS"),
        (["--wallboard", "--behind-proxy"], {"DESKUI_VIEWER_TOKEN": ""}, "without a viewer token"),
    ):
        done = subprocess.run([sys.executable, "-m", "deskui", "--db", str(demo_db), "serve", "--host",
                               "0.0.0.0", "--port", "1", *args], capture_output=True, text=True, check=False,
                              env={**os.environ, **env}, timeout=30)
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and says in lines[0], done.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl to make a test certificate")
def test_tls_with_certfile_and_keyfile(demo_db, tmp_path):
    import ssl
    import urllib.request

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    with served(demo_db, "--wallboard", "--certfile", str(cert), "--keyfile", str(key)) as url:
        https = url.replace("http://", "https://")
        context = ssl.create_default_context(cafile=str(cert))
        context.check_hostname = False
        page = urllib.request.urlopen(https, context=context, timeout=10).read().decode()
        assert "wss://" in page and "__deskuiPolling" in page
