"""Option lists of knowledge rows: the knowledge screen's results (id, title,
draft mark; the snippet with its matches highlighted) and the base they share
with the ticket screen's suggestions: rows cut to the list's width."""

from __future__ import annotations

from typing import Sequence

from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from deskui.reads.knowledge import ArticleHit
from deskui.tui.widgets.kb_format import hit_content


class FittedOptionList(OptionList):
    """Rows are built for the list's width (a title on one line, a text cut to a
    few lines), so they are built again when the width changes."""

    #: Cells an option's padding takes from the width.
    ROW_PADDING = 0

    def __init__(self, *content, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(*content, id=id, classes=classes, markup=False)
        self._built_width = -1

    def build_options(self, width: int) -> list[Option]:
        """The options for rows ``width`` cells wide (0: not laid out yet)."""
        raise NotImplementedError

    def row_width(self) -> int:
        # Room for the vertical scrollbar is kept whether it shows or not: it comes and
        # goes with the rows, without a resize to rebuild them.
        width = self.content_region.width - self.styles.scrollbar_size_vertical - self.ROW_PADDING
        return width if width > 4 else 0

    def rebuild(self, keep: str | None = None) -> None:
        """Build the rows again; the highlight goes to option ``keep`` if listed, else the first row."""
        self._built_width = self.row_width()
        self.set_options(self.build_options(self._built_width))
        enabled = [n for n, option in enumerate(self.options) if not option.disabled]
        if not enabled:
            return
        index = next((n for n in enabled if self.options[n].id == keep), enabled[0])
        self.highlighted = index
        if index == enabled[0]:
            # Highlighting before the first layout may scroll a heading out of view.
            self.call_after_refresh(self.scroll_home, animate=False)

    def on_resize(self) -> None:
        if self.option_count and self.row_width() != self._built_width:
            option = self.highlighted_option
            self.rebuild(option.id if option is not None else None)


class KbResults(FittedOptionList):
    """Articles found. Enter (or a click) posts ``OptionList.OptionSelected``
    whose option id is the article id."""

    ROW_PADDING = 2

    BINDINGS = [
        Binding("j", "cursor_down", "Down", id="kb.results_down", show=False),
        Binding("k", "cursor_up", "Up", id="kb.results_up", show=False),
        Binding("g", "first", "First", id="kb.results_first", show=False),
        Binding("G", "last", "Last", id="kb.results_last", show=False),
    ]

    DEFAULT_CSS = """
    KbResults { height: 1fr; max-height: 100%; border: none; padding: 0; background: $background;
                scrollbar-gutter: stable; scrollbar-size-vertical: 1; }
    KbResults:focus { border: none; background-tint: $foreground 0%; }
    KbResults > .option-list--option { padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.hits: tuple[ArticleHit, ...] = ()

    def build_options(self, width: int) -> list[Option]:
        return [Option(hit_content(hit, width=width), id=str(hit.id)) for hit in self.hits]

    def show_hits(self, hits: Sequence[ArticleHit], keep: int | None = None) -> None:
        """Replace the rows; the highlight stays on article ``keep`` if it is still listed."""
        self.hits = tuple(hits)
        self.rebuild(str(keep) if keep is not None else None)

    @property
    def highlighted_hit(self) -> ArticleHit | None:
        if self.highlighted is None or not 0 <= self.highlighted < len(self.hits):
            return None
        return self.hits[self.highlighted]
