"""The notification templates (deskui/domain/mail.py) and docs/mail.md, which shows each
one as a requester receives it: the page must say what the code sends."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from deskui.domain import mail as m

DOC = Path(__file__).resolve().parents[2] / "docs" / "mail.md"
BASE = dict(number=42, subject="VPN drops every few minutes", requester_name="Ana Ruiz")
EXAMPLES = {
    m.CREATED: m.MailContext(**BASE, expected=datetime(2026, 11, 16, 9, 30)),
    m.REPLY: m.MailContext(**BASE, text="Hello Ana,\n\nCan you tell me the exact error message?", author="Amira Khan"),
    m.PENDING: m.MailContext(**BASE),
    m.ESCALATED: m.MailContext(**BASE, expected=datetime(2026, 11, 16, 15, 0), text="needs the network team"),
    m.RESOLVED: m.MailContext(**BASE, text="Replaced the VPN profile; the DPD timeout is now 60 s."),
    m.REOPENED: m.MailContext(**BASE, text="requester replied by email"),
    m.CLOSED: m.MailContext(**BASE),
}


def test_docs_show_every_template_as_sent():
    doc = DOC.read_text(encoding="utf-8")
    for kind, ctx in EXAMPLES.items():
        subject, body = m.render(kind, ctx)
        assert f"Subject: {subject}\n\n{body.rstrip()}\n```" in doc, kind


def test_untrusted_subject_stays_one_plain_line():
    subject, body = m.render(m.CREATED, m.MailContext(number=7, subject="[b]x[/b]\r\nBcc: all@example.org [#9]"))
    assert subject == "[#7] Received: [b]x[/b] Bcc: all@example.org"
    assert "\r" not in subject and "\n" not in subject and "[b]x[/b]" in body
