"""The conversation: the description first, then comments oldest first.

Public replies and internal notes must never be mistaken for each other: each
block carries a label in its border title ("PUBLIC REPLY" / "INTERNAL NOTE"), its
own colour, and its own border style (round primary vs heavy warning on a tinted
background). Bodies are plain text (``Content``), never markup or Markdown.
"""

from __future__ import annotations

from datetime import datetime

from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from deskui.store.records import CommentRecord
from deskui.tui.widgets.ticket_format import safe, safe_line, when

LABELS = {"public": "PUBLIC REPLY", "internal": "INTERNAL NOTE", "requester": "FROM REQUESTER"}
TITLE_STYLES = {"public": "bold $primary", "internal": "bold reverse $warning", "requester": "bold $success"}


def kind_of(comment: CommentRecord, from_requester: bool = False) -> str:
    if comment.visibility == "internal":
        return "internal"
    return "requester" if from_requester else "public"


def comment_title(comment: CommentRecord, from_requester: bool = False) -> Content:
    kind = kind_of(comment, from_requester)
    label, style = LABELS[kind], TITLE_STYLES[kind]
    return Content.assemble((f" {label} ", style), " ", (safe_line(comment.author) or "?", "bold"), f" · {when(comment.created_at)} ")


class CommentBlock(Static):
    """One comment; its CSS class (-public / -internal) sets colour and border."""

    DEFAULT_CSS = """
    CommentBlock {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        border-title-align: left;
    }
    CommentBlock.-public {
        border: round $primary;
    }
    CommentBlock.-internal {
        border: heavy $warning;
        background: $warning 10%;
    }
    CommentBlock.-requester {
        border: round $success;
    }
    CommentBlock.-description {
        border: solid $foreground 40%;
    }
    """

    def __init__(self, comment: CommentRecord, from_requester: bool = False) -> None:
        kind = kind_of(comment, from_requester)
        # A requester's message is public too: both classes, its own colour.
        classes = "-public -requester" if kind == "requester" else f"-{kind}"
        super().__init__(Content(safe(comment.body)), classes=classes)
        self.comment = comment
        self.border_title = comment_title(comment, from_requester)


class DescriptionBlock(Static):
    DEFAULT_CSS = CommentBlock.DEFAULT_CSS.replace("CommentBlock", "DescriptionBlock")

    def __init__(self) -> None:
        super().__init__("", classes="-description")

    def show(self, description: str, requester: str, created_at: datetime) -> None:
        self.border_title = Content.assemble((" DESCRIPTION ", "bold"), " ", (safe_line(requester) or "?", "bold"),
                                             f" · {when(created_at)} ")
        self.update(Content(safe(description)) if description.strip() else Content.styled("(no description)", "italic $foreground-muted"))


class Conversation(Vertical):
    """Description and comments. Comments are append-only, so a reload only mounts new ones."""

    DEFAULT_CSS = """
    Conversation { height: auto; padding: 0 1; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._shown: set[int] = set()

    def compose(self):
        yield DescriptionBlock()

    async def show(self, description: str, requester: str, created_at: datetime,
                   comments: list[CommentRecord] | tuple[CommentRecord, ...],
                   from_requester: frozenset[int] = frozenset()) -> None:
        self.query_one(DescriptionBlock).show(description, requester, created_at)
        new = [CommentBlock(c, c.id in from_requester) for c in comments if c.id not in self._shown]
        if new:
            self._shown.update(block.comment.id for block in new)
            await self.mount_all(new)

    @property
    def blocks(self) -> list[CommentBlock]:
        return list(self.query(CommentBlock))
