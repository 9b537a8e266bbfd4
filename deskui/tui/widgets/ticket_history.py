"""The ticket's history: every event, who, when, field old -> new, and why."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from deskui.domain.enums import EventKind
from deskui.store.records import EventRecord
from deskui.tui.widgets.ticket_format import colour, safe_line, when, words

_MUTED = "$foreground-muted"
# Kinds whose field (old -> new) says it all.
_SAID_BY_FIELD = frozenset({EventKind.STATUS, EventKind.FIELD, EventKind.ASSIGNED, EventKind.GROUP, EventKind.PRIORITY})


def event_parts(e: EventRecord, app=None) -> list:
    """The 'what' of one event as Content parts (text, style)."""
    if e.kind == EventKind.CREATED:
        return [("created", "bold"), f" {e.detail}" if e.detail else ""]
    if e.kind == EventKind.COMMENT:
        if e.field == "internal":
            return [("internal note", "$warning")]
        return [("public reply", "$primary")]
    if e.kind == EventKind.FIRST_RESPONSE:
        return [("first response", "$success"), " (response SLA stopped)"]
    if e.kind == EventKind.SLA_BREACH:
        return [(f"SLA {e.field} target breached", "bold " + colour(app, "sla-breached"))]
    parts: list = []
    label = words(e.kind) if e.kind not in _SAID_BY_FIELD else ""
    if label:
        parts += [(label, "bold"), " "]
    if e.field:
        parts += [(e.field, "bold"), " ", (safe_line(e.old) or "—", _MUTED), " → ", (safe_line(e.new) or "—", "bold")]
    if e.detail:
        detail = safe_line(e.detail)
        parts += ["  ", (f"({words(detail) if e.kind == EventKind.STATUS else detail})", _MUTED)]
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
