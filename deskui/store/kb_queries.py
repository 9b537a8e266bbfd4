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

from deskui.errors import NotFound
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


# ------------------------------------------------------------------ articles

@dataclass(frozen=True)
class ArticleRecord:
    id: int
    external_id: str
    title: str
    body: str
    tags: str
    category: str
    status: str
    views: int
    helpful: int
    not_helpful: int
    created_at: datetime
    updated_at: datetime

    @property
    def tag_list(self) -> list[str]:
        return split_tags(self.tags)


@dataclass(frozen=True)
class LinkedTicket:
    ticket_id: int
    subject: str
    status: str
    linked_at: datetime
    linked_by: str


@dataclass(frozen=True)
class LinkedArticle:
    article_id: int
    external_id: str
    title: str
    status: str
    linked_at: datetime
    linked_by: str


def split_tags(tags: str) -> list[str]:
    return [t.strip() for t in tags.split(",") if t.strip()]


def article_record(article: Article) -> ArticleRecord:
    return ArticleRecord(
        id=article.id, external_id=article.external_id, title=article.title, body=article.body,
        tags=article.tags, category=article.category, status=article.status, views=article.views,
        helpful=article.helpful, not_helpful=article.not_helpful, created_at=article.created_at,
        updated_at=article.updated_at,
    )


def get_article(session: Session, article_id: int) -> ArticleRecord:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"article {article_id} not found")
    return article_record(article)


def get_article_by_external_id(session: Session, external_id: str) -> ArticleRecord:
    article = session.scalars(select(Article).where(Article.external_id == external_id)).first()
    if article is None:
        raise NotFound(f"article {external_id!r} not found")
    return article_record(article)


def linked_tickets(session: Session, article_id: int) -> list[LinkedTicket]:
    """Tickets linked to an article, most recent link first."""
    rows = session.execute(
        select(ArticleLink.ticket_id, Ticket.subject, Ticket.status, ArticleLink.linked_at, ArticleLink.linked_by)
        .join(Ticket, Ticket.id == ArticleLink.ticket_id)
        .where(ArticleLink.article_id == article_id)
        .order_by(ArticleLink.linked_at.desc(), ArticleLink.ticket_id.desc())
    ).all()
    return [LinkedTicket(*row) for row in rows]


def linked_articles(session: Session, ticket_id: int) -> list[LinkedArticle]:
    """Articles linked to a ticket, most recent link first."""
    rows = session.execute(
        select(ArticleLink.article_id, Article.external_id, Article.title, Article.status, ArticleLink.linked_at,
               ArticleLink.linked_by)
        .join(Article, Article.id == ArticleLink.article_id)
        .where(ArticleLink.ticket_id == ticket_id)
        .order_by(ArticleLink.linked_at.desc(), ArticleLink.article_id.desc())
    ).all()
    return [LinkedArticle(*row) for row in rows]
