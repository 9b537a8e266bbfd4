"""Knowledge for one ticket: the articles linked to it, the articles its
subject and description suggest, and similar resolved tickets with their
resolution notes (the ticket screen's suggestions list)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from deskui.store.db import session_scope
from deskui.store.directory_queries import ticket_last_event_id
from deskui.store.kb_queries import LinkedArticle, linked_articles
from deskui.domain.ranking import ARTICLE_FLOOR, ARTICLE_SCORE_SHARE, SUGGESTION_FLOOR
from deskui.store.search import ArticleHit, TicketHit, articles_for_ticket, similar_to_ticket, ticket_search_text
from deskui.store.search_evidence import best_match_share

#: Suggested articles and similar tickets (each).
SUGGESTION_LIMIT = 4


@dataclass(frozen=True)
class Suggestions:
    ticket_id: int
    linked: tuple[LinkedArticle, ...]
    articles: tuple[ArticleHit, ...]  # suggested and not linked yet
    tickets: tuple[TicketHit, ...]
    event_mark: int  # the ticket's newest event id when read
    #: Articles were found but none shares enough with the ticket: no good suggestion.
    weak_articles: bool = False
    #: Similar tickets were found but none shares enough with the ticket.
    weak_tickets: bool = False


def suggestions(engine: Engine, ticket_id: int, limit: int = SUGGESTION_LIMIT) -> Suggestions:
    """What to suggest for a ticket (nothing for a ticket that does not exist)."""
    with session_scope(engine) as session:
        mark = ticket_last_event_id(session, ticket_id)
        linked = tuple(linked_articles(session, ticket_id))
        text = ticket_search_text(session, ticket_id) or ""
        found = confident(session, "articles", text, articles_for_ticket(session, ticket_id, limit=limit + len(linked)))
        tickets = confident(session, "tickets", text, similar_to_ticket(session, ticket_id, limit=limit),
                            exclude_id=ticket_id)
    linked_ids = {link.article_id for link in linked}
    articles = tuple(hit for hit in found.hits if hit.id not in linked_ids)[:limit]
    return Suggestions(ticket_id, linked, articles, tuple(tickets.hits), mark, weak_articles=found.weak,
                       weak_tickets=tickets.weak)


@dataclass(frozen=True)
class Confident:
    hits: tuple
    weak: bool  # hits were found, none good enough


def confident(session, table: str, text: str, hits: list, *, exclude_id: int | None = None) -> Confident:
    """The hits worth suggesting for ``text`` (issue 15 item 13): none when even the best
    shares too little of the text's IDF weight (deskui.domain.ranking: ARTICLE_FLOOR for
    articles, SUGGESTION_FLOOR for tickets);
    otherwise those scoring at least ARTICLE_SCORE_SHARE of the best one's BM25."""
    if not hits:
        return Confident((), False)
    ids = [hit.id for hit in hits]
    floor = ARTICLE_FLOOR if table == "articles" else SUGGESTION_FLOOR
    if best_match_share(session, table, text, ids, exclude_id=exclude_id) < floor:
        return Confident((), True)
    top = hits[0].score
    return Confident(tuple(hit for hit in hits if top <= 0 or hit.score >= ARTICLE_SCORE_SHARE * top), False)
