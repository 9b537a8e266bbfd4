"""Knowledge-base reads for the knowledge screen and the metrics (issue 4 item 5).

- :func:`kb_figures`: articles, views, votes, links, and the share of resolved
  tickets that had a linked article, in a few SQL aggregates.
- :func:`browse_articles`: what the knowledge screen lists before anything is
  typed (most viewed first), as :class:`~deskui.store.search.ArticleHit` so the
  screen draws one kind of row.

Both return frozen dataclasses and run in a worker with their own session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from deskui.store.models import Article, ArticleLink, Ticket
from deskui.store.search import ArticleHit, clean_snippet

#: Characters of a body read for the snippet of an article listed without a query.
BROWSE_SNIPPET_CHARS = 400


@dataclass(frozen=True)
class KbFigures:
    """Knowledge-base figures; ``since``/``until`` bound links and resolutions when given.

    ``views``, ``helpful`` and ``not_helpful`` are running totals (the articles
    keep counters, not a log), so they are never bounded by a period.
    """

    articles: int
    published: int
    drafts: int
    views: int
    helpful: int
    not_helpful: int
    links: int                  # article-ticket links (made in the period)
    linked_tickets: int         # distinct tickets with at least one link
    resolved: int               # tickets with a resolution (resolved in the period)
    resolved_with_article: int  # of those, tickets with a linked article
    since: datetime | None = None
    until: datetime | None = None

    @property
    def resolved_with_article_share(self) -> float | None:
        """Share (0..1) of resolved tickets that had a linked article; None with no resolved ticket."""
        return self.resolved_with_article / self.resolved if self.resolved else None


def _between(column, since: datetime | None, until: datetime | None) -> list:
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def kb_figures(session: Session, *, since: datetime | None = None, until: datetime | None = None) -> KbFigures:
    """Figures over the whole knowledge base; links and resolutions within [since, until) if given.

    A ticket counts as resolved when it has a ``resolved_at`` (resolved or
    closed; a reopen clears it), as in the metrics of deskui.store.metrics.
    """
    articles = session.execute(select(
        func.count(),
        func.coalesce(func.sum(case((Article.status == "published", 1), else_=0)), 0),
        func.coalesce(func.sum(Article.views), 0),
        func.coalesce(func.sum(Article.helpful), 0),
        func.coalesce(func.sum(Article.not_helpful), 0),
    ).select_from(Article)).one()
    links = session.execute(
        select(func.count(), func.count(distinct(ArticleLink.ticket_id)))
        .where(*_between(ArticleLink.linked_at, since, until))
    ).one()
    resolved_filter = [Ticket.resolved_at.is_not(None), *_between(Ticket.resolved_at, since, until)]
    resolved = session.execute(select(func.count()).select_from(Ticket).where(*resolved_filter)).scalar_one()
    # Links are few next to tickets: count from the links side.
    with_article = session.execute(
        select(func.count(distinct(ArticleLink.ticket_id)))
        .join(Ticket, Ticket.id == ArticleLink.ticket_id)
        .where(*resolved_filter)
    ).scalar_one()
    total, published, views, helpful, not_helpful = (int(v or 0) for v in articles)
    return KbFigures(
        articles=total, published=published, drafts=total - published, views=views, helpful=helpful,
        not_helpful=not_helpful, links=int(links[0]), linked_tickets=int(links[1]), resolved=int(resolved),
        resolved_with_article=int(with_article), since=since, until=until,
    )


def browse_articles(session: Session, *, include_drafts: bool = True, limit: int = 100) -> list[ArticleHit]:
    """Articles to list before a query is typed: most viewed first, then by title.

    ``score`` is the view count; ``snippet`` the start of the body (no marks).
    """
    stmt = (
        select(Article.id, Article.external_id, Article.title, Article.tags, Article.category, Article.status,
               Article.views, func.substr(Article.body, 1, BROWSE_SNIPPET_CHARS))
        .order_by(Article.views.desc(), Article.title, Article.id)
        .limit(limit)
    )
    if not include_drafts:
        stmt = stmt.where(Article.status == "published")
    return [
        ArticleHit(id=r[0], external_id=r[1], title=r[2], tags=r[3], category=r[4], status=r[5],
                   score=float(r[6]), snippet=clean_snippet(r[7] or ""))
        for r in session.execute(stmt)
    ]
