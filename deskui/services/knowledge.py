"""Knowledge-base use cases: the only write path for articles.

Articles come from files (deskui.services.kb_files: Markdown with front
matter, JSON Lines) or from $EDITOR. Imports stream, validate every record
(errors name ``file:line: field: message``), and write in batches, each batch
one transaction: a bad record leaves its whole batch unwritten. They are
idempotent by ``id`` (the article's external id): unchanged articles are left
alone, changed ones are updated. :func:`export_dir` writes files that import
back to the same articles.

Reads (an article, its links, the figures) are in deskui.store.kb_queries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.permissions import Action
from deskui.errors import NotFound, ValidationError
from deskui.services.kb_files import (
    MAX_TITLE, STATUSES, ArticleInput, article_markdown, clean, clean_body, fail, parse_markdown, read_path,
)
from deskui.store.db import session_scope, write_session
from deskui.store.kb_queries import ArticleRecord, article_record
from deskui.services.actors import SYSTEM, Actor, require
from deskui.services.ticket_history import noting
from deskui.store.models import Analyst, Article, ArticleLink, Category, Ticket
from deskui.store.search_index import ReindexSummary, reindex as rebuild_indexes

BATCH_SIZE = 500


@dataclass(frozen=True)
class ImportSummary:
    read: int
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class ExportSummary:
    written: int
    directory: Path


# ------------------------------------------------------------------ import

def _batches(items: Iterable[ArticleInput], size: int) -> Iterator[list[ArticleInput]]:
    seen: dict[str, str] = {}
    batch: list[ArticleInput] = []
    for item in items:
        first = seen.get(item.external_id)
        if first is not None:
            raise fail(item.where, "id", f"{item.external_id!r} appears twice (first at {first})")
        seen[item.external_id] = item.where
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _upsert(session: Session, batch: list[ArticleInput], now: datetime) -> tuple[int, int, int]:
    existing = {
        a.external_id: a
        for a in session.scalars(select(Article).where(Article.external_id.in_([i.external_id for i in batch])))
    }
    created = updated = unchanged = 0
    for item in batch:
        article = existing.get(item.external_id)
        if article is None:
            session.add(Article(external_id=item.external_id, title=item.title, body=item.body, tags=item.tags,
                                category=item.category, status=item.status, created_at=now, updated_at=now))
            created += 1
        elif item.differs_from(article):
            article.title, article.body, article.tags = item.title, item.body, item.tags
            article.category, article.status, article.updated_at = item.category, item.status, now
            updated += 1
        else:
            unchanged += 1
    return created, updated, unchanged


def import_articles(engine: Engine, items: Iterable[ArticleInput], *, batch_size: int = BATCH_SIZE,
                    on_progress: Callable[[int], None] | None = None, actor: Actor = SYSTEM) -> ImportSummary:
    """Write validated articles in batches (one transaction each), idempotent by external id.

    A batch is validated completely before it is written, so an error leaves
    that batch (and everything after it) unwritten; earlier batches stay.
    """
    require(actor, Action.IMPORT)
    read = created = updated = unchanged = 0
    for batch in _batches(items, batch_size):
        now = clock.now()
        with write_session(engine) as session:
            c, u, n = _upsert(session, batch, now)
        read += len(batch)
        created, updated, unchanged = created + c, updated + u, unchanged + n
        if on_progress is not None:
            on_progress(read)
    return ImportSummary(read=read, created=created, updated=updated, unchanged=unchanged)


def import_path(engine: Engine, path: str | Path, *, batch_size: int = BATCH_SIZE,
                on_progress: Callable[[int], None] | None = None, actor: Actor = SYSTEM) -> ImportSummary:
    """Import a folder of .md files, a .md file or a .jsonl file (see the module doc)."""
    require(actor, Action.IMPORT)
    return import_articles(engine, read_path(Path(path)), batch_size=batch_size, on_progress=on_progress, actor=actor)


def save_markdown(engine: Engine, text: str, *, source: str = "<editor>",
                  expected_id: int | None = None, actor: Actor = SYSTEM) -> ArticleRecord:
    """Create or update one article from Markdown (e.g. after editing it in $EDITOR).

    With ``expected_id`` the text must keep that article's external id.
    """
    require(actor, Action.KNOWLEDGE)
    item = parse_markdown(text, source)
    with write_session(engine) as session:
        if expected_id is not None:
            current = session.get(Article, expected_id)
            if current is None:
                raise NotFound(f"article {expected_id} not found")
            if current.external_id != item.external_id:
                raise fail(f"{source}:1", "id", f"must stay {current.external_id!r} when editing an article")
        _upsert(session, [item], clock.now())
        session.flush()
        article = session.scalars(select(Article).where(Article.external_id == item.external_id)).one()
        return article_record(article)


_UNSAFE_FILE_CHARS = re.compile(r"[^A-Za-z0-9._-]")


def export_dir(engine: Engine, directory: str | Path, *, include_drafts: bool = True) -> ExportSummary:
    """Write one ``<id>.md`` per article into ``directory`` (created if missing)."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"{directory}: cannot create folder: {exc.strerror}") from None
    written = 0
    used: set[str] = set()
    with session_scope(engine) as session:
        stmt = select(Article).order_by(Article.external_id)
        if not include_drafts:
            stmt = stmt.where(Article.status == "published")
        for article in session.scalars(stmt.execution_options(yield_per=500)):
            name = _UNSAFE_FILE_CHARS.sub("_", article.external_id)
            candidate, n = name, 1
            while candidate.lower() in used:  # ids that differ only in unsafe characters or case
                n += 1
                candidate = f"{name}-{n}"
            used.add(candidate.lower())
            path = directory / f"{candidate}.md"
            try:
                path.write_text(article_markdown(article_record(article)), encoding="utf-8")
            except OSError as exc:
                raise ValidationError(f"{path}: cannot write: {exc.strerror}") from None
            written += 1
    return ExportSummary(written=written, directory=directory)


