"""The inline banner shown when someone else changed the ticket first (DESIGN.md §3).

It says who changed what (the service's message plus the field-by-field
difference between what the screen had and the fresh ticket) and which unsent
draft is kept and how to get back to it.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from deskui.store.records import EventRecord, TicketRecord
from deskui.tui.widgets.ticket_format import safe_line, when, words
from deskui.tui.widgets.ticket_history import event_parts

# How many of the other analysts' events the banner lists (the history has them all).
MAX_EVENTS = 6

# Fields an analyst recognises; ids, SLA cache and counters are implied by these.
FIELD_LABELS = {
    "subject": "subject", "description": "description", "type": "type", "status": "status",
    "pending_reason": "pending reason", "priority": "priority", "impact": "impact", "urgency": "urgency",
    "channel": "channel", "tier": "tier", "ci": "CI", "requester_email": "requester", "category": "category",
    "group": "group", "assignee": "assignee", "resolution_code": "resolution code",
    "resolution_notes": "resolution notes",
}


def _value(name: str, value: object) -> str:
    if value is None or value == "":
        return "—"
    if name == "priority":
        return f"P{value}"
    if isinstance(value, datetime):
        return value.strftime("%d %b %H:%M")
    text = words(str(value)) if name in ("status", "pending_reason", "resolution_code") else str(value)
    text = safe_line(text)
    return text if len(text) <= 40 else text[:39] + "…"


def describe_changes(mine: TicketRecord, fresh: TicketRecord) -> list[str]:
    """``status open → resolved``-style lines for what differs between two loads."""
    return [
        f"{FIELD_LABELS[name]} {_value(name, old)} → {_value(name, new)}"
        for name, old, new in mine.changed_fields(fresh)
        if name in FIELD_LABELS
    ]


class ConflictBanner(Static):
    DEFAULT_CSS = """
    ConflictBanner {
        display: none;
        height: auto;
        padding: 0 1;
        background: $error 20%;
        border-left: outer $error;
    }
    ConflictBanner.-shown { display: block; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.message = ""

    def show_conflict(self, error_message: str, changes: list[str], draft_hint: str,
                      their_events: list[EventRecord] | tuple[EventRecord, ...] = ()) -> None:
        """``changes``: field by field, what differs from what you had; ``their_events``:
        what happened meanwhile, who did it and when (the newest few)."""
        parts: list = [("CONFLICT ", "bold $error"), safe_line(error_message).rstrip(".") + "."]
        if changes:
            parts += ["\n", ("Changed: ", "bold"), "; ".join(changes) + "."]
        shown = list(their_events)[-MAX_EVENTS:]
        if shown:
            parts += ["\n", ("Meanwhile:", "bold")]
            if len(their_events) > len(shown):
                parts += [(f" ({len(their_events) - len(shown)} earlier in the history)", "$foreground-muted")]
            for e in shown:
                parts += ["\n  ", (when(e.at), "$foreground-muted"), "  ", (safe_line(e.actor), "bold"), "  ",
                          *event_parts(e, self.app)]
        parts += ["\n", "Reloaded with their changes. "]
        if draft_hint:
            parts += [(draft_hint, "bold")]
        parts += [("  (esc hides this)", "$foreground-muted")]
        content = Content.assemble(*parts)
        self.message = content.plain
        self.update(content)
        self.add_class("-shown")

    def hide(self) -> None:
        self.message = ""
        self.remove_class("-shown")

    @property
    def shown(self) -> bool:
        return self.has_class("-shown")
