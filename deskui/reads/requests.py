"""One service request as `deskui request show` prints it: the ticket and its
catalogue side (answers, approvals, checklist)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from deskui.errors import ValidationError
from deskui.store.db import session_scope
from deskui.store.records import TicketRecord
from deskui.store.request_queries import RequestView, request_view
from deskui.store.tickets import ticket_record


@dataclass(frozen=True)
class RequestDetail:
    ticket: TicketRecord
    request: RequestView


def request_detail(engine: Engine, ticket_id: int) -> RequestDetail:
    """``NotFound`` for no such ticket, ``ValidationError`` for a ticket that is not a request."""
    with session_scope(engine) as session:
        ticket = ticket_record(session, ticket_id)
        view = request_view(session, ticket_id)
    if view is None:
        raise ValidationError(f"ticket #{ticket_id} is not a catalogue request")
    return RequestDetail(ticket, view)
