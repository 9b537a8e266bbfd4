"""Knowledge articles as files: Markdown with front matter, or JSON Lines.

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
(a list or a comma-separated string), category, status). Every record is
validated and cleaned here (errors name ``file:line: field: message``);
deskui.services.knowledge writes them.

The front matter parser is deliberately small: ``key: value`` lines, values
plain, "double-quoted" (JSON escapes) or 'single-quoted', lists as
``[a, b]`` or as ``- item`` lines under the key. No inline comments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from deskui.domain.text import clean_text
from deskui.errors import ValidationError
from deskui.services.files import (
    ARTICLE_LIMIT, IMPORT_LIMIT, MAX_NESTING, check_file, open_stream, read_bytes, too_deep,
)
from deskui.store.kb_queries import ArticleRecord, split_tags

FIELDS = ("id", "title", "tags", "category", "status", "body")
STATUSES = ("draft", "published")
# Real help-centre ids carry apostrophes and brackets ("can't-display-dl"); export
# makes file names safe on its own.
ID_PATTERN = re.compile(r"[^\W_][\w.:/()'-]*")
MAX_ID = 120
MAX_TITLE = 300
MAX_TAGS = 500
MAX_CATEGORY = 170
MAX_BODY = 200_000


def clean(value: str, *, single_line: bool = False) -> str:
    """Escapes and control characters out (deskui.domain.text is the one sanitiser)."""
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

    def differs_from(self, article) -> bool:
        """True when ``article`` (a stored article) holds other text than this input."""
        return (self.title, self.body, self.tags, self.category, self.status) != (
            article.title, article.body, article.tags, article.category, article.status)


# ------------------------------------------------------------- validation

def fail(where: str, field: str, message: str) -> ValidationError:
    return ValidationError(f"{where}: {field}: {message}")


def _text_field(value: object, where: str, field: str, *, max_length: int, single_line: bool = True,
                required: bool = False) -> str:
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise fail(where, field, f"must be text, not {type(value).__name__}")
    text = clean(str(value), single_line=single_line)
    if required and not text.strip():
        raise fail(where, field, "is required and must not be empty")
    if len(text) > max_length:
        raise fail(where, field, f"is {len(text)} characters long; at most {max_length} allowed")
    return text


def _tags_field(value: object, where: str) -> str:
    if value is None:
        items: list[object] = []
    elif isinstance(value, str):
        items = list(value.split(","))
    elif isinstance(value, list):
        items = value
    else:
        raise fail(where, "tags", f"must be a list or a comma-separated string, not {type(value).__name__}")
    tags: list[str] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise fail(where, "tags", f"every tag must be text, not {type(item).__name__}")
        # Tags are stored comma-separated, so a listed tag with commas in it (real
        # help-centre exports have "Stability, startup or shutdown") is several tags.
        for part in clean(item, single_line=True).split(","):
            tag = part.strip()
            if tag and tag.lower() not in seen:
                seen.add(tag.lower())
                tags.append(tag)
    joined = ", ".join(tags)
    if len(joined) > MAX_TAGS:
        raise fail(where, "tags", f"are {len(joined)} characters together; at most {MAX_TAGS} allowed")
    return joined


def clean_body(text: str) -> str:
    """Body as stored: sanitised, no leading blank lines, no trailing whitespace."""
    text = clean(text)
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
        raise fail(at(unknown[0]), unknown[0], f"unknown field; allowed: {', '.join(FIELDS)}")
    raw_id = fields.get("id", default_id)
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        raise fail(at("id"), "id", "is required (the article's unique external id, e.g. KB0001)")
    external_id = str(raw_id).strip()
    if len(external_id) > MAX_ID or not ID_PATTERN.fullmatch(external_id):
        raise fail(at("id"), "id", f"{external_id[:40]!r} is not valid: letters, digits and . _ : / ( ) ' - "
                    f"(starting with a letter or digit), at most {MAX_ID} characters")
    status = fields.get("status", "published")
    status = status.strip().lower() if isinstance(status, str) else status
    if status not in STATUSES:
        raise fail(at("status"), "status", f"{status!r} is not one of {', '.join(STATUSES)}")
    body = fields.get("body", "")
    if not isinstance(body, str):
        raise fail(at("body"), "body", f"must be text, not {type(body).__name__}")
    body = clean_body(body)
    if len(body) > MAX_BODY:
        raise fail(at("body"), "body", f"is {len(body)} characters long; at most {MAX_BODY} allowed")
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
            raise fail(where, field, 'a "double-quoted" value must close its quote (JSON escapes)') from None
        if not isinstance(value, str):  # pragma: no cover - a JSON string literal is a str
            raise fail(where, field, "must be text")
        return value
    if raw.startswith("'"):
        if len(raw) < 2 or not raw.endswith("'"):
            raise fail(where, field, "a 'single-quoted' value must close its quote")
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
        raise fail(where, field, "a quoted list item must close its quote")
    items.append(current)
    return [_scalar(item, where, field) for item in items]


def parse_front_matter(lines: list[str], source: str) -> tuple[dict[str, object], dict[str, str], int]:
    """Read the ``---`` block; return (fields, field -> file:line, index of the first body line)."""
    if not lines or lines[0].strip() != "---":
        raise fail(f"{source}:1", "front matter", "the file must start with a '---' line, then id, title, "
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
            raise fail(here, "front matter", f"expected 'key: value', got {stripped[:40]!r}")
        key, raw = match.group(1).lower(), (match.group(2) or "").strip()
        if key in fields:
            raise fail(here, key, f"appears twice (first at {where[key]})")
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
    raise fail(f"{source}:1", "front matter", "no closing '---' line")


def parse_markdown(text: str, source: str = "<text>", *, default_id: str | None = None) -> ArticleInput:
    """One article from Markdown with front matter. ``source`` names the file in errors."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    fields, where, body_start = parse_front_matter(lines, source)
    if "body" in fields:
        raise fail(where["body"], "body", "goes after the closing '---', not in the front matter")
    fields["body"] = "\n".join(lines[body_start:])
    return validate_article(fields, f"{source}:1", field_where=where, default_id=default_id)


