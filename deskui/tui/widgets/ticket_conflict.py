"""The inline banner shown when someone else changed the ticket first (DESIGN.md §3).

It says who changed what (the service's message plus the field-by-field
difference between what the screen had and the fresh ticket) and which unsent
draft is kept and how to get back to it.
"""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from deskui.store.records import TicketRecord
from deskui.tui.widgets.ticket_format import safe_line, words

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

    def show_conflict(self, error_message: str, changes: list[str], draft_hint: str) -> None:
        parts: list = [("CONFLICT ", "bold $error"), safe_line(error_message).rstrip(".") + "."]
        if changes:
            parts += ["\n", ("Changed: ", "bold"), "; ".join(changes) + "."]
        parts += ["\n", "Reloaded with their changes. "]
        if draft_hint:
            parts += [(draft_hint, "bold")]
        parts += [("  (esc hides this)", "$text-muted")]
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
