"""Drawing knowledge-base text safely, and turning an article into reply text.

Article text is untrusted (imported files, anyone's edits): it only ever
becomes plain parts of a ``Content``, never markup. Search snippets mark
matched terms with ``\\x02`` ... ``\\x03`` (deskui.reads.knowledge); here they
become styled spans.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from textual.content import Content, Span

from deskui.reads.knowledge import MARK_END, MARK_START, ArticleHit, TicketHit
from deskui.tui.widgets.ticket_format import safe, safe_line

MUTED = "$foreground-muted"
MATCH_STYLE = "bold $accent underline"
DRAFT_STYLE = "bold reverse $warning"
LINKED_STYLE = "bold $success"
#: The only links an article may open (and only when asked with a key, never on a click).
OPENABLE_SCHEMES = ("http", "https", "mailto")


# ------------------------------------------------------------------ snippets

def marked_content(text: str, style: str = MATCH_STYLE) -> Content:
    """Plain text with ``\\x02``/``\\x03`` marks -> Content with the marked runs styled.

    Unbalanced marks are dropped; nothing in the text is read as markup.
    """
    plain: list[str] = []
    spans: list[Span] = []
    length = 0
    start: int | None = None
    for part in re.split(f"([{MARK_START}{MARK_END}])", text or ""):
        if part == MARK_START:
            start = length if start is None else start
        elif part == MARK_END:
            if start is not None and length > start:
                spans.append(Span(start, length, style))
            start = None
        elif part:
            part = safe(part).replace("\n", " ").replace("\t", " ")
            plain.append(part)
            length += len(part)
    if start is not None and length > start:
        spans.append(Span(start, length, style))
    return Content("".join(plain), spans)


def draft_mark(status: str) -> Content:
    return Content.styled(" DRAFT ", DRAFT_STYLE) if status == "draft" else Content("")


def clamp_lines(content: Content, width: int, lines: int) -> Content:
    """``content`` wrapped to ``width`` and cut to ``lines`` lines (an ellipsis shows the cut)."""
    if width <= 1:
        return content
    wrapped = content.wrap(width)
    if len(wrapped) <= lines:
        return Content("\n").join(wrapped)
    kept = wrapped[:lines]
    kept[-1] = kept[-1].rstrip().truncate(width - 1) + "…"
    return Content("\n").join(kept)


def hit_content(hit: ArticleHit, *, linked: bool = False, width: int = 0, snippet_lines: int = 2) -> Content:
    """Id, title (and marks) on one line; the snippet with its matches highlighted below,
    at most ``snippet_lines`` lines when ``width`` is known."""
    # The marks before the title, which may be cut.
    head: list = [(hit.external_id, MUTED), " "]
    if hit.status == "draft":
        head += [draft_mark(hit.status), " "]
    head.append((safe_line(hit.title), "bold"))
    if linked:
        head += [" ", ("✓ linked", LINKED_STYLE)]
    title = Content.assemble(*head)
    snippet = marked_content(hit.snippet) if hit.snippet else Content.styled("(no text)", MUTED)
    if width > 4:
        title = title.truncate(width, ellipsis=True)
        snippet = clamp_lines(snippet, width - 2, snippet_lines)
    indented = Content("\n").join(Content("  ") + line for line in snippet.split("\n"))
    return Content("\n").join([title, indented])


def ticket_hit_content(hit: TicketHit, *, width: int = 0, notes_lines: int = 2) -> Content:
    """A similar ticket: number, status, subject; its resolution notes below."""
    title = Content.assemble((f"#{hit.id}", "bold $accent"), " ", (hit.status, MUTED), " ",
                             (safe_line(hit.subject), "bold"))
    notes = safe_line(hit.resolution_notes)
    resolution = Content.assemble(("Resolution: ", MUTED), notes or ("(no notes)", MUTED))
    if width > 4:
        title = title.truncate(width, ellipsis=True)
        resolution = clamp_lines(resolution, width - 2, notes_lines)
    indented = Content("\n").join(Content("  ") + line for line in resolution.split("\n"))
    return Content("\n").join([title, indented])


# ------------------------------------------------------------------ article -> reply text

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_STEP = re.compile(r"^\s{0,3}(\d{1,3})[.)]\s+(.*)$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(?:\[[ xX]\]\s+)?(.*)$")
_QUOTE = re.compile(r"^\s{0,3}>\s?")

#: Most characters of body text inserted when an article has no numbered steps.
EXCERPT_CHARS = 700


@lru_cache(maxsize=1)
def _inline_parser():
    # The parser the article view draws with (Textual's Markdown widget), so the
    # text inserted is the text shown.
    from markdown_it import MarkdownIt

    return MarkdownIt("gfm-like")


def plain_inline(text: str) -> str:
    """One line of Markdown as plain text, as the article view shows it: emphasis and
    code marks dropped, escapes and entities resolved once (never inside code), links
    as ``text (url)``, images as their alt text, inline HTML left out."""
    out: list[str] = []
    links: list[tuple[str, int]] = []  # (href, where its text starts)
    for token in _inline_parser().parseInline(text)[0].children or []:
        kind = token.type
        if kind in ("text", "code_inline"):
            out.append(token.content)
        elif kind == "softbreak":
            out.append(" ")
        elif kind == "hardbreak":
            out.append("\n")
        elif kind == "image":
            out.append(token.content)
        elif kind == "link_open":
            # A bare or <autolinked> address is its own text.
            bare = token.markup in ("linkify", "autolink")
            links.append(("" if bare else str(token.attrs.get("href", "")), len(out)))
        elif kind == "link_close" and links:
            href, start = links.pop()
            label = "".join(out[start:])
            if href and label != href and label != href.removeprefix("mailto:"):
                out.append(f" ({href})")
    return "".join(out)


def article_steps(body: str) -> str:
    """The article's numbered steps as plain text, each list under its heading.

    Continuation lines join their step; other text is left out. Empty when the
    article has no numbered list.
    """
    out: list[str] = []
    heading = ""
    in_list = False
    for line in safe(body).split("\n"):
        if match := _HEADING.match(line):
            heading, in_list = plain_inline(match.group(1)), False
            continue
        if match := _STEP.match(line):
            if not in_list:
                if out:
                    out.append("")
                if heading:
                    out.append(f"{heading}:")
                heading = ""
            out.append(f"{match.group(1)}. {plain_inline(match.group(2).strip())}")
            in_list = True
            continue
        if not line.strip():
            continue  # a blank line may separate two steps of one list
        if in_list and line[:1] in (" ", "\t"):
            bullet = _BULLET.match(line)
            addition = plain_inline((bullet.group(2) if bullet else line).strip())
            out[-1] = f"{out[-1]}\n   - {addition}" if bullet else f"{out[-1]} {addition}"
            continue
        in_list = False
    return "\n".join(out).strip()


def article_excerpt(body: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of the body as plain text, cut at a line end near ``limit`` characters."""
    lines: list[str] = []
    size = 0
    for line in safe(body).split("\n"):
        if match := _HEADING.match(line):
            text = plain_inline(match.group(1)) + ":"
        elif match := _BULLET.match(line):
            text = f"{match.group(1)}- {plain_inline(match.group(2))}"
        else:
            text = plain_inline(_QUOTE.sub("", line).rstrip())
        if not text.strip() and (not lines or not lines[-1].strip()):
            continue  # one blank line at a time, none at the start
        if size + len(text) > limit and lines:
            lines.append("…")
            break
        lines.append(text)
        size += len(text) + 1
    return "\n".join(lines).strip()


def reply_text(external_id: str, title: str, body: str) -> str:
    """What "insert its steps" puts into a reply: the steps (or an excerpt) and where they come from."""
    steps = article_steps(body) or article_excerpt(body)
    source = f"(From knowledge article {safe_line(external_id)}: {safe_line(title)})"
    return f"{steps}\n\n{source}" if steps else source


# ------------------------------------------------------------------ links

def article_links(body: str) -> list[str]:
    """The link targets of an article, in order, each once: what the article view
    draws as links (the same Markdown parser, so a target it refuses is not one)."""
    from markdown_it import MarkdownIt

    found: list[str] = []

    def walk(tokens) -> None:
        for token in tokens:
            if token.type == "link_open":
                href = str(token.attrs.get("href", "")).strip()
                if href and href not in found:
                    found.append(href)
            if token.children:
                walk(token.children)

    walk(MarkdownIt("gfm-like").parse(safe(body)))
    return found


def may_open(url: str) -> bool:
    """True for a link deskui hands to the browser or the mail client: http, https, mailto."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return False
    return scheme in OPENABLE_SCHEMES
