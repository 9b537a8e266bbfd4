"""The ticket screen's operations panel: the ticket's problem, the known errors
it matches (with their workarounds), the request's approvals and checklist,
the bulletins linked to it, and routing suggestions while it has no category
or group."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from deskui.store.bulletin_queries import BulletinRecord, bulletins_for_ticket
from deskui.store.db import session_scope
from deskui.store.directory_queries import ticket_last_event_id
from deskui.store.problem_matching import KnownErrorMatch, known_errors_for
from deskui.store.problem_queries import ProblemRecord, problem_record
from deskui.store.request_queries import RequestView, request_view
from deskui.store.routing_queries import RoutingSuggestion, suggest_in, ticket_text
from deskui.store.tickets import ticket_record

#: Statuses in which a ticket still wants routing.
ROUTABLE = ("new", "open", "pending")


@dataclass(frozen=True)
class OpsView:
    ticket_id: int
    ticket_type: str
    status: str
    problem: ProblemRecord | None
    known_errors: tuple[KnownErrorMatch, ...]
    request: RequestView | None
    bulletins: tuple[BulletinRecord, ...]  # linked to the ticket
    routing: RoutingSuggestion | None  # for a ticket missing its category or group
    event_mark: int  # the ticket's newest event id when read

    @property
    def empty(self) -> bool:
        return not (self.problem or self.known_errors or self.request or self.bulletins
                    or (self.routing is not None and not self.routing.empty))


def ops_view(engine: Engine, ticket_id: int) -> OpsView:
    """What the panel shows for one ticket; ``NotFound`` for no such ticket."""
    with session_scope(engine) as session:
        ticket = ticket_record(session, ticket_id)
        mark = ticket_last_event_id(session, ticket_id)
        problem = problem_record(session, ticket.problem_id) if ticket.problem_id else None
        request = request_view(session, ticket_id) if ticket.type == "request" else None
        known = tuple(known_errors_for(session, ticket))
        linked = tuple(bulletins_for_ticket(session, ticket_id))
        route = None
        if (not ticket.category_id or not ticket.group_id) and ticket.status in ROUTABLE:
            route = suggest_in(session, ticket_text(ticket.subject, ticket.description), exclude_id=ticket_id)
    return OpsView(ticket_id, ticket.type, ticket.status, problem, known, request, linked, route, mark)
