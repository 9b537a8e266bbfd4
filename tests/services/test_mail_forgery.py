"""Mail that cannot be forged into a ticket, dates that cannot be back-dated, and CSAT by
reply (issue 13.5, 13.6): each forgery on a real database, through the real intake."""

from __future__ import annotations


from sqlalchemy import select

from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.intake.email import intake_email
from deskui.store.db import session_scope
from deskui.store.models import Analyst, Survey
from deskui.store.models_mail import OutboundMail
from deskui.store.tickets import comments, events, ticket_record
from tests.services.test_intake_email import email_tickets, eml, mail

KIM = "Kim Lee <kim.lee@northwind.example>"
MALLORY = "Mallory <mallory@evil.example>"


def opened(org, tmp_path):
    intake_email(org, eml(tmp_path, "1.eml", mail()))
    [t] = email_tickets(org)
    return t


def outbox(org, ticket_id, kind):
    with session_scope(org) as s:
        return s.scalars(select(OutboundMail).where(OutboundMail.ticket_id == ticket_id, OutboundMail.kind == kind)
                         .order_by(OutboundMail.id.desc())).first()


def test_a_tag_or_a_reference_from_a_stranger_opens_a_new_ticket_and_touches_nothing(org, frozen_now, tmp_path):
    t = opened(org, tmp_path)
    demo = actor_for(org, "demo")
    svc.take(org, demo, t.id)
    svc.resolve(org, demo, t.id, code="solved", notes="Cleared the jam.")
    ack = outbox(org, t.id, "created")
    forged_tag = mail(f"Re: [#{t.id}] Printer", "Reopen this, and here is a link", sender=MALLORY, message_id="<f1@evil>")
    # Even a real Message-ID of ours (a forwarded notification) does not make a stranger part of the thread.
    forged_ref = mail("Re: Printer", "me too", sender=MALLORY, message_id="<f2@evil>", In_Reply_To=ack.message_id)
    summary = intake_email(org, eml(tmp_path, "f1.eml", forged_tag))
    summary2 = intake_email(org, eml(tmp_path, "f2.eml", forged_ref))
    assert (summary.not_on_thread, summary2.not_on_thread) == (1, 1)
    assert summary.as_dict()["not_on_thread"] == 1 and summary.comments_added == 0
    first, *strangers = email_tickets(org)
    assert first.status == "resolved" and first.reopen_count == 0
    with session_scope(org) as s:
        assert comments(s, first.id) == []
        for new in strangers:
            assert new.requester_email == "mallory@evil.example"
            assert new.description.startswith(f"Mail about #{first.id} from mallory@evil.example, who is not on")
            assert [e.new for e in events(s, new.id) if e.kind == "linked"] == [f"#{first.id}"]


def test_the_requester_and_analysts_join_by_reference_first_then_by_tag(org, frozen_now, tmp_path):
    t = opened(org, tmp_path)
    ack = outbox(org, t.id, "created")
    # A reference to our acknowledgement, no tag at all, and a misleading tag of another ticket: the reference wins.
    other = svc.open_ticket(org, actor_for(org, "demo"), subject="Other", requester="ana@northwind.example")
    by_ref = mail(f"Re: [#{other.id}] something", "More detail.", message_id="<r1@x>", In_Reply_To=ack.message_id)
    assert intake_email(org, eml(tmp_path, "r1.eml", by_ref)).comments_added == 1
    with session_scope(org) as s:
        analyst_email = s.scalars(select(Analyst.email).where(Analyst.email != "")).first()
    by_analyst = mail(f"[#{t.id}] note", "Seen it from my phone.", sender=analyst_email, message_id="<r2@x>")
    assert intake_email(org, eml(tmp_path, "r2.eml", by_analyst)).comments_added == 1
    with session_scope(org) as s:
        assert [c.body for c in comments(s, t.id)] == ["More detail.", "Seen it from my phone."]
        assert comments(s, other.id) == []


