"""What the app's start costs: no alembic to check the schema, textual only for the TUI."""

from __future__ import annotations

import subprocess
import sys


def test_schema_check_reads_the_head_revision_without_alembic():
    code = (
        "import sys\n"
        "from deskui.store.db import head_revision\n"
        "head = head_revision()\n"
        "assert 'alembic' not in sys.modules, 'alembic imported'\n"
        "from alembic.script import ScriptDirectory\n"
        "from deskui.store.db import MIGRATIONS_DIR\n"
        "assert head == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head(), head\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_queue_screen_is_imported_when_the_app_starts_not_before():
    code = (
        "import sys\n"
        "import deskui.tui.app\n"
        "assert 'deskui.tui.screens.queue' not in sys.modules\n"
        "assert 'deskui.tui.screens.ticket' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


LAUNCH_UNTIL_PAINTED = """
import json, sys
import deskui.tui.app as tui
import deskui.tui.screens.queue as queue

SLOW = ("sqlmodel", "pydantic", "alembic", "sqlalchemy.orm", "deskui.store.models", "typer", "deskui.cli")
seen = {}
first_paint = queue.QueueScreen._after_first_paint


def probe(screen):
    seen["loaded"] = sorted(m for m in sys.modules if m.split(".")[0] in SLOW or m.startswith(SLOW))
    seen["rows"] = len(screen.view.ids)
    first_paint(screen)
    screen.app.exit()


queue.QueueScreen._after_first_paint = probe


def run_app(*, engine, actor, settings):
    desk = tui.DeskContext(engine=engine, actor=actor, settings=settings, live_refresh_seconds=0, sweep_seconds=0)
    tui.DeskApp(desk).run(headless=True, size=(100, 30))


tui.run_app = run_app
from deskui.start import main  # the console script

sys.argv = ["deskui", "--db", sys.argv[1], "--as", sys.argv[2]]
main()
print(json.dumps(seen))
"""


def test_the_first_page_is_painted_before_the_models_are_loaded(tmp_path, sqlite_template):
    """The launch path reads through Core (store/tables.py) and skips the
    command line (deskui/start.py), so neither sqlmodel, pydantic, the ORM,
    alembic nor typer is loaded before the queue's first page is on screen
    (DESIGN.md §4)."""
    import json
    import os
    import shutil

    from conftest import SAMPLE
    from deskui.services.actors import SYSTEM
    from deskui.services.seed import seed_demo_org
    from deskui.services.tickets import open_ticket
    from deskui.store.db import make_engine

    path = tmp_path / "desk.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(str(path))
    seed_demo_org(engine, SAMPLE)
    for n in range(3):
        open_ticket(engine, SYSTEM, subject=f"printer {n}", requester="ann@example.com")
    engine.dispose()
    env = dict(os.environ, DESKUI_CONFIG_DIR=str(tmp_path / "config"))
    proc = subprocess.run([sys.executable, "-c", LAUNCH_UNTIL_PAINTED, str(path), "akhan"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen == {"loaded": [], "rows": 3}
