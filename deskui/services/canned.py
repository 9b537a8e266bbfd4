"""Canned responses: fill the known placeholders of a stored reply template.

Placeholders are ``{requester.name}``, ``{requester.email}``, ``{ticket.number}``,
``{ticket.subject}``, ``{analyst.name}``, ``{analyst.email}`` and ``{group.name}``.
Substitution is one regex pass over a fixed table of strings -- never
``str.format`` -- so a template cannot reach attributes of Python objects, a
value that itself looks like a placeholder is not expanded again, and an
unknown placeholder (or a stray brace) is left exactly as typed.
"""

from __future__ import annotations

import re

from deskui.services.actors import Actor
from deskui.store.records import TicketRecord

PLACEHOLDERS = (
    "requester.name", "requester.email", "ticket.number", "ticket.subject",
    "analyst.name", "analyst.email", "group.name",
)

_PLACEHOLDER = re.compile(r"\{([a-z]+\.[a-z]+)\}")


def placeholder_values(ticket: TicketRecord, analyst: Actor, group_name: str | None = None,
                       *, analyst_email: str = "") -> dict[str, str]:
    return {
        "requester.name": ticket.requester_name or ticket.requester_email,
        "requester.email": ticket.requester_email,
        "ticket.number": ticket.number,
        "ticket.subject": ticket.subject,
        "analyst.name": analyst.name or analyst.username,
        "analyst.email": analyst_email,
        "group.name": ticket.group if group_name is None else group_name,
    }


def render_canned(body: str, ticket: TicketRecord, analyst: Actor, group_name: str | None = None,
                  *, analyst_email: str = "") -> str:
    """The template with every known placeholder replaced; everything else as typed."""
    values = placeholder_values(ticket, analyst, group_name, analyst_email=analyst_email)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)
