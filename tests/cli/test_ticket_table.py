"""`deskui ticket list` fits the terminal like `gh issue list`, and prints full
rows when stdout is not a terminal (issue 15 item 12)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
from datetime import datetime
from io import StringIO
from pathlib import Path

import pytest
from rich.cells import cell_len
from test_cli import demo_db, run  # noqa: F401  (the fixture)

from deskui.cli.ticket_table import DROP_ORDER, FULL_COLUMNS, print_rows

NOW = datetime(2026, 11, 16, 9, 0)
ROW = {
    "number": "#1999", "priority": 2, "status": "pending", "sla": "at_risk", "type": "incident",
    "subject": "VPN drops every few minutes when I work from the Leeds depot on Fridays",
    "requester": "someone.with.a.long.name@northwind.example", "group": "Network Operations",
    "assignee": "jdoe", "category": "Network/VPN", "resolution_due_at": datetime(2026, 11, 17, 12, 0),
    "updated_at": datetime(2026, 11, 16, 7, 0),
}


def table(rows, width: int) -> list[str]:
    out = StringIO()
    print_rows(rows, NOW, out=out, width=width, terminal=True)
    return out.getvalue().splitlines()


@pytest.mark.parametrize("width", [40, 60, 80, 120, 160, 200, 260])
def test_one_line_per_ticket_within_the_width(width):
    rows = [ROW, {**ROW, "number": "#7", "subject": "Short", "assignee": None, "sla": "breached"},
            {**ROW, "number": "#123456", "subject": "Tab\tand\nnew line [bold]x[/]"}]
    lines = table(rows, width)
    assert len(lines) == 1 + len(rows)  # the header, then one line per ticket
    assert all(cell_len(line) <= width for line in lines), lines
    header = lines[0].split()
    # The number and the subject are always there, the number in full.
    assert header[:1] == ["ID"] and "SUBJECT" in header
    assert [line.split()[0] for line in lines[1:]] == ["#1999", "#7", "#123456"]
    assert "Tab and new line [bold]x[/]"[: width - 40] in lines[3]
    # Columns go in DROP_ORDER: what is left is a prefix-free tail of it.
    kept = set(header)
    names = {"resolution_due_at": "DUE", "requester": "REQUESTER", "category": "CATEGORY", "type": "TYPE",
             "group": "GROUP", "updated_at": "UPDATED", "assignee": "ASSIGNEE", "status": "STATUS", "sla": "SLA",
             "priority": "P"}
    shown = [names[key] in kept for key in DROP_ORDER]
    assert shown == sorted(shown), (width, header)  # dropped ones (False) all come first


def test_the_subject_is_cut_and_wide_terminals_show_it_whole():
    narrow = table([ROW], 80)[1]
    assert "VPN drops every few" in narrow and "…" in narrow and "Fridays" not in narrow
    assert ROW["subject"] in table([ROW], 240)[1]
    wide = table([ROW], 260)
    assert {"DUE", "REQUESTER", "CATEGORY", "GROUP", "UPDATED"} <= set(wide[0].split())
    assert "2026-11-17 12:00Z" in wide[1] and "2h" in wide[1] and "at risk" in wide[1]


def test_not_a_terminal_prints_every_column_in_full(demo_db):  # noqa: F811
    listed = run("ticket", "list", "-n", "30", db=demo_db)
    assert listed.exit_code == 0, listed.output
    as_json = json.loads(run("ticket", "list", "-n", "30", "--format", "json", db=demo_db).stdout)
    lines = listed.stdout.splitlines()
    assert len(lines) == len(as_json)
    for line, row in zip(lines, as_json):
        cells = line.split("\t")
        assert len(cells) == len(FULL_COLUMNS)
        expected = {key: "" if row[key] is None else str(row[key]) for key in FULL_COLUMNS}
        assert dict(zip(FULL_COLUMNS, cells)) == expected


def run_in_terminal(args: list[str], columns: int, rows: int = 24) -> str:
    """The real console script with a terminal of ``columns`` as its stdout."""
    exe = shutil.which("deskui") or str(Path(sys.executable).with_name("deskui"))
    if not Path(exe).exists():
        pytest.skip("console script not installed")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    proc = subprocess.Popen([exe, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            raise AssertionError("deskui ticket list did not finish")
        try:
            data = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()
    return b"".join(chunks).decode()


def test_on_a_terminal_it_fits_its_width(demo_db):  # noqa: F811
    import re

    for columns in (80, 160):
        out = run_in_terminal([f"--db={demo_db}", "--as=demo", "ticket", "list", "--all", "-n", "15"], columns)
        lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in out.replace("\r\n", "\n").splitlines()]
        assert len(lines) == 16, lines
        assert all(cell_len(line) <= columns for line in lines), lines
        assert all(re.match(r"#\d+ ", line) for line in lines[1:]), lines
