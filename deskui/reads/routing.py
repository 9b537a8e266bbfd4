"""Routing suggestions: category and group for a ticket (or free text) from its
nearest resolved tickets, with those tickets as evidence
(deskui.store.routing_queries votes)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from deskui.store.db import session_scope
from deskui.store.routing_queries import K, Evidence, RoutingSuggestion, Suggestion, suggest_in, ticket_text
from deskui.store.tickets import ticket_record

__all__ = ["Evidence", "K", "RoutingSuggestion", "Suggestion", "suggest", "suggest_for_ticket"]


def suggest(engine: Engine, text: str, *, k: int = K) -> RoutingSuggestion:
    """Suggestions for free text (a new ticket's subject and description)."""
    with session_scope(engine) as session:
        return suggest_in(session, text, k=k)


def suggest_for_ticket(engine: Engine, ticket_id: int, *, k: int = K) -> RoutingSuggestion:
    """Suggestions for a stored ticket (itself left out); ``NotFound`` for no such ticket."""
    with session_scope(engine) as session:
        ticket = ticket_record(session, ticket_id)
        return suggest_in(session, ticket_text(ticket.subject, ticket.description), k=k, exclude_id=ticket_id)
