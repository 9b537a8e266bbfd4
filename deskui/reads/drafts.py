"""An analyst's unsent drafts on a ticket, as the ticket screen reopens them
(writes: deskui.services.drafts)."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from deskui.store.db import session_scope
from deskui.store.draft_queries import draft_bodies


def ticket_drafts(engine: Engine, analyst_id: int | None, ticket_id: int) -> dict[str, dict]:
    """kind -> the draft's fields. A body that is not a JSON object is left out."""
    if analyst_id is None:
        return {}
    with session_scope(engine) as session:
        bodies = draft_bodies(session, analyst_id, ticket_id)
    drafts: dict[str, dict] = {}
    for kind, body in bodies.items():
        try:
            value = json.loads(body)
        except ValueError:
            continue
        if isinstance(value, dict):
            drafts[kind] = value
    return drafts
