"""The ticket's history: every event, who, when, field old -> new, and why."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from deskui.store.records import EventRecord
from deskui.tui.widgets.ticket_format import colour, safe_line, when, words

_MUTED = "$foreground-muted"


def event_parts(e: EventRecord, app=None) -> list:
    """The 'what' of one event as Content parts (text, style)."""
    if e.kind == "created":
        return [("created", "bold"), f" {e.detail}" if e.detail else ""]
    if e.kind == "comment":
        if e.field == "internal":
            return [("internal note", "$warning")]
        return [("public reply", "$primary")]
    if e.kind == "first_response":
        return [("first response", "$success"), " (response SLA stopped)"]
    if e.kind == "sla_breach":
        return [(f"SLA {e.field} target breached", "bold " + colour(app, "sla-breached"))]
    parts: list = []
    label = words(e.kind) if e.kind not in ("status", "field", "assigned", "group", "priority") else ""
    if label:
        parts += [(label, "bold"), " "]
    if e.field:
        parts += [(e.field, "bold"), " ", (safe_line(e.old) or "—", _MUTED), " → ", (safe_line(e.new) or "—", "bold")]
    if e.detail:
        detail = safe_line(e.detail)
        parts += ["  ", (f"({words(detail) if e.kind == 'status' else detail})", _MUTED)]
    return parts


def history_content(events: list[EventRecord] | tuple[EventRecord, ...], app=None) -> Content:
    if not events:
        return Content.styled("no events", _MUTED)
    actor_width = min(16, max(len(e.actor) for e in events))
    lines = [
        Content.assemble((when(e.at), _MUTED), "  ", (f"{safe_line(e.actor):<{actor_width}}", "$accent"), "  ",
                         *event_parts(e, app))
        for e in events
    ]
    return Content("\n").join(lines)


class TicketHistory(Static):
    DEFAULT_CSS = """
    TicketHistory { height: auto; padding: 0 1; }
    """

    def show(self, events: list[EventRecord] | tuple[EventRecord, ...]) -> None:
        self.update(history_content(events, self.app))
