"""Knowledge reads: ranked results, the most viewed articles, one article with
its linked tickets, and the figures. The knowledge screen and `deskui kb
search` both read through here.

Article text is untrusted: it comes back as plain strings (snippets mark their
matches with :data:`MARK_START` / :data:`MARK_END`), for the caller to draw as
data, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from deskui.store.db import session_scope
from deskui.store.search import MARK_END, MARK_START, ArticleHit, TicketHit, parse_query, strip_marks
from deskui.store.search import search_articles as _search_articles

__all__ = [
    "ArticleDetail", "ArticleHit", "ArticleRecord", "KbFigures", "LinkedArticle", "LinkedTicket", "MARK_END",
    "MARK_START", "TicketHit", "article", "article_detail", "figures", "find_articles", "query_is_empty", "search_articles",
    "strip_marks",
]

_KB_QUERIES = ("ArticleRecord", "KbFigures", "LinkedArticle", "LinkedTicket")


def __getattr__(name: str):
    """The records of deskui.store.kb_queries, imported on first use: it imports the
    ORM models, which `kb search` does not need (issue 15 item 8)."""
    if name in _KB_QUERIES:
        from deskui.store import kb_queries

        return getattr(kb_queries, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Most hits the knowledge screen lists for a query.
RESULT_LIMIT = 50
#: Most articles it lists before anything is typed.
BROWSE_LIMIT = 100


@dataclass(frozen=True)
class ArticleDetail:
    """What the article pane shows: the article and the tickets linked to it."""

    article: ArticleRecord
    linked: tuple[LinkedTicket, ...]


def search_articles(engine: Engine, query: str, *, limit: int = 10, include_drafts: bool = False) -> list[ArticleHit]:
    """Ranked hits for a natural-language query, best first (none for an empty one)."""
    with engine.connect() as conn:
        return _search_articles(conn, query, limit=limit, include_drafts=include_drafts)


def find_articles(engine: Engine, query: str, *, include_drafts: bool, limit: int = RESULT_LIMIT) -> list[ArticleHit]:
    """The knowledge screen's list: ranked hits for a query, the most viewed articles for none."""
    from deskui.store.kb_queries import browse_articles

    with session_scope(engine) as session:
        if not query.strip():
            return browse_articles(session, include_drafts=include_drafts, limit=BROWSE_LIMIT)
        return _search_articles(session, query, limit=limit, include_drafts=include_drafts)


def query_is_empty(text: str) -> bool:
    """True when ``text`` holds nothing to search for (no letter or digit)."""
    return parse_query(text).empty


def article(engine: Engine, article_id: int) -> ArticleRecord:
    """One article; ``NotFound`` for no such article."""
    from deskui.store.kb_queries import get_article

    with session_scope(engine) as session:
        return get_article(session, article_id)


def article_detail(engine: Engine, article_id: int, *, article: ArticleRecord | None = None) -> ArticleDetail:
    """An article and its linked tickets, most recent link first.

    ``article``: the record as a write just returned it (a counted view), so only
    the links are read.
    """
    from deskui.store.kb_queries import get_article, linked_tickets

    with session_scope(engine) as session:
        if article is None:
            article = get_article(session, article_id)
        return ArticleDetail(article, tuple(linked_tickets(session, article_id)))


def figures(engine: Engine) -> KbFigures:
    """Articles, views, votes, links and the share of resolved tickets with a linked article."""
    from deskui.store.kb_queries import kb_figures

    with session_scope(engine) as session:
        return kb_figures(session)
