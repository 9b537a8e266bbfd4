"""The transactional outbox (issue 13.1-13.3): each change writes its notification in
its own transaction; `deskui mail send` delivers to a real SMTP server (aiosmtpd on
loopback), once, with retries, and loses nothing while the server is down."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from deskui import clock
from deskui.errors import ConflictError
from deskui.services import tickets as svc
from deskui.services.actors import actor_for
from deskui.services.mail.sender import requeue, send_pass
from deskui.services.mail.smtp import SmtpSettings, SmtpTransport
from deskui.store import outbox
from deskui.store.db import run_write, session_scope
from deskui.store.models_mail import OutboundMail
from tests.mail_servers import free_port, smtp_server

SUBJECT = "[bold red]VPN[/] drops \x1b[2J every hour"


def settings(port: int, **kw) -> SmtpSettings:
    base = SmtpSettings(host="127.0.0.1", port=port, security="plain", username="", password="",
                        from_address="Service Desk <desk@northwind.example>", retry_seconds=60, max_attempts=3,
                        lease_seconds=600, timeout=5)
    return replace(base, **kw)


def mail_rows(engine) -> list[OutboundMail]:
    with session_scope(engine) as s:
        return list(s.scalars(select(OutboundMail).order_by(OutboundMail.id)).all())


def lifecycle(engine) -> int:
    ann = actor_for(engine, "demo")
    t = svc.open_ticket(engine, ann, subject=SUBJECT, requester="kim.lee@northwind.example", requester_name="Kim Lee",
                        description="It drops.", impact="high", urgency="high")
    svc.add_comment(engine, ann, t.id, "Internal: check the concentrator", internal=True)
    svc.add_comment(engine, ann, t.id, "Which client version do you run?\n[link](http://x) <b>hi</b>")
    svc.change_status(engine, ann, t.id, "pending", pending_reason="awaiting_requester")
    svc.change_status(engine, ann, t.id, "open")
    svc.escalate(engine, ann, t.id, reason="needs the network team", tier=2)
    svc.resolve(engine, ann, t.id, code="solved", notes="Replaced the VPN profile.")
    return t.id


def test_each_change_writes_its_notification_in_its_transaction(org, frozen_now):
    ticket_id = lifecycle(org)
    rows = mail_rows(org)
    assert [r.kind for r in rows] == ["created", "reply", "pending", "escalated", "resolved"]  # no internal note
    assert {r.to_address for r in rows} == {"kim.lee@northwind.example"}
    assert {r.state for r in rows} == {"queued"} and len({r.message_id for r in rows}) == 5
    created, reply, _pending, escalated, resolved = rows
    # Untrusted subject kept plain, on one line, with the tag; the body says the expected time from the SLA.
    assert created.subject == f"[#{ticket_id}] Received: [bold red]VPN[/] drops every hour"
    with session_scope(org) as s:
        from deskui.store.models import Ticket
        ticket = s.get(Ticket, ticket_id)
        assert ticket.response_due_at.strftime("%H:%M") in created.body
        assert ticket.resolution_due_at.strftime("%d %b %Y %H:%M") in escalated.body
    assert "Hello Kim Lee," in created.body and "Which client version" in reply.body and "<b>hi</b>" in reply.body
    assert "Internal" not in "".join(r.body for r in rows)
    assert "Replaced the VPN profile." in resolved.body and "1 (poor) to 5" in resolved.body
    # Threading: every later mail replies to the first one.
    assert reply.in_reply_to == created.message_id and reply.thread_refs == created.message_id
    # No change without its notification, and no notification without its change.
    ann = actor_for(org, "demo")
    with pytest.raises(ConflictError):
        svc.reopen(org, ann, ticket_id, reason="again", version=1)
    assert len(mail_rows(org)) == 5


def test_send_delivers_each_once_with_threading_headers(org, frozen_now):
    lifecycle(org)
    with smtp_server() as (inbox, port):
        first = send_pass(org, SmtpTransport(settings(port)), settings(port))
        again = send_pass(org, SmtpTransport(settings(port)), settings(port))
    assert (first.sent, again.sent) == (5, 0)
    assert [m["Message-ID"] for m in inbox.messages] == [r.message_id for r in mail_rows(org)]
    msg = inbox.messages[1]
    assert msg["In-Reply-To"] == inbox.messages[0]["Message-ID"] and msg["To"] == "kim.lee@northwind.example"
    assert msg["X-Deskui-Ticket"] and inbox.messages[0]["Auto-Submitted"] == "auto-generated"
    assert msg["Auto-Submitted"] is None  # an analyst's reply is not automatic
    assert {r.state for r in mail_rows(org)} == {"sent"}


def test_smtp_down_loses_nothing_and_costs_no_attempts(org, frozen_now):
    lifecycle(org)
    port = free_port()  # nothing listens here yet
    down = send_pass(org, SmtpTransport(settings(port)), settings(port))
    assert down.sent == 0 and "127.0.0.1" in down.unreachable
    assert {(r.state, r.attempts) for r in mail_rows(org)} == {("queued", 0)}
    with smtp_server(port) as (inbox, _):
        back = send_pass(org, SmtpTransport(settings(port)), settings(port))
    assert back.sent == 5 and len(inbox.messages) == 5


def test_a_crash_between_send_and_mark_is_sent_again_after_the_lease(org, frozen_now):
    """At-least-once: a claim that was never marked is retried after lease_seconds, with the same Message-ID;
    within the lease nobody else touches it."""
    lifecycle(org)
    with smtp_server() as (inbox, port):
        s = settings(port)
        [claimed] = run_write(org, lambda session: outbox.claim_due(session, clock.now(), timedelta(seconds=600), 1))
        SmtpTransport(s).send(claimed)  # ... and the sender dies before marking it
        others = send_pass(org, SmtpTransport(s), s)
        assert others.sent == 4
        with clock.frozen(frozen_now + timedelta(seconds=601)):
            later = send_pass(org, SmtpTransport(s), s)
    assert later.sent == 1
    ids = [m["Message-ID"] for m in inbox.messages]
    assert ids.count(claimed.message_id) == 2 and len(ids) == 6
    assert {r.state for r in mail_rows(org)} == {"sent"}


def test_refusals_back_off_then_fail_with_the_reason_and_can_be_retried(org, frozen_now):
    ann = actor_for(org, "demo")
    svc.open_ticket(org, ann, subject="Printer", requester="kim.lee@northwind.example")
    with smtp_server() as (inbox, port):
        s = settings(port, max_attempts=2)
        inbox.refuse = "451 4.3.0 try later"
        assert send_pass(org, SmtpTransport(s), s).retrying == 1
        [row] = mail_rows(org)
        assert (row.state, row.attempts, row.last_error) == ("queued", 1, "451 4.3.0 try later")
        assert row.next_attempt_at == frozen_now + timedelta(seconds=60)
        assert send_pass(org, SmtpTransport(s), s).sent == 0  # not due yet
        with clock.frozen(frozen_now + timedelta(seconds=60)):
            assert send_pass(org, SmtpTransport(s), s).failed == 1
        [row] = mail_rows(org)
        assert (row.state, row.attempts) == ("failed", 2)
        assert requeue(org) == 1
        inbox.refuse = "550 5.1.1 no such user"
        result = send_pass(org, SmtpTransport(s), s)
        assert result.failed == 1 and "550 5.1.1 no such user" in result.errors[0]  # permanent: no retry
        inbox.refuse = None
        requeue(org, mail_rows(org)[0].id)
        assert send_pass(org, SmtpTransport(s), s).sent == 1 and len(inbox.messages) == 1


def test_non_ascii_subject_body_and_sender_name_arrive_intact(org, frozen_now):
    svc.open_ticket(org, actor_for(org, "demo"), subject="Drucker im 3. Stock druckt nur «Kästchen» 🖨",
                    requester="juergen@northwind.example", requester_name="Jürgen Groß")
    svc.open_ticket(org, actor_for(org, "demo"), subject="Maus", requester="jürgen@northwind.example")
    with smtp_server() as (inbox, port):
        s = settings(port, from_address="Servicedesk Nordwind — IT <desk@northwind.example>")
        result = send_pass(org, SmtpTransport(s), s)
    # An international address goes out with SMTPUTF8 (the server offers it).
    assert result.sent == 2, result
    assert inbox.envelopes[1][1] == ["jürgen@northwind.example"]
    msg = inbox.messages[0]
    assert msg["Subject"].endswith("Received: Drucker im 3. Stock druckt nur «Kästchen» 🖨")
    assert msg["From"].addresses[0].display_name == "Servicedesk Nordwind — IT"
    assert "Hello Jürgen Groß," in msg.get_content()


def test_watch_runs_a_pass_per_interval(org, frozen_now):
    from deskui.services.mail.sender import watch

    demo = actor_for(org, "demo")
    svc.open_ticket(org, demo, subject="First", requester="kim.lee@northwind.example")
    waits, reports = [], []

    def between_passes(seconds: float) -> None:  # the sleep, injected: a new mail arrives meanwhile
        waits.append(seconds)
        svc.open_ticket(org, demo, subject="Second", requester="kim.lee@northwind.example")

    with smtp_server() as (inbox, port):
        s = settings(port)
        watch(org, lambda: SmtpTransport(s), s, interval=30, passes=2, report=reports.append, sleep=between_passes)
    assert waits == [30] and [r.sent for r in reports] == [1, 1]
    assert [m["Subject"].split(": ", 1)[1] for m in inbox.messages] == ["First", "Second"]


def test_a_rolled_back_savepoint_takes_its_notifications_with_it(org, frozen_now):
    from deskui.domain.history import HistoryPlan
    from deskui.services.ticket_history import add_events
    from deskui.store.db import write_session

    demo = actor_for(org, "demo")
    t = svc.open_ticket(org, demo, subject="Savepoints", requester="kim.lee@northwind.example")
    with write_session(org) as s:
        kept, dropped = HistoryPlan(actor_id=demo.id, actor="demo"), HistoryPlan(actor_id=demo.id, actor="demo")
        kept.escalate(frozen_now, "kept", tier=2)
        dropped.emit(frozen_now, "closed", "status", "resolved", "closed")
        with s.begin_nested():
            add_events(s, t.id, kept.events)
        try:
            with s.begin_nested():
                add_events(s, t.id, dropped.events)
                raise RuntimeError("undo")
        except RuntimeError:
            pass
    assert [r.kind for r in mail_rows(org)] == ["created", "escalated"]
