"""Knowledge-base use cases: the only write path for articles.

Articles travel as Markdown with a small front matter block::

    ---
    id: KB0001
    title: Connect to the VPN
    tags: [vpn, remote access]
    category: Network/VPN
    status: published
    ---
    Markdown body...

or as JSON Lines (one object per line with the fields id, title, body, tags
(a list or a comma-separated string), category, status). Imports stream,
validate every record (errors name ``file:line: field: message``), and write
in batches, each batch one transaction: a bad record leaves its whole batch
unwritten. They are idempotent by ``id`` (the article's external id):
unchanged articles are left alone, changed ones are updated. :func:`export_dir`
writes files that import back to the same articles.

The front matter parser is deliberately small: ``key: value`` lines, values
plain, "double-quoted" (JSON escapes) or 'single-quoted', lists as
``[a, b]`` or as ``- item`` lines under the key. No inline comments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterable, Iterator

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import EventKind
from deskui.errors import NotFound, ValidationError
from deskui.store.db import session_scope, write_session
from deskui.store.models import Analyst, Article, ArticleLink, Category, Ticket, TicketEvent

FIELDS = ("id", "title", "tags", "category", "status", "body")
STATUSES = ("draft", "published")
ID_PATTERN = re.compile(r"[^\W_][\w.:/-]*")
MAX_ID = 120
MAX_TITLE = 300
MAX_TAGS = 500
MAX_CATEGORY = 170
MAX_BODY = 200_000
BATCH_SIZE = 500


def _clean(value: str, *, single_line: bool = False) -> str:
    # deskui.domain.text is the one sanitiser (escapes and controls out);
    # imported lazily so a missing module never breaks importing this one.
    try:
        from deskui.domain.text import clean_text
    except ImportError:  # pragma: no cover - the module ships with deskui
        return " ".join(value.split()) if single_line else value
    return clean_text(value, single_line=single_line)


# ---------------------------------------------------------------- records

@dataclass(frozen=True)
class ArticleInput:
    """One validated, cleaned article as read from a file. ``where`` is ``file:line``."""

    external_id: str
    title: str
    body: str
    tags: str
    category: str
    status: str
    where: str = ""

    def differs_from(self, article: Article) -> bool:
        return (self.title, self.body, self.tags, self.category, self.status) != (
            article.title, article.body, article.tags, article.category, article.status)


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


def _record(article: Article) -> ArticleRecord:
    return ArticleRecord(
        id=article.id, external_id=article.external_id, title=article.title, body=article.body,
        tags=article.tags, category=article.category, status=article.status, views=article.views,
        helpful=article.helpful, not_helpful=article.not_helpful, created_at=article.created_at,
        updated_at=article.updated_at,
    )


# ------------------------------------------------------------- validation

def split_tags(tags: str) -> list[str]:
    return [t.strip() for t in tags.split(",") if t.strip()]


def _fail(where: str, field: str, message: str) -> ValidationError:
    return ValidationError(f"{where}: {field}: {message}")


def _text_field(value: object, where: str, field: str, *, max_length: int, single_line: bool = True,
                required: bool = False) -> str:
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _fail(where, field, f"must be text, not {type(value).__name__}")
    text = _clean(str(value), single_line=single_line)
    if required and not text.strip():
        raise _fail(where, field, "is required and must not be empty")
    if len(text) > max_length:
        raise _fail(where, field, f"is {len(text)} characters long; at most {max_length} allowed")
    return text


def _tags_field(value: object, where: str) -> str:
    if value is None:
        items: list[object] = []
    elif isinstance(value, str):
        items = list(value.split(","))
    elif isinstance(value, list):
        items = value
    else:
        raise _fail(where, "tags", f"must be a list or a comma-separated string, not {type(value).__name__}")
    tags: list[str] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise _fail(where, "tags", f"every tag must be text, not {type(item).__name__}")
        tag = _clean(item, single_line=True).strip()
        if "," in tag:
            raise _fail(where, "tags", f"tag {tag!r} contains a comma")
        if tag and tag.lower() not in seen:
            seen.add(tag.lower())
            tags.append(tag)
    joined = ", ".join(tags)
    if len(joined) > MAX_TAGS:
        raise _fail(where, "tags", f"are {len(joined)} characters together; at most {MAX_TAGS} allowed")
    return joined


def _body(text: str) -> str:
    """Body as stored: sanitised, no leading blank lines, no trailing whitespace."""
    text = _clean(text)
    lines = text.split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines).rstrip()


def validate_article(fields: dict[str, object], where: str, *, field_where: dict[str, str] | None = None,
                     default_id: str | None = None) -> ArticleInput:
    """Check and clean one article's fields; errors name ``where`` (file:line) and the field."""
    field_where = field_where or {}

    def at(field: str) -> str:
        return field_where.get(field, where)

    unknown = [key for key in fields if key not in FIELDS]
    if unknown:
        raise _fail(at(unknown[0]), unknown[0], f"unknown field; allowed: {', '.join(FIELDS)}")
    raw_id = fields.get("id", default_id)
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        raise _fail(at("id"), "id", "is required (the article's unique external id, e.g. KB0001)")
    external_id = str(raw_id).strip()
    if len(external_id) > MAX_ID or not ID_PATTERN.fullmatch(external_id):
        raise _fail(at("id"), "id", f"{external_id[:40]!r} is not valid: letters, digits and . _ : / - "
                    f"(starting with a letter or digit), at most {MAX_ID} characters")
    status = fields.get("status", "published")
    status = status.strip().lower() if isinstance(status, str) else status
    if status not in STATUSES:
        raise _fail(at("status"), "status", f"{status!r} is not one of {', '.join(STATUSES)}")
    body = fields.get("body", "")
    if not isinstance(body, str):
        raise _fail(at("body"), "body", f"must be text, not {type(body).__name__}")
    body = _body(body)
    if len(body) > MAX_BODY:
        raise _fail(at("body"), "body", f"is {len(body)} characters long; at most {MAX_BODY} allowed")
    return ArticleInput(
        external_id=external_id,
        title=_text_field(fields.get("title"), at("title"), "title", max_length=MAX_TITLE, required=True),
        body=body,
        tags=_tags_field(fields.get("tags"), at("tags")),
        category=_text_field(fields.get("category"), at("category"), "category", max_length=MAX_CATEGORY),
        status=status,
        where=where,
    )