def _read_text(path: Path) -> str:
    raw = read_bytes(path, ARTICLE_LIMIT, "a knowledge article")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(f"{path}:{line}", "encoding", "the file is not valid UTF-8") from None


def read_markdown_file(path: Path) -> ArticleInput:
    return parse_markdown(_read_text(path), str(path), default_id=path.stem)


def iter_markdown_dir(directory: Path) -> Iterator[ArticleInput]:
    for path in sorted(p for p in directory.rglob("*.md") if p.is_file()):
        yield read_markdown_file(path)


def iter_jsonl(path: Path) -> Iterator[ArticleInput]:
    """Stream a JSON Lines file; blank lines are skipped."""
    handle, _name, _size = open_stream(path, limit=IMPORT_LIMIT, what="a knowledge JSON Lines file",
                                       line_limit=ARTICLE_LIMIT)
    try:
        for line_no, raw in enumerate(handle, start=1):
            here = f"{path}:{line_no}"
            try:
                line = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError:
                raise fail(here, "encoding", "the line is not valid UTF-8") from None
            if not line.strip():
                continue
            deep = too_deep(line)
            if deep is not None:
                raise fail(f"{here}:{deep[1]}", "json", f"arrays or objects nested more than {MAX_NESTING} deep")
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise fail(f"{here}:{exc.colno}", "json", exc.msg) from None
            if not isinstance(obj, dict):
                raise fail(here, "json", f"each line must be an object, not {type(obj).__name__}")
            yield validate_article(obj, here)
    finally:
        handle.close()


def read_path(path: Path) -> Iterator[ArticleInput]:
    """Articles from a folder of .md files, one .md file, or a .jsonl file."""
    if path.is_dir():
        return iter_markdown_dir(path)
    if not path.exists():
        raise ValidationError(f"{path}: no such file or folder")
    suffix = path.suffix.lower()
    check_file(path, IMPORT_LIMIT if suffix in (".jsonl", ".ndjson") else ARTICLE_LIMIT,
               "a knowledge JSON Lines file" if suffix in (".jsonl", ".ndjson") else "a knowledge article")
    if suffix in (".jsonl", ".ndjson"):
        return iter_jsonl(path)
    if suffix in (".md", ".markdown"):
        return iter([read_markdown_file(path)])
    raise ValidationError(f"{path}: unsupported file type {suffix or '(none)'!r}; "
                          "give a folder of .md files, a .md file or a .jsonl file")


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