def test_a_back_dated_or_future_date_header_moves_nothing(org, frozen_now, tmp_path):
    old = mail("Ancient outage", message_id="<d1@x>", date="Mon, 01 Jan 2001 00:00:00 +0000")
    future = mail("Future outage", message_id="<d2@x>", date="Fri, 01 Jan 2100 00:00:00 +0000")
    intake_email(org, eml(tmp_path, "d1.eml", old))
    intake_email(org, eml(tmp_path, "d2.eml", future))
    a, b = email_tickets(org)
    assert a.created_at == b.created_at == frozen_now
    assert a.response_due_at > frozen_now  # its SLA counts from receipt, so it is not breached on arrival
    with session_scope(org) as s:
        assert events(s, a.id)[0].detail == "via email; Date: header 2001-01-01 00:00:00"
    reply = mail(f"Re: [#{a.id}] Ancient outage", "Still down", message_id="<d3@x>",
                 date="Mon, 01 Jan 2001 00:00:00 +0000")
    intake_email(org, eml(tmp_path, "d3.eml", reply))
    with session_scope(org) as s:
        [c] = comments(s, a.id)
    assert c.created_at == frozen_now


def test_a_score_in_reply_to_the_resolution_mail_is_the_survey_answer_once(org, frozen_now, tmp_path):
    t = opened(org, tmp_path)
    demo = actor_for(org, "demo")
    svc.take(org, demo, t.id)
    svc.resolve(org, demo, t.id, code="solved", notes="Cleared the jam.")
    resolved = outbox(org, t.id, "resolved")
    assert "1 (poor) to 5" in resolved.body
    rating = mail(f"Re: [#{t.id}] Resolved", "4 - quick, thanks!\n\nOn Mon, Desk wrote:\n> Resolved",
                  message_id="<s1@x>", In_Reply_To=resolved.message_id)
    summary = intake_email(org, eml(tmp_path, "s1.eml", rating))
    assert (summary.rated, summary.comments_added, summary.reopened) == (1, 1, 0)
    again = mail(f"Re: [#{t.id}] Resolved", "rate: 1", message_id="<s2@x>", In_Reply_To=resolved.message_id)
    summary = intake_email(org, eml(tmp_path, "s2.eml", again))
    assert (summary.rated, summary.reopened) == (0, 0)
    with session_scope(org) as s:
        assert [(v.score, v.comment) for v in s.scalars(select(Survey)).all()] == [(4, "quick, thanks!")]
        assert [c.body for c in comments(s, t.id)][-2:] == ["quick, thanks!", "rate: 1"]
        assert ticket_record(s, t.id).status == "resolved"
    assert outbox(org, t.id, "resolved").answered_at == frozen_now
    # Words, not a score: the requester says it is not fixed, and the ticket opens again.
    intake_email(org, eml(tmp_path, "s3.eml", mail(f"Re: [#{t.id}] Resolved", "It jams again.", message_id="<s3@x>")))
    assert email_tickets(org)[0].status == "open"


def test_read_score_forms():
    from deskui.domain.mail import read_score

    assert read_score("5") == (5, "")
    assert read_score("rate: 4\nthanks") == (4, "thanks")
    assert read_score("Score 3/5 ok") == (3, "ok")
    assert read_score("4.5 stars") == (None, "4.5 stars")
    assert read_score("10 out of 10") == (None, "10 out of 10")
    assert read_score("Thanks, 5") == (None, "Thanks, 5")


def dsn(message_id: str, action: str = "failed", status: str = "5.1.1", to: str = "kim.lee@northwind.example") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.northwind.example\r\nTo: desk@northwind.example\r\nSubject: Undelivered Mail\r\n"
        "Message-ID: <dsn-" + action + message_id.strip("<>") + ">\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.northwind.example\r\n\r\n"
        f"Final-Recipient: rfc822; {to}\r\nAction: {action}\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} User unknown\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\nTo: {to}\r\n\r\n--B--\r\n"
    ).encode()


def test_a_bounce_of_our_mail_stops_mail_to_the_address_and_a_forged_one_does_not(org, frozen_now, tmp_path):
    t = opened(org, tmp_path)
    ack = outbox(org, t.id, "created")
    forged = intake_email(org, eml(tmp_path, "forged.eml", dsn("<guess@northwind.example>")))
    delayed = intake_email(org, eml(tmp_path, "delayed.eml", dsn(ack.message_id, "delayed", "4.4.1")))
    assert forged.ignored == delayed.ignored == {"bounce": 1}
    real = intake_email(org, eml(tmp_path, "real.eml", dsn(ack.message_id)))
    assert real.ignored == {"bounce: address marked undeliverable": 1} and real.comments_added == 0
    demo = actor_for(org, "demo")
    svc.take(org, demo, t.id)
    svc.resolve(org, demo, t.id, code="solved", notes="Cleared the jam.")
    resolved = outbox(org, t.id, "resolved")
    assert resolved.state == "failed"
    assert resolved.last_error.startswith("not sent: kim.lee@northwind.example bounced on 2026-11-16 09:00: smtp; 550")
