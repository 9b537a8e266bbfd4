"""Mail intake on real .eml, mbox and Maildir files: new mail opens tickets, replies comment
(and reopen), auto-replies and loops are ignored, a message is taken once."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import func, select

from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.intake.email import MailOptions, html_to_text, intake_email
from deskui.store.db import session_scope
from deskui.store.models import Comment, Ticket
from deskui.store.tickets import comments, events, ticket_record

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "imports"


def mail(subject="Printer on floor 3 jams", body="It jams on every page.", *, sender="Kim Lee <kim.lee@northwind.example>",
         message_id="<m1@mail.example>", date="Mon, 16 Nov 2026 08:30:00 +0000", html=None, attachment=None,
         **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "servicedesk@northwind.example"
    msg["Subject"] = subject
    msg["Date"] = date
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    if attachment:
        msg.add_attachment(attachment[1], maintype="application", subtype="pdf", filename=attachment[0])
    return bytes(msg)


def eml(tmp_path: Path, name: str, raw: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def email_tickets(engine):
    with session_scope(engine) as s:
        ids = s.scalars(select(Ticket.id).where(Ticket.channel == "email").order_by(Ticket.id)).all()
        return [ticket_record(s, i) for i in ids]


def test_new_mail_opens_a_ticket(org, frozen_now, tmp_path):
    raw = mail(attachment=("invoice.pdf", b"%PDF-1.4 " * 100), html="<p>ignored, plain text wins</p>")
    summary = intake_email(org, eml(tmp_path, "one.eml", raw))
    assert (summary.messages_read, summary.tickets_created) == (1, 1)
    [t] = email_tickets(org)
    assert t.subject == "Printer on floor 3 jams" and t.channel == "email" and t.status == "new"
    assert t.requester_email == "kim.lee@northwind.example" and t.requester_name == "Kim Lee"
    # The time of receipt, not the sender's Date: header (kept in the created event).
    assert t.created_at == datetime(2026, 11, 16, 9, 0)
    assert t.description.startswith("It jams on every page.")
    assert "- invoice.pdf (application/pdf, 900 B)" in t.description
    assert t.external_ref == "email:<m1@mail.example>"
    assert t.response_due_at is not None  # SLA cache as open_ticket sets it
    with session_scope(org) as s:
        assert [(e.kind, e.detail) for e in events(s, t.id)] == [
            ("created", "via email; Date: header 2026-11-16 08:30:00")]


def test_html_only_mail_is_converted_to_text(org, frozen_now, tmp_path):
    msg = EmailMessage()
    msg["From"] = "ana.ruiz@northwind.example"
    msg["Subject"] = "Fwd: Re: Outlook"
    msg["Message-ID"] = "<h1@x>"
    msg.set_content("<html><head><style>p{}</style><script>x()</script></head><body><p>Hello&nbsp;there,</p>"
                    "<ul><li>one</li><li>two</li></ul><p>See <a href='https://kb.example/1'>the article</a>.</p>"
                    "</body></html>", subtype="html")
    intake_email(org, eml(tmp_path, "h.eml", bytes(msg)))
    [t] = email_tickets(org)
    assert t.subject == "Outlook"  # reply and forward prefixes dropped for a new ticket
    assert t.description == "Hello there,\n\n- one\n- two\n\nSee the article (https://kb.example/1)."


def test_html_to_text_keeps_text_and_drops_markup():
    assert html_to_text("<div>a<br>b</div><table><tr><td>c</td><td>d</td></tr></table>") == "a\nb\n\nc d"
    assert html_to_text("<p>5 &lt; 6 &amp; <b>bold</b></p><!-- hidden -->") == "5 < 6 & bold"


def test_reply_by_references_is_a_public_comment(org, frozen_now, tmp_path):
    intake_email(org, eml(tmp_path, "1.eml", mail()))
    reply = mail("Re: Printer on floor 3 jams", "Still jamming.\n\nOn Mon, 16 Nov 2026, Desk wrote:\n> old text",
                 message_id="<m2@mail.example>", date="Mon, 16 Nov 2026 08:45:00 +0000",
                 In_Reply_To="<m1@mail.example>", References="<m1@mail.example>")
    summary = intake_email(org, eml(tmp_path, "2.eml", reply))
    assert (summary.tickets_created, summary.comments_added) == (0, 1)
    [t] = email_tickets(org)
    with session_scope(org) as s:
        [c] = comments(s, t.id)
    assert c.visibility == "public" and c.body == "Still jamming." and c.author == "Kim Lee <kim.lee@northwind.example>"
    assert t.first_response_at is None  # a requester's reply is not the desk's response


def test_tagged_reply_reopens_a_resolved_ticket(org, frozen_now, tmp_path):
    intake_email(org, eml(tmp_path, "1.eml", mail()))
    [t] = email_tickets(org)
    demo = actor_for(org, "demo")
    svc.take(org, demo, t.id)
    svc.resolve(org, demo, t.id, code="solved", notes="Cleared the jam.")
    reply = mail(f"RE: [#{t.id}] Printer", "It is back.", message_id="<m3@x>", date="Mon, 16 Nov 2026 09:30:00 +0000")
    summary = intake_email(org, eml(tmp_path, "3.eml", reply))
    assert (summary.comments_added, summary.reopened) == (1, 1)
    [t] = email_tickets(org)
    assert t.status == "open" and t.reopen_count == 1 and t.resolved_at is None
    with session_scope(org) as s:
        assert [e.kind for e in events(s, t.id)][-2:] == ["comment", "reopened"]


def test_reply_to_a_ticket_pending_on_the_requester_resumes_it(org, frozen_now, tmp_path):
    intake_email(org, eml(tmp_path, "1.eml", mail()))
    [t] = email_tickets(org)
    demo = actor_for(org, "demo")
    svc.take(org, demo, t.id)
    svc.change_status(org, demo, t.id, "pending", pending_reason="awaiting_requester")
    intake_email(org, eml(tmp_path, "2.eml", mail(f"[#{t.id}]", "Here is the info.", message_id="<m4@x>",
                                                  date="Mon, 16 Nov 2026 09:40:00 +0000")))
    [t] = email_tickets(org)
    assert t.status == "open" and t.resolution_state != "paused"


def test_reply_to_a_closed_ticket_opens_a_follow_up(org, frozen_now, tmp_path):
    intake_email(org, eml(tmp_path, "1.eml", mail()))
    [t] = email_tickets(org)
    demo = actor_for(org, "demo")
    svc.take(org, demo, t.id)
    svc.resolve(org, demo, t.id, code="solved", notes="Done.")
    svc.close(org, demo, t.id)
    intake_email(org, eml(tmp_path, "2.eml", mail(f"Re: [#{t.id}] Printer on floor 3 jams", "Again!",
                                                  message_id="<m5@x>")))
    first, follow = email_tickets(org)
    assert first.status == "closed" and follow.status == "new"
    assert follow.description.startswith(f"Follow-up to #{first.id} (closed).")
    with session_scope(org) as s:
        linked = [e for e in events(s, follow.id) if e.kind == "linked"]
    assert linked and linked[0].new == f"#{first.id}"


def test_the_same_message_is_taken_once(org, frozen_now, tmp_path):
    path = eml(tmp_path, "1.eml", mail())
    intake_email(org, path)
    again = intake_email(org, path)
    assert again.ignored == {"duplicate": 1} and again.tickets_created == 0
    assert len(email_tickets(org)) == 1


@pytest.mark.parametrize("headers, reason", [
    ({"Auto_Submitted": "auto-replied"}, "auto-reply"),
    ({"X_Autoreply": "yes"}, "auto-reply"),
    ({"Precedence": "bulk"}, "auto-reply"),
    ({"Precedence": "auto_reply"}, "auto-reply"),
    ({"sender": "MAILER-DAEMON@mx.example"}, "bounce"),
    ({"Return_Path": "<>"}, "bounce"),
    ({"subject": "Automatic reply: Printer"}, "auto-reply"),
    ({"X_Loop": "deskui"}, "loop"),
    ({"sender": "Service Desk <servicedesk@northwind.example>"}, "loop"),
])
def test_auto_replies_and_loops_are_ignored(org, tmp_path, headers, reason):
    headers = dict(headers)  # shared by the sqlite and postgres runs
    kwargs = {k: headers.pop(k) for k in ("sender", "subject") if k in headers}
    summary = intake_email(org, eml(tmp_path, "auto.eml", mail(**kwargs, **headers)))
    assert summary.ignored == {reason: 1}
    assert email_tickets(org) == []


def test_auto_submitted_no_is_a_person(org, frozen_now, tmp_path):
    summary = intake_email(org, eml(tmp_path, "a.eml", mail(Auto_Submitted="no")))
    assert summary.tickets_created == 1


def test_a_burst_from_one_sender_is_a_loop(org, frozen_now, tmp_path):
    folder = tmp_path / "burst"
    folder.mkdir()
    for n in range(5):
        (folder / f"{n}.eml").write_bytes(mail(f"Ticket {n}", message_id=f"<b{n}@x>",
                                               date=f"Mon, 16 Nov 2026 08:{30 + n}:00 +0000"))
    summary = intake_email(org, folder, MailOptions(loop_limit=3, loop_window_minutes=60))
    assert summary.tickets_created == 3 and summary.ignored == {"loop": 2}


def test_maildir_and_mbox(org, frozen_now, tmp_path):
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1700000000.M1.host").write_bytes(mail("From maildir", message_id="<md1@x>"))
    (maildir / "cur" / "1700000001.M2.host:2,S").write_bytes(mail("Seen maildir", message_id="<md2@x>"))
    assert intake_email(org, maildir).tickets_created == 2
    summary = intake_email(org, SAMPLE / "servicedesk.mbox")
    assert (summary.messages_read, summary.tickets_created, summary.comments_added) == (3, 1, 1)
    assert summary.ignored == {"auto-reply": 1}
    with session_scope(org) as s:
        body = s.scalar(select(Comment.body).where(Comment.message_id == "<outlook-2@mail.northwind.example>"))
    assert body == "It started after I changed my password yesterday.\nFrom what I can tell the phone works fine."


def test_maildir_intake_does_not_follow_symbolic_links(org, frozen_now, tmp_path):
    """Issue 12.6: a link in a shared Maildir could point anywhere the importing user can read."""
    secret = tmp_path / "secret.eml"
    secret.write_bytes(mail("Not for the desk", message_id="<secret@x>"))
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1700000000.M1.host").write_bytes(mail("From maildir", message_id="<md1@x>"))
    (maildir / "new" / "1700000002.M3.host").symlink_to(secret)
    assert intake_email(org, maildir).tickets_created == 1
    assert [t.subject for t in email_tickets(org)] == ["From maildir"]


def test_sample_eml_lists_its_attachment(org, frozen_now):
    intake_email(org, SAMPLE / "vpn_request.eml")
    [t] = email_tickets(org)
    assert t.subject == "VPN keeps dropping since this morning"
    assert "vpn-error.png (image/png" in t.description and "cannot reach the file shares" in t.description


def test_untrusted_headers_and_bodies_are_sanitised(org, frozen_now, tmp_path):
    intake_email(org, eml(tmp_path, "x.eml", mail("[bold red]x[/] \x1b[2Jcleared", "body \x1b]0;title\x07text")))
    [t] = email_tickets(org)
    assert t.subject == "[bold red]x[/] cleared" and t.description == "body text"


def test_dry_run_decides_but_writes_nothing(org, frozen_now, tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "1.eml").write_bytes(mail())
    (folder / "2.eml").write_bytes(mail("Re: x", "more", message_id="<m2@x>", In_Reply_To="<m1@mail.example>"))
    summary = intake_email(org, folder, MailOptions(dry_run=True))
    assert (summary.tickets_created, summary.comments_added) == (1, 1)
    with session_scope(org) as s:
        assert s.scalar(select(func.count()).select_from(Ticket).where(Ticket.channel == "email")) == 0
        assert s.scalar(select(func.count()).select_from(Comment)) == 0
