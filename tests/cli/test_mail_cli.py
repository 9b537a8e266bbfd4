"""`deskui mail send | outbox | retry` through Typer's runner, against aiosmtpd on loopback."""

from __future__ import annotations

import json
import os

from typer.testing import CliRunner

from deskui.cli.main import app
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from tests.conftest import seed_org
from tests.mail_servers import smtp_server

runner = CliRunner()


def run(db, *args, env=None):
    return runner.invoke(app, [f"--db={db}", "--as=demo", *args], env=env)


def test_mail_send_outbox_and_config_errors(sqlite_engine, frozen_now, monkeypatch):
    seed_org(sqlite_engine)
    db = sqlite_engine.url.database
    svc.open_ticket(sqlite_engine, actor_for(sqlite_engine, "demo"), subject="Laptop fan", requester="kim@northwind.example")
    monkeypatch.delenv("DESKUI_SMTP_URL", raising=False)
    config = os.path.join(os.environ["DESKUI_CONFIG_DIR"], "config.toml")
    os.makedirs(os.path.dirname(config), exist_ok=True)

    no_server = run(db, "mail", "send")
    assert no_server.exit_code == 1 and "smtp_url" in no_server.output and len(no_server.output.splitlines()) == 1
    with open(config, "w") as fh:
        fh.write('[mail]\nsmtp_url = "smtp://desk:secret@127.0.0.1:25"\nfrom_address = "desk@northwind.example"\n')
    assert "no password in the URL" in run(db, "mail", "send").output
    with open(config, "w") as fh:
        fh.write('[mail]\nsmtp_url = "smtp://127.0.0.1:1"\nfrom_address = "Desk <desk@northwind.example>"\n')

    assert run(db, "mail", "outbox", "--state", "lost").exit_code == 2
    with smtp_server() as (inbox, port):
        sent = run(db, "mail", "send", "--format", "json", env={"DESKUI_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output)["sent"] == 1 and inbox.envelopes == [("desk@northwind.example", ["kim@northwind.example"])]
    listed = json.loads(run(db, "mail", "outbox", "--format", "json").output)
    assert [(r["kind"], r["state"], r["to"]) for r in listed] == [("created", "sent", "kim@northwind.example")]
    assert run(db, "mail", "outbox").exit_code == 0
    retry = run(db, "mail", "retry", str(listed[0]["id"]))
    assert retry.exit_code == 1 and "no failed message" in retry.output


def test_mail_config_sets_what_notifies(sqlite_engine, frozen_now):
    seed_org(sqlite_engine)
    db = sqlite_engine.url.database
    assert json.loads(run(db, "mail", "config", "--format", "json").output)["notify"][0] == "created"
    bad = run(db, "mail", "config", "--notify", "created,lunch")
    assert bad.exit_code == 1 and "'lunch' is not one of created" in bad.output
    done = run(db, "mail", "config", "--notify", "resolved", "--domain", "desk.northwind.example", "--csat-share", "0")
    assert done.exit_code == 0, done.output
    demo = actor_for(sqlite_engine, "demo")
    t = svc.open_ticket(sqlite_engine, demo, subject="Laptop fan", requester="kim@northwind.example")
    svc.resolve(sqlite_engine, demo, t.id, code="solved", notes="Cleaned it.")
    [row] = json.loads(run(db, "mail", "outbox", "--format", "json").output)
    assert row["kind"] == "resolved" and row["message_id"].endswith("@desk.northwind.example>")
    from deskui.reads.mail import outbox_rows
    assert "1 (poor) to 5" not in outbox_rows(sqlite_engine)[0].body  # a share of 0 asks nobody
