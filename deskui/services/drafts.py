"""Unsent drafts (issue 15.1): what an analyst typed in a ticket dialog and kept
with esc (a reply, a resolution, a reopen reason, an escalation, a priority
change) is stored per analyst, ticket and kind, so it survives leaving the
ticket, switching screens and restarting the app, until it is sent or discarded.

A draft is the dialog's fields as a JSON object. It is the analyst's own work,
not the ticket's record: saving or discarding one writes no ticket event.
Reads: deskui.reads.drafts.
"""

from __future__ import annotations

import json
from typing import Mapping

from sqlalchemy import delete
from sqlalchemy.engine import Engine

from deskui import clock
from deskui.domain.permissions import Action
from deskui.errors import NotFound, ValidationError
from deskui.services.actors import Actor, require
from deskui.store.db import write_session
from deskui.store.models import Draft, Ticket

#: The kinds of draft, as the ticket screen names them.
DRAFT_KINDS = ("compose", "resolve", "reopen", "escalate", "priority")
#: Characters of JSON one draft may hold.
DRAFT_MAX = 200_000


def _check(actor: Actor, kind: str) -> int:
    if kind not in DRAFT_KINDS:
        raise ValidationError(f"draft kind {kind!r} is not one of {', '.join(DRAFT_KINDS)}")
    if actor.id is None:
        raise ValidationError(f"drafts belong to an analyst; {actor.username!r} is not one")
    return actor.id


def save_draft(engine: Engine, actor: Actor, ticket_id: int, kind: str, fields: Mapping[str, object]) -> None:
    """Keep ``fields`` as the analyst's ``kind`` draft on the ticket (replacing the previous one)."""
    analyst_id = _check(actor, kind)
    require(actor, Action.DRAFTS)
    try:
        body = json.dumps(dict(fields), ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"draft {kind}: {exc}") from None
    if len(body) > DRAFT_MAX:
        raise ValidationError(f"draft too long: {len(body)} characters; at most {DRAFT_MAX}")
    with write_session(engine) as session:
        if session.get(Ticket, ticket_id) is None:
            raise NotFound(f"ticket #{ticket_id} not found")
        row = session.get(Draft, (analyst_id, ticket_id, kind))
        if row is None:
            session.add(Draft(analyst_id=analyst_id, ticket_id=ticket_id, kind=kind, body=body,
                              updated_at=clock.now()))
        else:
            row.body, row.updated_at = body, clock.now()


def discard_draft(engine: Engine, actor: Actor, ticket_id: int, kind: str) -> bool:
    """Forget the analyst's ``kind`` draft on the ticket (sent or discarded); True when there was one."""
    analyst_id = _check(actor, kind)
    with write_session(engine) as session:
        result = session.execute(delete(Draft).where(Draft.analyst_id == analyst_id, Draft.ticket_id == ticket_id,
                                                     Draft.kind == kind))
        return result.rowcount > 0
