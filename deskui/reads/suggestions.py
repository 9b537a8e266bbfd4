"""Knowledge for one ticket: the articles linked to it, the articles its
subject and description suggest, and similar resolved tickets with their
resolution notes (the ticket screen's suggestions list)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from deskui.store.db import session_scope
from deskui.store.directory_queries import ticket_last_event_id
from deskui.store.kb_queries import LinkedArticle, linked_articles
from deskui.store.search import ArticleHit, TicketHit, articles_for_ticket, similar_to_ticket

#: Suggested articles and similar tickets (each).
SUGGESTION_LIMIT = 4


@dataclass(frozen=True)
class Suggestions:
    ticket_id: int
    linked: tuple[LinkedArticle, ...]
    articles: tuple[ArticleHit, ...]  # suggested and not linked yet
    tickets: tuple[TicketHit, ...]
    event_mark: int  # the ticket's newest event id when read


def suggestions(engine: Engine, ticket_id: int, limit: int = SUGGESTION_LIMIT) -> Suggestions:
    """What to suggest for a ticket (nothing for a ticket that does not exist)."""
    with session_scope(engine) as session:
        mark = ticket_last_event_id(session, ticket_id)
        linked = tuple(linked_articles(session, ticket_id))
        found = articles_for_ticket(session, ticket_id, limit=limit + len(linked))
        tickets = tuple(similar_to_ticket(session, ticket_id, limit=limit))
    linked_ids = {link.article_id for link in linked}
    articles = tuple(hit for hit in found if hit.id not in linked_ids)[:limit]
    return Suggestions(ticket_id, linked, articles, tickets, mark)
