"""Mail throughput (issue 13.8): the outbox against a bare smtplib loop, IMAP intake
against a bare imaplib fetch, both on real servers on loopback.

    python bench/bench_mail.py [--messages 300] [--pg URL]

- SMTP: ``--messages`` notifications are written by opening tickets through the
  services; ``deskui mail send`` (one pass: claim, send, mark, each claim and mark
  its own transaction) delivers them to an aiosmtpd server. The floor is a bare
  ``smtplib`` loop sending the same messages over one connection. Target: the
  outbox at least 0.5x the bare loop.
- IMAP (when Dovecot is installed): ``--messages`` mails are appended to a fresh
  mailbox; ``deskui intake imap`` takes them (a ticket each, flagged once taken)
  beside a bare ``imaplib`` loop fetching the same messages by UID.
"""

from __future__ import annotations

import argparse
import imaplib
import smtplib
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deskui.services import tickets as svc  # noqa: E402
from deskui.services.actors import actor_for  # noqa: E402
from deskui.services.intake.imap import imap_account, intake_imap  # noqa: E402
from deskui.services.mail.sender import send_pass  # noqa: E402
from deskui.services.mail.smtp import SmtpSettings, SmtpTransport, build_message  # noqa: E402
from deskui.services.seed import seed_demo_org  # noqa: E402
from deskui.store.db import make_engine, session_scope, upgrade  # noqa: E402
from deskui.store.outbox import rows  # noqa: E402
from tests.mail_servers import DOVECOT, Dovecot, smtp_server  # noqa: E402


def fresh_engine(pg: str | None):
    if pg:
        import uuid

        from sqlalchemy import text

        admin = make_engine(pg)
        name = f"deskui_bench_mail_{uuid.uuid4().hex[:6]}"
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    else:
        engine = make_engine(str(Path(tempfile.mkdtemp(prefix="deskui-bench-mail-")) / "desk.db"))
    upgrade(engine)
    seed_demo_org(engine, REPO / "sample_data")
    return engine


def bench_smtp(engine, n: int) -> None:
    demo = actor_for(engine, "demo")
    for i in range(n):
        svc.open_ticket(engine, demo, subject=f"Bench ticket {i}", requester=f"user{i % 50}@northwind.example")
    with session_scope(engine) as session:
        queued = rows(session, state="queued", limit=n)
    with smtp_server() as (inbox, port):
        settings = SmtpSettings(host="127.0.0.1", port=port, security="plain", username="", password="",
                                from_address="desk@northwind.example")
        messages = [build_message(r, settings.from_address) for r in queued]
        start = time.perf_counter()
        client = smtplib.SMTP("127.0.0.1", port)
        for msg in messages:
            client.send_message(msg)
        client.quit()
        bare = time.perf_counter() - start
        start = time.perf_counter()
        summary = send_pass(engine, SmtpTransport(settings), settings)
        ours = time.perf_counter() - start
        assert summary.sent == n and len(inbox.messages) == 2 * n, (summary, len(inbox.messages))
    ratio = bare / ours
    print(f"SMTP  {n} messages: outbox {n / ours:8.1f}/s   bare smtplib {n / bare:8.1f}/s   "
          f"ratio {ratio:.2f}x (target >= 0.50) {'OK' if ratio >= 0.5 else 'BELOW TARGET'}")


def bench_imap(engine, n: int) -> None:
    if not Path(DOVECOT).exists():
        print("IMAP  skipped: Dovecot is not installed (apt-get install dovecot-imapd)")
        return
    server = Dovecot()
    try:
        user = server.new_account()
        client = imaplib.IMAP4("127.0.0.1", server.port)
        client.login(user, "s3cret")
        for i in range(n):
            msg = EmailMessage()
            msg["From"] = f"person{i}@northwind.example"
            msg["Subject"] = f"Mailed problem {i}"
            msg["Message-ID"] = f"<bench-{i}@northwind.example>"
            msg.set_content(f"Problem number {i}.\n" * 5)
            client.append("INBOX", None, None, bytes(msg))
        client.select("INBOX", readonly=True)
        start = time.perf_counter()
        _, found = client.uid("SEARCH", None, "ALL")
        for uid in found[0].split():
            client.uid("FETCH", uid, "(RFC822.SIZE INTERNALDATE BODY.PEEK[])")
        bare = time.perf_counter() - start
        client.logout()
        account = imap_account(f"imap://{user}@127.0.0.1:{server.port}", environ={"DESKUI_IMAP_PASSWORD": "s3cret"})
        start = time.perf_counter()
        summary = intake_imap(engine, account)
        ours = time.perf_counter() - start
        assert summary.tickets_created == n, summary
    finally:
        server.stop()
    print(f"IMAP  {n} messages: intake {n / ours:8.1f}/s   bare imaplib fetch {n / bare:8.1f}/s   "
          f"ratio {bare / ours:.2f}x (intake writes a ticket per message; the fetch writes nothing)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL (a fresh database is made on it)")
    args = parser.parse_args()
    engine = fresh_engine(args.pg)
    print(f"database: {engine.dialect.name}")
    bench_smtp(engine, args.messages)
    bench_imap(engine, args.messages)


if __name__ == "__main__":
    main()
