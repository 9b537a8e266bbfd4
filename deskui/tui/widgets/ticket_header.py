"""The ticket's header: number, type, status, priority and why, subject, and who/where."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from deskui.store.records import TicketRecord
from deskui.tui.widgets.ticket_format import STATUS_STYLES, priority_style, priority_text, safe_line, words

_LABEL = "$foreground-muted"
_GAP = "   "


def header_fields(t: TicketRecord) -> list[Content]:
    """``Label value`` pairs, each kept whole when the header wraps."""
    requester = t.requester_name or t.requester_email or "-"
    if t.requester_name and t.requester_email:
        requester = f"{t.requester_name} <{t.requester_email}>"
    if t.assignee:
        assignee = f"{t.assignee} ({t.assignee_name})" if t.assignee_name else t.assignee
        assignee_style = ""
    else:
        assignee, assignee_style = "unassigned", "italic $warning"
    pairs = [
        ("Requester", requester, ""),
        ("Channel", words(t.channel), ""),
        ("Category", t.category or "-", ""),
        ("Group", t.group or "-", ""),
        ("Assignee", assignee, assignee_style),
        ("Tier", str(t.tier), ""),
        ("CI", t.ci or "-", ""),
        ("Opened", t.created_at.strftime("%d %b %H:%M UTC"), ""),
    ]
    if t.reassignment_count or t.escalation_count:
        pairs.append(("Moves", f"{t.reassignment_count} reassigned · {t.escalation_count} escalated", ""))
    if t.external_ref:
        # Imported tickets keep the source's own reference and SLA verdict.
        verdict = {True: "made SLA", False: "missed SLA", None: "no SLA verdict"}[t.external_made_sla]
        pairs.append(("Source", f"{t.external_ref} ({verdict})", ""))
    return [Content.assemble((f"{label} ", _LABEL), (safe_line(value), style)) for label, value, style in pairs]


def pack(fields: list[Content], width: int) -> list[Content]:
    """Greedy line packing: as many whole fields per line as fit in ``width``."""
    lines: list[Content] = []
    current: Content | None = None
    for field in fields:
        if current is None:
            current = field
        elif current.cell_length + len(_GAP) + field.cell_length <= width:
            current = Content.assemble(current, _GAP, field)
        else:
            lines.append(current)
            current = field
    if current is not None:
        lines.append(current)
    return lines


def header_content(t: TicketRecord, width: int = 160, priority_style: str = "bold") -> Content:
    status = t.status.upper()
    if t.status == "pending" and t.pending_reason:
        status += f" ({words(t.pending_reason)})"
    first = [
        (t.number, "bold"), "  ", (t.type, "italic"), "  ",
        (f" {status} ", f"reverse {STATUS_STYLES.get(t.status, '')}"), "  ",
        (priority_text(t.priority), priority_style),
    ]
    if t.reopen_count:
        first += ["  ", (f"reopened {t.reopen_count}x", "italic $warning")]
    # The priority's reason wraps as a whole onto the next line when it does not fit.
    lines = pack([Content.assemble(*first)] + ([Content.styled(safe_line(t.priority_reason), _LABEL)]
                                               if t.priority_reason else []), width)
    lines.append(Content.assemble((safe_line(t.subject), "bold")))
    lines += pack(header_fields(t), width)
    if t.resolution_code and t.status in ("resolved", "closed"):
        notes = safe_line(t.resolution_notes)
        line = Content.assemble(("Resolution ", _LABEL), (words(t.resolution_code), "bold $success"), "  ", notes)
        lines.append(line.truncate(width, ellipsis=True))
    return Content("\n").join(lines)


class TicketHeader(Widget):
    """Shows a TicketRecord (call :meth:`show` after every load), or a message."""

    DEFAULT_CSS = """
    TicketHeader {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ticket: TicketRecord | None = None
        self.message: Content = Content("")

    def show(self, ticket: TicketRecord) -> None:
        self.ticket = ticket
        self.refresh(layout=True)

    def update(self, message: Content) -> None:
        """A line instead of a ticket: loading, or why it could not be loaded."""
        self.ticket = None
        self.message = message
        self.refresh(layout=True)

    def render(self) -> Content:
        if self.ticket is None:
            return self.message
        return header_content(self.ticket, self.content_region.width or 160,
                              priority_style(self.app, self.ticket.priority))
