"""Issue 15 item 8: the read commands stay on SQLAlchemy Core. `ticket list`,
`ticket show` and `kb search` must not import the ORM models (sqlmodel,
deskui.store.models, sqlalchemy.orm) nor textual: that import alone took longer
than the whole command is allowed (pydantic is not checked: typer 0.29 coerces
every option through it). Behaviour (what is imported), not timing;
bench/bench_cli.py measures the time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_cli import demo_db  # noqa: F401  (the fixture)

HEAVY = ("sqlmodel", "deskui.store.models", "deskui.store.models_ops", "sqlalchemy.orm", "textual")

PROBE = """
import sys
from deskui.cli.main import app
try:
    app(prog_name="deskui", args=sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = [name for name in {heavy!r} if name in sys.modules]
sys.stderr.write("\\nPROBE " + repr((code, heavy)) + "\\n")
"""


def imported(db, *args: str) -> tuple[int, list[str], str]:
    code = PROBE.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", code, f"--db={db}", *args], capture_output=True, text=True,
                          timeout=120)
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("PROBE ")][-1]
    status, heavy = eval(line[len("PROBE "):])  # noqa: S307 (our own repr)
    return status, heavy, done.stdout


@pytest.mark.parametrize("args", [
    ("ticket", "list", "-n", "20", "--format", "json"),
    ("ticket", "list", "-n", "20"),
    ("ticket", "show", "3"),
    ("ticket", "show", "3", "--format", "json"),
    ("kb", "search", "vpn disconnects"),
    ("kb", "search", "vpn disconnects", "--format", "json"),
])
def test_read_commands_import_no_orm_models_nor_textual(demo_db, args):  # noqa: F811
    status, heavy, out = imported(demo_db, *args)
    assert status == 0, out
    assert out.strip()
    assert heavy == [], f"{' '.join(args)} imported {heavy}"


def test_the_core_reads_give_what_the_models_gave(demo_db):  # noqa: F811
    """The list's rows and the shown ticket are complete (every field of the JSON shape)."""
    status, _, out = imported(demo_db, "ticket", "list", "-n", "5", "--format", "json")
    rows = json.loads(out)
    assert status == 0 and len(rows) == 5
    assert all(row["requester"] and row["subject"] and row["number"].startswith("#") for row in rows)
    status, _, out = imported(demo_db, "ticket", "show", str(rows[0]["id"]), "--format", "json")
    shown = json.loads(out)
    assert shown["id"] == rows[0]["id"] and shown["events"] and shown["subject"] == rows[0]["subject"]
