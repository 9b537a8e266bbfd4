"""Mail to the requester on the ticket screen (issue 13.7): each notification with
its state -- queued, sending, sent, failed and why -- and a warning when mail to
the requester's address stopped because it bounced. Plain text only: subjects
and reasons are untrusted (``Content``, never markup)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from deskui.tui.widgets.ticket_format import safe_line, when

STATE_STYLES = {"queued": "$warning", "sending": "$warning", "sent": "$success", "failed": "bold $error"}


class MailLog(Static):
    """Hidden until the ticket has mail (or a bounced requester)."""

    DEFAULT_CSS = """
    MailLog { height: auto; padding: 0 1; margin: 0 1 1 1; border: round $foreground 30%; display: none; }
    MailLog.-shown { display: block; }
    """

    def show(self, mail, bounce: str = "") -> None:
        self.set_class(bool(mail or bounce), "-shown")
        self.border_title = Content.styled(" MAIL TO REQUESTER ", "bold")
        parts: list[Content] = []
        if bounce:
            parts.append(Content.styled(f"✗ {safe_line(bounce)}", "bold $error"))
        for row in mail:
            line = Content.assemble(
                f"{when(row.created_at)}  ", (f"{row.kind:<10}", "bold"), " ",
                (f"{row.state:<7}", STATE_STYLES.get(row.state, "")), " ", safe_line(row.subject))
            parts.append(line)
            if row.state == "failed" or (row.state == "queued" and row.last_error):
                reason = f"   after {row.attempts} attempt(s): " if row.attempts else "   "
                parts.append(Content.styled(reason + safe_line(row.last_error), "$error"))
        self.update(Content("\n").join(parts) if parts else Content(""))