# ------------------------------------------------------------- feedback

def _bump(engine: Engine, article_id: int, **columns) -> ArticleRecord:
    with write_session(engine) as session:
        values = {name: getattr(Article, name) + 1 for name in columns}
        result = session.execute(update(Article).where(Article.id == article_id).values(**values))
        if result.rowcount == 0:
            raise NotFound(f"article {article_id} not found")
        article = session.get(Article, article_id, populate_existing=True)
        return article_record(article)


def record_view(engine: Engine, article_id: int) -> ArticleRecord:
    """Count one view (does not touch updated_at or the search index)."""
    return _bump(engine, article_id, views=True)


def vote(engine: Engine, article_id: int, helpful: bool, *, actor: Actor = SYSTEM) -> ArticleRecord:
    require(actor, Action.SURVEY)
    return _bump(engine, article_id, **({"helpful": True} if helpful else {"not_helpful": True}))


# ------------------------------------------------------------- links

def _actor(session: Session, actor, action: Action = Action.LINK) -> tuple[int | None, str]:
    """(analyst id or None, username) for an Actor (who must may ``action``) or a username."""
    if isinstance(actor, Actor):
        require(actor, action)
    if hasattr(actor, "username"):
        return getattr(actor, "id", None), actor.username
    username = str(actor)
    analyst_id = session.scalars(select(Analyst.id).where(Analyst.username == username)).first()
    return analyst_id, username


def _link(session: Session, article: Article, ticket_id: int, actor, now: datetime) -> bool:
    if session.get(ArticleLink, (article.id, ticket_id)) is not None:
        return False
    actor_id, username = _actor(session, actor)
    session.add(ArticleLink(article_id=article.id, ticket_id=ticket_id, linked_at=now, linked_by=username[:64]))
    with noting(session, ticket_id, Actor(actor_id, username[:80], username)) as plan:
        plan.link(now, "article", article.external_id, article.title)
    return True


def _require(session: Session, article_id: int, ticket_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"article {article_id} not found")
    if session.get(Ticket, ticket_id) is None:
        raise NotFound(f"ticket #{ticket_id} not found")
    return article


def link_article(engine: Engine, article_id: int, ticket_id: int, actor_username) -> bool:
    """Link an article to a ticket (and record a "linked" event). False if already linked.

    ``actor_username``: a username or an :class:`deskui.services.actors.Actor`.
    """
    with write_session(engine) as session:
        _actor(session, actor_username)
        article = _require(session, article_id, ticket_id)
        return _link(session, article, ticket_id, actor_username, clock.now())


