"""`deskui intake imap` against a real Dovecot on loopback (issue 13.4): new mail by UID,
flagged (or moved) once taken, nothing taken twice -- not even after a crash between the
commit and the flag -- and the server's arrival time, not the Date: header, as receipt."""

from __future__ import annotations

import imaplib
import json
import os
import shutil
from datetime import datetime

import pytest
from typer.testing import CliRunner

from deskui.cli.main import app
from deskui.errors import ValidationError
from deskui.services.intake.email import intake_email
from deskui.services.intake.imap import imap_account, intake_imap
from deskui.store.db import session_scope
from deskui.store.tickets import events
from tests.mail_servers import DOVECOT, Dovecot
from tests.services.test_intake_email import email_tickets, eml, mail

pytestmark = pytest.mark.skipif(not os.path.exists(DOVECOT) or not shutil.which("runuser"),
                                reason="Dovecot is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def dovecot():
    server = Dovecot()
    yield server
    server.stop()


def account(server, user):
    return imap_account(f"imap://{user}@127.0.0.1:{server.port}", environ={"DESKUI_IMAP_PASSWORD": "s3cret"})


def folder_state(server, user, folder="INBOX"):
    client = imaplib.IMAP4("127.0.0.1", server.port)
    client.login(user, "s3cret")
    client.select(folder, readonly=True)
    _, data = client.uid("FETCH", "1:*", "(FLAGS)")
    client.logout()
    return [d.decode() for d in data if d]


def test_new_mail_by_uid_flagged_once_taken_with_the_arrival_time(org, frozen_now, dovecot, tmp_path):
    user = dovecot.new_account()
    dovecot.append(user, mail(date="Mon, 01 Jan 2001 00:00:00 +0000"), date='"16-Nov-2026 08:50:00 +0000"')
    dovecot.append(user, mail("Out of office", message_id="<ooo@x>", Auto_Submitted="auto-replied"))
    first = intake_imap(org, account(dovecot, user))
    assert (first.messages_read, first.tickets_created, first.ignored) == (2, 1, {"auto-reply": 1})
    [t] = email_tickets(org)
    assert t.created_at == datetime(2026, 11, 16, 8, 50)  # the server's arrival, not the 2001 header
    with session_scope(org) as s:
        assert events(s, t.id)[0].detail == "via email; Date: header 2001-01-01 00:00:00"
    assert all("$DeskuiTaken" in f and "\\Seen" in f for f in folder_state(dovecot, user))
    # A later run takes only what is new; a stranger's tagged mail is a new ticket, said in the summary.
    dovecot.append(user, mail(f"Re: [#{t.id}]", "let me in", sender="eve@evil.example", message_id="<e@x>"))
    again = intake_imap(org, account(dovecot, user))
    assert (again.messages_read, again.tickets_created, again.not_on_thread) == (1, 1, 1)
    assert intake_imap(org, account(dovecot, user)).messages_read == 0


def test_a_crash_between_commit_and_flag_takes_nothing_twice_and_move_to_moves(org, frozen_now, dovecot, tmp_path):
    user = dovecot.new_account()
    raw = mail("VPN down", message_id="<crash@x>")
    dovecot.append(user, raw)
    dovecot.append(user, mail("Printer", message_id="<p@x>"))
    intake_email(org, eml(tmp_path, "crash.eml", raw))  # taken and committed; the flag never reached the server
    summary = intake_imap(org, account(dovecot, user), move_to="Taken")
    assert (summary.messages_read, summary.tickets_created, summary.ignored) == (2, 1, {"duplicate": 1})
    assert len(email_tickets(org)) == 2
    assert folder_state(dovecot, user) == [] and len(folder_state(dovecot, user, "Taken")) == 2
    with pytest.raises(ValidationError, match="--move-to a/b: the server cannot create it"):
        intake_imap(org, account(dovecot, user), move_to="a/b")


def test_intake_imap_from_the_command_line(sqlite_engine, frozen_now, dovecot, tmp_path):
    from tests.conftest import seed_org

    seed_org(sqlite_engine)
    user = dovecot.new_account()
    dovecot.append(user, mail())
    runner = CliRunner()
    db = sqlite_engine.url.database
    url = f"imap://{user}@127.0.0.1:{dovecot.port}"
    no_password = runner.invoke(app, [f"--db={db}", "intake", "imap", url], env={"DESKUI_IMAP_PASSWORD": ""})
    assert no_password.exit_code == 1 and "DESKUI_IMAP_PASSWORD" in no_password.output
    in_url = runner.invoke(app, [f"--db={db}", "intake", "imap", url.replace(user, f"{user}:pw")])
    assert in_url.exit_code == 1 and "no password in the URL" in in_url.output
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    result = runner.invoke(app, [f"--db={db}", "intake", "imap", url, "--password-file", str(secret), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["tickets_created"] == 1
    wrong = tmp_path / "wrong"
    wrong.write_text("nope")
    refused = runner.invoke(app, [f"--db={db}", "intake", "imap", url, "--password-file", str(wrong)])
    assert refused.exit_code == 1 and len(refused.output.strip().splitlines()) == 1
