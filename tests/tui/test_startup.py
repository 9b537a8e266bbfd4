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