def unlink_article(engine: Engine, article_id: int, ticket_id: int, actor_username) -> bool:
    """Remove a link; the event is kind "linked" with the article in ``old`` and empty ``new``."""
    with write_session(engine) as session:
        _actor(session, actor_username)
        article = _require(session, article_id, ticket_id)
        link = session.get(ArticleLink, (article_id, ticket_id))
        if link is None:
            return False
        actor_id, username = _actor(session, actor_username)
        session.delete(link)
        with noting(session, ticket_id, Actor(actor_id, username[:80], username)) as plan:
            plan.unlink(clock.now(), "article", article.external_id, f"unlinked: {article.title}")
        return True


def draft_external_id(ticket_id: int) -> str:
    return f"DRAFT-T{ticket_id}"


def draft_from_ticket(engine: Engine, ticket_id: int, actor) -> ArticleRecord:
    """Turn a resolved ticket's subject and resolution notes into a draft article.

    The draft is linked to the ticket. Asking again returns the same draft.
    """
    with write_session(engine) as session:
        _actor(session, actor, Action.DRAFTS)
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} not found")
        existing = session.scalars(select(Article).where(Article.external_id == draft_external_id(ticket_id))).first()
        if existing is not None:
            return article_record(existing)
        if ticket.status not in ("resolved", "closed"):
            raise ValidationError(f"ticket #{ticket_id}: status: is {ticket.status!r}; only a resolved or "
                                  "closed ticket can become an article")
        notes = clean_body(ticket.resolution_notes or "")
        if not notes:
            raise ValidationError(f"ticket #{ticket_id}: resolution_notes: empty; write the resolution first")
        category = session.get(Category, ticket.category_id) if ticket.category_id else None
        now = clock.now()
        article = Article(
            external_id=draft_external_id(ticket_id),
            title=clean(ticket.subject, single_line=True)[:MAX_TITLE] or f"Ticket #{ticket_id}",
            body=f"## Resolution\n\n{notes}\n\n_Drafted from ticket #{ticket_id}._",
            tags="", category=category.path if category else "", status="draft",
            created_at=now, updated_at=now,
        )
        session.add(article)
        session.flush()
        _link(session, article, ticket_id, actor, now)
        return article_record(article)


def set_status(engine: Engine, article_id: int, status: str, *, actor: Actor = SYSTEM) -> ArticleRecord:
    """Publish a draft or withdraw an article back to draft."""
    require(actor, Action.KNOWLEDGE)
    status = status.strip().lower()
    if status not in STATUSES:
        raise ValidationError(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    with write_session(engine) as session:
        article = session.get(Article, article_id)
        if article is None:
            raise NotFound(f"article {article_id} not found")
        if article.status != status:
            article.status, article.updated_at = status, clock.now()
        session.flush()
        return article_record(article)


def update_article(engine: Engine, article_id: int, markdown_text: str, *, actor: Actor = SYSTEM) -> ArticleRecord:
    """Save an edited article (Markdown with front matter, e.g. from $EDITOR), one transaction.

    The text is validated like an imported file; errors name ``article <id>:<line>``
    and the field. The front matter may leave ``id`` out, but may not change it.
    Unchanged text writes nothing. The search index follows through its triggers
    (SQLite) or the generated column (PostgreSQL).
    """
    require(actor, Action.KNOWLEDGE)
    with write_session(engine) as session:
        article = session.get(Article, article_id)
        if article is None:
            raise NotFound(f"article {article_id} not found")
        source = f"article {article.external_id}"
        item = parse_markdown(markdown_text, source, default_id=article.external_id)
        if item.external_id != article.external_id:
            lines = markdown_text.lstrip("\ufeff").splitlines()
            line = next((n for n, text in enumerate(lines, start=1) if text.strip().lower().startswith("id:")), 1)
            raise fail(f"{source}:{line}", "id", f"must stay {article.external_id!r} when editing an article")
        if item.differs_from(article):
            article.title, article.body, article.tags = item.title, item.body, item.tags
            article.category, article.status, article.updated_at = item.category, item.status, clock.now()
        session.flush()
        return article_record(article)


def reindex(engine: Engine, *, actor: Actor = SYSTEM) -> ReindexSummary:
    """Rebuild the article and ticket search indexes, in one transaction."""
    require(actor, Action.SCHEMA)
    with write_session(engine) as session:
        return rebuild_indexes(session)
