"""`deskui db grant` (issue 12.3): what it grants, once; on SQLite one line saying why not."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from deskui.cli.main import app
from deskui.services.db_roles import GRANT_NEEDS_PG

runner = CliRunner()


@pytest.mark.postgres
def test_grant_says_what_it_granted_and_a_second_run_changes_nothing(pg_database):
    url = pg_database.url.render_as_string(hide_password=False)
    first = runner.invoke(app, [f"--db={url}", "db", "grant"])
    assert first.exit_code == 0, first.output
    with pg_database.begin() as conn:  # drift: a privilege lost, one too many
        conn.execute(text("REVOKE SELECT ON tickets FROM deskui_viewer"))
        conn.execute(text("GRANT DELETE ON ticket_events TO deskui_admin"))
    again = runner.invoke(app, [f"--db={url}", "db", "grant"])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines() == [
        "revoked DELETE on ticket_events from deskui_admin",
        "granted SELECT on tickets to deskui_viewer",
        "2 changes; add logins with `deskui analyst add USER ... --login`",
    ]
    third = runner.invoke(app, [f"--db={url}", "db", "grant"])
    assert third.exit_code == 0
    assert third.stdout.strip() == "nothing to change: the deskui group roles and their privileges are already in place"


def test_grant_on_sqlite_is_one_line(tmp_path):
    db = tmp_path / "desk.db"
    assert runner.invoke(app, [f"--db={db}", "init"]).exit_code == 0
    result = runner.invoke(app, [f"--db={db}", "db", "grant"])
    assert result.exit_code == 1
    assert result.stderr == f"deskui: error: {GRANT_NEEDS_PG}\n"