# ------------------------------------------------------------ front matter

_KEY_LINE = re.compile(r"([A-Za-z_][\w-]*)\s*:(?:\s+(.*))?$")
_LIST_ITEM = re.compile(r"\s*-(?:\s+(.*))?$")


def _scalar(raw: str, where: str, field: str) -> str:
    raw = raw.strip()
    if raw.startswith('"'):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise _fail(where, field, 'a "double-quoted" value must close its quote (JSON escapes)') from None
        if not isinstance(value, str):  # pragma: no cover - a JSON string literal is a str
            raise _fail(where, field, "must be text")
        return value
    if raw.startswith("'"):
        if len(raw) < 2 or not raw.endswith("'"):
            raise _fail(where, field, "a 'single-quoted' value must close its quote")
        return raw[1:-1].replace("''", "'")
    return raw


def _split_flow_list(raw: str, where: str, field: str) -> list[str]:
    """``[a, "b, c", 'd']`` -> ["a", "b, c", "d"]."""
    inner = raw.strip()[1:-1]
    if not inner.strip():
        return []
    items: list[str] = []
    current = ""
    quote = ""
    index = 0
    while index < len(inner):
        char = inner[index]
        if quote:
            current += char
            if char == "\\" and quote == '"' and index + 1 < len(inner):
                current += inner[index + 1]
                index += 1
            elif char == quote:
                if quote == "'" and inner[index + 1:index + 2] == "'":
                    current += "'"
                    index += 1
                else:
                    quote = ""
        elif char in "\"'" and not current.strip():
            quote = char
            current += char
        elif char == ",":
            items.append(current)
            current = ""
        else:
            current += char
        index += 1
    if quote:
        raise _fail(where, field, "a quoted list item must close its quote")
    items.append(current)
    return [_scalar(item, where, field) for item in items]


