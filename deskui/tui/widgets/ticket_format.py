"""Small formatting helpers shared by the ticket widgets.

Every stored time is naive UTC; the ticket screen shows UTC and says so, so two
analysts in different offices read the same times. Untrusted strings are only
ever passed as plain text parts of a ``Content``, never as markup.
"""

from __future__ import annotations

from datetime import datetime

from deskui.domain.priority import PRIORITY_NAMES
from deskui.domain.text import clean_text


def safe(text: str | None) -> str:
    """Untrusted text as it may be drawn: escape sequences and control characters
    removed (newlines and tabs kept). Stored text is cleaned on the way in already;
    this is the second line of defence for anything that was not."""
    return clean_text(text)


def safe_line(text: str | None) -> str:
    return clean_text(text, single_line=True)


def when(at: datetime | None) -> str:
    """``Mon 16 Nov 09:00`` (UTC), or ``-``."""
    return at.strftime("%a %d %b %H:%M") if at else "-"


def when_long(at: datetime | None) -> str:
    return at.strftime("%a %d %b %Y %H:%M UTC") if at else "-"


def ago(at: datetime | None, now: datetime) -> str:
    """Calendar time since ``at``: ``just now``, ``5m ago``, ``3h ago``, ``2d ago``."""
    if at is None:
        return ""
    seconds = (now - at).total_seconds()
    if seconds < 0:
        return "in the future"
    if seconds < 60:
        return "just now"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m ago"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h ago"
    return f"{hours // 24}d ago"


def priority_text(priority: int) -> str:
    return f"P{priority} {PRIORITY_NAMES.get(priority, '')}".strip()


def words(value: str) -> str:
    """``awaiting_vendor`` -> ``awaiting vendor``."""
    return value.replace("_", " ")


# deskui's semantic theme variables (DeskApp defines them, every theme may set
# them) and the base variable used where an app does not define them.
SEMANTIC_FALLBACKS = {
    "sla-ok": "success", "sla-at-risk": "warning", "sla-breached": "error", "sla-paused": "secondary",
    "sla-met": "success", "priority-1": "error", "priority-2": "warning", "priority-3": "accent",
    "priority-4": "foreground-muted",
}


def colour(app, name: str) -> str:
    """``$name`` when the app's theme defines it, else the base variable it falls back to."""
    variables = getattr(app, "theme_variables", None) or {}
    return f"${name}" if name in variables else f"${SEMANTIC_FALLBACKS[name]}"


def priority_style(app, priority: int) -> str:
    bold = "bold " if priority <= 2 else ""
    return bold + colour(app, f"priority-{priority}") if priority in (1, 2, 3, 4) else ""


def sla_style(app, state: str) -> str:
    bold = "bold " if state in ("at_risk", "breached") else ""
    return bold + colour(app, f"sla-{state.replace('_', '-')}")


STATUS_STYLES = {
    "new": "bold $accent",
    "open": "bold $primary",
    "pending": "bold $secondary",
    "resolved": "bold $success",
    "closed": "$foreground-muted",
    "cancelled": "$foreground-muted",
}
SLA_STATE_LABELS = {
    "ok": "ok",
    "at_risk": "at risk",
    "breached": "BREACHED",
    "paused": "paused",
    "met": "met",
}
