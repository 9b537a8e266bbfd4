"""One ticket as the ticket screen and `deskui ticket show` see it: the record,
its conversation and history, the SLA status with its step-by-step
explanation, and the priority matrix in force. Assembled once, here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from deskui.domain.priority import PriorityMatrix
from deskui.domain.sla import SlaStatus
from deskui.store import outbox_view
from deskui.store.records import CommentRecord, EventRecord, OutboxRecord, TicketRecord
from deskui.store.sla_clock import explain_ticket
from deskui.store.tickets import (
    comments, events, priority_matrix, requester_comment_ids, ticket_last_event_id, ticket_record,
)


@dataclass(frozen=True)
class TicketView:
    """Everything about one ticket that a person reads, in one call."""

    ticket: TicketRecord
    comments: tuple[CommentRecord, ...]
    events: tuple[EventRecord, ...]
    sla: SlaStatus | None
    sla_lines: tuple[str, ...]  # the explanation, the summary first
    matrix: PriorityMatrix
    from_requester: frozenset[int] = frozenset()  # comments not written by an analyst
    mail: tuple[OutboxRecord, ...] = ()  # mail to the requester about this ticket, oldest first
    requester_bounce: str = ""  # "" or why mail to the requester's address stopped

    @property
    def last_event_id(self) -> int:
        return self.events[-1].id if self.events else 0


def ticket_view(engine: Engine, ticket_id: int) -> TicketView:
    """The ticket, or ``NotFound`` ("ticket #N not found"). Core only: `ticket show`
    imports no ORM model (issue 15 item 8)."""
    with engine.connect() as session:
        ticket = ticket_record(session, ticket_id)
        thread = tuple(comments(session, ticket_id))
        history = tuple(events(session, ticket_id))
        matrix = priority_matrix(session)
        external = requester_comment_ids(session, ticket_id)
        mail = tuple(reversed(outbox_view.ticket_mail(session, ticket_id)))
        bounce = outbox_view.requester_bounce(session, ticket.requester_id)
    status, lines = explain_ticket(engine, ticket_id)
    return TicketView(ticket, thread, history, status, tuple(lines), matrix, external, mail, bounce)


def last_event_id(engine: Engine, ticket_id: int) -> int:
    """The ticket's newest event: a cheap "has it changed since?" question."""
    with engine.connect() as conn:
        return ticket_last_event_id(conn, ticket_id)


def ticket_exists(engine: Engine, ticket_id: int) -> bool:
    """Whether ticket ``ticket_id`` exists (the `:N` jump asks before it opens)."""
    from sqlalchemy import select

    from deskui.domain.ids import id_in_range
    from deskui.store.tables import tickets

    if not id_in_range(ticket_id):
        return False
    with engine.connect() as conn:
        return conn.execute(select(tickets.c.id).where(tickets.c.id == ticket_id)).first() is not None