def parse_front_matter(lines: list[str], source: str) -> tuple[dict[str, object], dict[str, str], int]:
    """Read the ``---`` block; return (fields, field -> file:line, index of the first body line)."""
    if not lines or lines[0].strip() != "---":
        raise _fail(f"{source}:1", "front matter", "the file must start with a '---' line, then id, title, "
                    "tags, category, status, then '---'")
    fields: dict[str, object] = {}
    where: dict[str, str] = {}
    list_key: str | None = None
    for index in range(1, len(lines)):
        line = lines[index]
        line_no = index + 1
        here = f"{source}:{line_no}"
        stripped = line.strip()
        if stripped in ("---", "..."):
            return fields, where, index + 1
        if not stripped or stripped.startswith("#"):
            continue
        item = _LIST_ITEM.match(line) if list_key is not None else None
        if item is not None:
            values = fields[list_key]
            assert isinstance(values, list)
            values.append(_scalar(item.group(1) or "", here, list_key))
            continue
        match = _KEY_LINE.match(line)
        if not match:
            raise _fail(here, "front matter", f"expected 'key: value', got {stripped[:40]!r}")
        key, raw = match.group(1).lower(), (match.group(2) or "").strip()
        if key in fields:
            raise _fail(here, key, f"appears twice (first at {where[key]})")
        where[key] = here
        list_key = None
        if key != "tags":  # the one list field; other values are text even if they look like lists
            fields[key] = _scalar(raw, here, key)
        elif not raw:
            fields[key] = []
            list_key = key  # "- item" lines may follow
        elif raw.startswith("[") and raw.endswith("]"):
            fields[key] = _split_flow_list(raw, here, key)
        else:
            fields[key] = _scalar(raw, here, key)  # a comma-separated string
    raise _fail(f"{source}:1", "front matter", "no closing '---' line")


def parse_markdown(text: str, source: str = "<text>", *, default_id: str | None = None) -> ArticleInput:
    """One article from Markdown with front matter. ``source`` names the file in errors."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    fields, where, body_start = parse_front_matter(lines, source)
    if "body" in fields:
        raise _fail(where["body"], "body", "goes after the closing '---', not in the front matter")
    fields["body"] = "\n".join(lines[body_start:])
    return validate_article(fields, f"{source}:1", field_where=where, default_id=default_id)


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise _fail(f"{path}:{line}", "encoding", "the file is not valid UTF-8") from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror}") from None


def read_markdown_file(path: Path) -> ArticleInput:
    return parse_markdown(_read_text(path), str(path), default_id=path.stem)


def iter_markdown_dir(directory: Path) -> Iterator[ArticleInput]:
    for path in sorted(p for p in directory.rglob("*.md") if p.is_file()):
        yield read_markdown_file(path)


def iter_jsonl(path: Path) -> Iterator[ArticleInput]:
    """Stream a JSON Lines file; blank lines are skipped."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        for line_no, raw in enumerate(handle, start=1):
            here = f"{path}:{line_no}"
            try:
                line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError:
                raise _fail(here, "encoding", "the line is not valid UTF-8") from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _fail(f"{here}:{exc.colno}", "json", exc.msg) from None
            if not isinstance(obj, dict):
                raise _fail(here, "json", f"each line must be an object, not {type(obj).__name__}")
            yield validate_article(obj, here)


def read_path(path: Path) -> Iterator[ArticleInput]:
    """Articles from a folder of .md files, one .md file, or a .jsonl file."""
    if path.is_dir():
        return iter_markdown_dir(path)
    if not path.exists():
        raise ValidationError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return iter_jsonl(path)
    if suffix in (".md", ".markdown"):
        return iter([read_markdown_file(path)])
    raise ValidationError(f"{path}: unsupported file type {suffix or '(none)'!r}; "
                          "give a folder of .md files, a .md file or a .jsonl file")


# ------------------------------------------------------------------ import

