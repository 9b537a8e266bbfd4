"""One knowledge article: title, facts (category, tags, views, votes, status),
the body rendered as Markdown, and the tickets linked to it (enter opens one).

Links in an article are untrusted: a click never opens one. ``o`` lists the
article's http, https and mailto links, and the one chosen opens.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Markdown, OptionList, Static
from textual.widgets.option_list import Option

from deskui.reads.knowledge import ArticleDetail, ArticleRecord, LinkedTicket
from deskui.tui.widgets.kb_format import MUTED, OPENABLE_SCHEMES, article_links, draft_mark, may_open
from deskui.tui.widgets.ticket_format import safe, safe_line


def title_content(article: ArticleRecord) -> Content:
    parts: list = [(article.external_id, MUTED), "  ", (safe_line(article.title), "bold")]
    if article.status == "draft":
        parts += ["  ", draft_mark(article.status)]
    return Content.assemble(*parts)


def facts_content(article: ArticleRecord) -> Content:
    parts: list = []
    if article.category:
        parts += [(safe_line(article.category), "$accent"), " · "]
    if article.tags:
        parts += [(safe_line(article.tags), MUTED), " · "]
    parts += [
        (f"{article.views:,}", "bold"), " view · " if article.views == 1 else " views · ",
        (f"{article.helpful:,}", "bold $success"), " helpful · ",
        (f"{article.not_helpful:,}", "bold $error"), " not helpful · ",
        (f"updated {article.updated_at:%Y-%m-%d}", MUTED),
    ]
    return Content.assemble(*parts)


def linked_content(link: LinkedTicket) -> Content:
    return Content.assemble((f"#{link.ticket_id}", "bold $accent"), " ", (link.status, MUTED), " ",
                            safe_line(link.subject),
                            (f"  linked by {safe_line(link.linked_by)} {link.linked_at:%Y-%m-%d}", MUTED))


class KbArticleView(VerticalScroll):
    """The open article. ``show(detail)`` fills it; ``clear()`` shows the hint."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", id="kb.article_down", show=False),
        Binding("k", "scroll_up", "Up", id="kb.article_up", show=False),
        Binding("g", "scroll_home", "Top", id="kb.article_top", show=False),
        Binding("G", "scroll_end", "Bottom", id="kb.article_bottom", show=False),
        Binding("o", "open_link", "Open a link", id="kb.open_link", show=False),
    ]

    DEFAULT_CSS = """
    KbArticleView { padding: 0 1; }
    KbArticleView #kb-article-title { margin-top: 1; }
    KbArticleView #kb-article-facts { color: $foreground; }
    KbArticleView #kb-article-body { margin: 1 0 0 0; padding: 0; background: transparent; }
    KbArticleView .kb-section { text-style: bold; color: $accent; margin-top: 1; }
    KbArticleView #kb-linked { height: auto; max-height: 10; border: none; padding: 0; background: transparent; }
    KbArticleView #kb-linked:focus { background-tint: $foreground 0%; }
    KbArticleView #kb-linked-none { color: $foreground-muted; }
    KbArticleView .-hidden { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.detail: ArticleDetail | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("Choose an article and press enter to read it.", MUTED), id="kb-article-hint")
        yield Static("", id="kb-article-title", classes="-hidden")
        yield Static("", id="kb-article-facts", classes="-hidden")
        yield Markdown("", id="kb-article-body", classes="-hidden", open_links=False)
        yield Static(Content("Linked tickets"), id="kb-linked-title", classes="kb-section -hidden")
        yield Static("", id="kb-linked-none", classes="-hidden")
        yield OptionList(id="kb-linked", markup=False, classes="-hidden")

    @property
    def article_id(self) -> int | None:
        return self.detail.article.id if self.detail else None

    async def show(self, detail: ArticleDetail, *, body_changed: bool = True) -> None:
        same = self.detail is not None and self.detail.article.id == detail.article.id
        self.detail = detail
        article = detail.article
        self.query_one("#kb-article-hint").add_class("-hidden")
        for selector in ("#kb-article-title", "#kb-article-facts", "#kb-article-body", "#kb-linked-title"):
            self.query_one(selector).remove_class("-hidden")
        self.query_one("#kb-article-title", Static).update(title_content(article))
        self.query_one("#kb-article-facts", Static).update(facts_content(article))
        self._show_linked(detail.linked)
        if body_changed or not same:
            await self.query_one("#kb-article-body", Markdown).update(safe(article.body))
        if not same:
            self.scroll_home(animate=False)

    def update_article(self, article: ArticleRecord) -> None:
        """New counters or status for the open article (votes, publish) without redrawing the body."""
        if self.detail is None or self.detail.article.id != article.id:
            return
        self.detail = ArticleDetail(article, self.detail.linked)
        self.query_one("#kb-article-title", Static).update(title_content(article))
        self.query_one("#kb-article-facts", Static).update(facts_content(article))

    def _show_linked(self, linked: tuple[LinkedTicket, ...]) -> None:
        title = self.query_one("#kb-linked-title", Static)
        title.update(Content.assemble("Linked tickets", (f" ({len(linked)})" if linked else "", MUTED),
                                      ("  enter opens one" if linked else "", MUTED)))
        options = self.query_one("#kb-linked", OptionList)
        none = self.query_one("#kb-linked-none", Static)
        options.set_options(Option(linked_content(link), id=str(link.ticket_id)) for link in linked)
        options.set_class(not linked, "-hidden")
        none.update(Content("No ticket is linked to this article yet (link one from a ticket: f, then L)."))
        none.set_class(bool(linked), "-hidden")
        if linked:
            options.highlighted = 0

    # ------------------------------------------------------------ links

    @on(Markdown.LinkClicked)
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        event.stop()  # never opened by a click: the text may be anyone's
        self.notify(f"Not opened: {safe_line(event.href)[:200]} -- press o to choose a link to open.", markup=False)

    def action_open_link(self) -> None:
        from deskui.tui.screens.ops_modals import ChoiceModal

        if self.detail is None:
            return
        links = article_links(self.detail.article.body)
        allowed = [url for url in links if may_open(url)]
        refused = len(links) - len(allowed)
        note = f"{refused} other link(s) not offered: only {', '.join(OPENABLE_SCHEMES)} open." if refused else ""
        if not allowed:
            self.notify(note or "This article has no links.", markup=False)
            return
        self.app.push_screen(ChoiceModal(f"Open a link of {self.detail.article.external_id}",
                                         [(url, safe_line(url)) for url in allowed],
                                         hint=note or "enter opens it · esc cancels"),
                             self._open_chosen)

    def _open_chosen(self, url: str | None) -> None:
        if url and may_open(url):
            self.app.open_url(url)
