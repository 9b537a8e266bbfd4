"""`deskui analyst token USER`: shown once, stored only as an scrypt hash, revocable, admin only."""

from __future__ import annotations

import sqlite3

from deskui.domain.tokens import token_hash, token_matches
from deskui.services.tokens import check_token
from deskui.store.db import make_engine
from tests.cli.test_cli import demo_db, run  # noqa: F401  (fixture)


def test_token_is_shown_once_stored_hashed_checked_and_revoked(demo_db):  # noqa: F811
    made = run("analyst", "token", "akhan", db=demo_db, user="rmensah")
    assert made.exit_code == 0, made.output
    token = made.stdout.splitlines()[0].strip()
    assert len(token) >= 30
    salt, stored = sqlite3.connect(demo_db).execute(
        "SELECT salt, hash FROM analyst_tokens t JOIN analysts a ON a.id = t.analyst_id "
        "WHERE a.username = 'akhan'").fetchone()
    assert token not in (salt, stored) and stored == token_hash(token, salt)
    engine = make_engine(str(demo_db))
    assert check_token(engine, "akhan", token).username == "akhan"
    assert check_token(engine, "akhan", token + "x") is None
    assert check_token(engine, "rmensah", token) is None  # someone else's token
    revoked = run("analyst", "revoke-token", "akhan", db=demo_db, user="rmensah")
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert check_token(engine, "akhan", token) is None
    again = run("analyst", "token", "akhan", "--revoke", db=demo_db, user="rmensah")
    assert "no token in force" in again.output


def test_only_an_admin_issues_tokens(demo_db):  # noqa: F811
    refused = run("analyst", "token", "akhan", db=demo_db, user="demo")
    assert refused.exit_code == 1
    assert "permission denied" in refused.output and "needs admin" in refused.output
    assert sqlite3.connect(demo_db).execute("SELECT count(*) FROM analyst_tokens").fetchone() == (0,)


def test_token_matches_rejects_empty_and_oversized():
    salt = "00" * 16
    assert not token_matches("", salt, token_hash("", salt))
    assert not token_matches("x" * 300, salt, token_hash("x" * 300, salt))