def _batches(items: Iterable[ArticleInput], size: int) -> Iterator[list[ArticleInput]]:
    seen: dict[str, str] = {}
    batch: list[ArticleInput] = []
    for item in items:
        first = seen.get(item.external_id)
        if first is not None:
            raise _fail(item.where, "id", f"{item.external_id!r} appears twice (first at {first})")
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
                    on_progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Write validated articles in batches (one transaction each), idempotent by external id.

    A batch is validated completely before it is written, so an error leaves
    that batch (and everything after it) unwritten; earlier batches stay.
    """
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
                on_progress: Callable[[int], None] | None = None) -> ImportSummary:
    """Import a folder of .md files, a .md file or a .jsonl file (see the module doc)."""
    return import_articles(engine, read_path(Path(path)), batch_size=batch_size, on_progress=on_progress)


def save_markdown(engine: Engine, text: str, *, source: str = "<editor>",
                  expected_id: int | None = None) -> ArticleRecord:
    """Create or update one article from Markdown (e.g. after editing it in $EDITOR).

    With ``expected_id`` the text must keep that article's external id.
    """
    item = parse_markdown(text, source)
    with write_session(engine) as session:
        if expected_id is not None:
            current = session.get(Article, expected_id)
            if current is None:
                raise NotFound(f"article {expected_id} not found")
            if current.external_id != item.external_id:
                raise _fail(f"{source}:1", "id", f"must stay {current.external_id!r} when editing an article")
        _upsert(session, [item], clock.now())
        session.flush()
        article = session.scalars(select(Article).where(Article.external_id == item.external_id)).one()
        return _record(article)


# ------------------------------------------------------------------ export

def _quote_scalar(value: str) -> str:
    plain_ok = value and value == value.strip() and value[0] not in "\"'[{#-" and value not in ("---", "...")
    return value if plain_ok else json.dumps(value, ensure_ascii=False)


def _quote_item(value: str) -> str:
    plain_ok = value and value == value.strip() and value[0] not in "\"'" and not set(value) & set("[],")
    return value if plain_ok else json.dumps(value, ensure_ascii=False)


def article_markdown(article: ArticleRecord | ArticleInput) -> str:
    """The article as Markdown with front matter (what export writes; imports back identically)."""
    tags = ", ".join(_quote_item(t) for t in split_tags(article.tags))
    return (
        "---\n"
        f"id: {_quote_scalar(article.external_id)}\n"
        f"title: {_quote_scalar(article.title)}\n"
        f"tags: [{tags}]\n"
        f"category: {_quote_scalar(article.category)}\n"
        f"status: {article.status}\n"
        "---\n"
        f"{article.body}\n"
    )


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
                path.write_text(article_markdown(_record(article)), encoding="utf-8")
            except OSError as exc:
                raise ValidationError(f"{path}: cannot write: {exc.strerror}") from None
            written += 1
    return ExportSummary(written=written, directory=directory)


# ------------------------------------------------------------- reads

def get_article(session: Session, article_id: int) -> ArticleRecord:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"article {article_id} not found")
    return _record(article)


def get_article_by_external_id(session: Session, external_id: str) -> ArticleRecord:
    article = session.scalars(select(Article).where(Article.external_id == external_id)).first()
    if article is None:
        raise NotFound(f"article {external_id!r} not found")
    return _record(article)


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


# ------------------------------------------------------------- feedback

def _bump(engine: Engine, article_id: int, **columns) -> ArticleRecord:
    with write_session(engine) as session:
        values = {name: getattr(Article, name) + 1 for name in columns}
        result = session.execute(update(Article).where(Article.id == article_id).values(**values))
        if result.rowcount == 0:
            raise NotFound(f"article {article_id} not found")
        article = session.get(Article, article_id, populate_existing=True)
        return _record(article)


def record_view(engine: Engine, article_id: int) -> ArticleRecord:
    """Count one view (does not touch updated_at or the search index)."""
    return _bump(engine, article_id, views=True)


def vote(engine: Engine, article_id: int, helpful: bool) -> ArticleRecord:
    return _bump(engine, article_id, **({"helpful": True} if helpful else {"not_helpful": True}))


# ------------------------------------------------------------- links

def _actor(session: Session, actor) -> tuple[int | None, str]:
    """(analyst id or None, username) for an Actor or a username."""
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
    session.add(TicketEvent(ticket_id=ticket_id, at=now, actor_id=actor_id, actor=username[:80],
                            kind=EventKind.LINKED.value, field="article", new=article.external_id[:300],
                            detail=article.title))
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
        article = _require(session, article_id, ticket_id)
        return _link(session, article, ticket_id, actor_username, clock.now())


def unlink_article(engine: Engine, article_id: int, ticket_id: int, actor_username) -> bool:
    """Remove a link; the event is kind "linked" with the article in ``old`` and empty ``new``."""
    with write_session(engine) as session:
        article = _require(session, article_id, ticket_id)
        link = session.get(ArticleLink, (article_id, ticket_id))
        if link is None:
            return False
        actor_id, username = _actor(session, actor_username)
        session.delete(link)
        session.add(TicketEvent(ticket_id=ticket_id, at=clock.now(), actor_id=actor_id, actor=username[:80],
                                kind=EventKind.LINKED.value, field="article", old=article.external_id[:300],
                                new="", detail=f"unlinked: {article.title}"))
        return True


def draft_external_id(ticket_id: int) -> str:
    return f"DRAFT-T{ticket_id}"


def draft_from_ticket(engine: Engine, ticket_id: int, actor) -> ArticleRecord:
    """Turn a resolved ticket's subject and resolution notes into a draft article.

    The draft is linked to the ticket. Asking again returns the same draft.
    """
    with write_session(engine) as session:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound(f"ticket #{ticket_id} not found")
        existing = session.scalars(select(Article).where(Article.external_id == draft_external_id(ticket_id))).first()
        if existing is not None:
            return _record(existing)
        if ticket.status not in ("resolved", "closed"):
            raise ValidationError(f"ticket #{ticket_id}: status: is {ticket.status!r}; only a resolved or "
                                  "closed ticket can become an article")
        notes = _body(ticket.resolution_notes or "")
        if not notes:
            raise ValidationError(f"ticket #{ticket_id}: resolution_notes: empty; write the resolution first")
        category = session.get(Category, ticket.category_id) if ticket.category_id else None
        now = clock.now()
        article = Article(
            external_id=draft_external_id(ticket_id),
            title=_clean(ticket.subject, single_line=True)[:MAX_TITLE] or f"Ticket #{ticket_id}",
            body=f"## Resolution\n\n{notes}\n\n_Drafted from ticket #{ticket_id}._",
            tags="", category=category.path if category else "", status="draft",
            created_at=now, updated_at=now,
        )
        session.add(article)
        session.flush()
        _link(session, article, ticket_id, actor, now)
        return _record(article)


def set_status(engine: Engine, article_id: int, status: str) -> ArticleRecord:
    """Publish a draft or withdraw an article back to draft."""
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
        return _record(article)


def update_article(engine: Engine, article_id: int, markdown_text: str) -> ArticleRecord:
    """Save an edited article (Markdown with front matter, e.g. from $EDITOR), one transaction.

    The text is validated like an imported file; errors name ``article <id>:<line>``
    and the field. The front matter may leave ``id`` out, but may not change it.
    Unchanged text writes nothing. The search index follows through its triggers
    (SQLite) or the generated column (PostgreSQL).
    """
    with write_session(engine) as session:
        article = session.get(Article, article_id)
        if article is None:
            raise NotFound(f"article {article_id} not found")
        source = f"article {article.external_id}"
        item = parse_markdown(markdown_text, source, default_id=article.external_id)
        if item.external_id != article.external_id:
            lines = markdown_text.lstrip("\ufeff").splitlines()
            line = next((n for n, text in enumerate(lines, start=1) if text.strip().lower().startswith("id:")), 1)
            raise _fail(f"{source}:{line}", "id", f"must stay {article.external_id!r} when editing an article")
        if item.differs_from(article):
            article.title, article.body, article.tags = item.title, item.body, item.tags
            article.category, article.status, article.updated_at = item.category, item.status, clock.now()
        session.flush()
        return _record(article)
