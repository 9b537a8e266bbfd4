"""The knowledge screen (DESIGN.md §2 Knowledge, issue 4 item 3).

Search as you type: every change of the search box starts a thread worker
(exclusive, so the previous one is cancelled) tagged with a generation number;
an answer whose generation is not the latest is dropped, so a slow earlier
query never overwrites a newer one's results. An empty box lists every
article, the most viewed first, then by title (the heading says which it is).

Enter opens an article (its view is counted) as Markdown beside the results,
or in place of them on a narrow terminal. ``+`` / ``-`` vote, ``e`` edits it
in $EDITOR (Markdown with front matter, saved through
``deskui.services.knowledge.update_article``), ``d`` shows or hides drafts,
``p`` publishes or withdraws. The tickets linked to the article are listed
under it; enter on one opens it.

Every database call runs in a worker (deskui.tui.workers): reads through
deskui.reads.knowledge, changes through deskui.services.knowledge; a failure
is one line and the screen keeps running. Article text is untrusted: it is
drawn as Content / Markdown, never as markup.
"""

from __future__ import annotations

from typing import Callable, Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.worker import get_current_worker

from deskui.domain.permissions import Action
from deskui.errors import DeskError
from deskui.reads import knowledge as reads
from deskui.reads.knowledge import RESULT_LIMIT, ArticleDetail, ArticleHit, ArticleRecord, KbFigures
from deskui.services import knowledge as kb
from deskui.tui.permissions import PermissionGate
from deskui.tui.screens.fresh import FreshOnFirstResume
from deskui.tui.widgets.kb_article import KbArticleView
from deskui.tui.widgets.kb_format import MUTED
from deskui.tui.widgets.kb_results import KbResults
from deskui.tui.widgets.key_hints import KeyHints
from deskui.tui.widgets.status_line import StatusLine
from deskui.tui.workers import db_work, run_db

#: Below this width the results and the article take turns instead of sharing the screen.
NARROW_WIDTH = 110
#: From this width the results get half the screen: whole titles in the list, and
#: article lines no longer than they read well.
WIDE_WIDTH = 180

SearchFunction = Callable[..., Sequence[ArticleHit]]


def open_article_detail(engine, article_id: int, *, count_view: bool) -> ArticleDetail:
    """The article and its linked tickets; ``count_view`` adds one view first (its own transaction)."""
    article = kb.record_view(engine, article_id) if count_view else None
    return reads.article_detail(engine, article_id, article=article)


def plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"


def format_share(share: float) -> str:
    """18% -- or 0.4% when small, so a few links don't read as none."""
    return f"{share:.1%}" if 0 < share < 0.1 else f"{share:.0%}"


def figures_content(f: KbFigures, *, compact: bool = False) -> Content:
    """The header: articles, views, links and the share of resolved tickets with a linked article."""
    share = f.resolved_with_article_share
    parts: list = [] if compact else [("Knowledge  ", "bold")]
    parts += [(f"{f.articles:,}", "bold"), plural(f.articles, " article")]
    if f.drafts and not compact:
        parts += [" (", (f"{f.drafts:,}", "bold"), plural(f.drafts, " draft"), ")"]
    parts += [" · ", (f"{f.views:,}", "bold"), plural(f.views, " view"), " · ",
              (f"{f.links:,}", "bold"), plural(f.links, " link"), " · "]
    if share is None:
        parts.append(("no resolved tickets yet", MUTED))
    elif compact:
        parts += ["resolved with an article ", (format_share(share), "bold")]
    else:
        parts += [(format_share(share), "bold"),
                  f" of {f.resolved:,} resolved {plural(f.resolved, 'ticket').strip()} had a linked article"]
    return Content.assemble(*parts)


def bind(keys: str, action: str, description: str, binding_id: str, *, show: bool = False,
         key_display: str | None = None, priority: bool = False) -> Binding:
    return Binding(keys, action, description, show=show, key_display=key_display, id=binding_id, priority=priority)


KNOWLEDGE_BINDINGS = [
    # Before the search box sees it: "/" goes to the box, it never types there (the search
    # reads "tcp/ip" as "tcp ip" anyway, so nothing is lost).
    bind("slash", "focus_search", "Search", "kb.search", show=True, key_display="/", priority=True),
    bind("enter", "open_highlighted", "Open", "kb.open", show=True),
    bind("down", "focus_results", "Results", "kb.to_results"),
    bind("plus", "vote(True)", "Helpful", "kb.helpful", show=True, key_display="+"),
    bind("minus", "vote(False)", "Not helpful", "kb.not_helpful", show=True, key_display="-"),
    bind("e", "edit", "Edit", "kb.edit", show=True),
    bind("d", "toggle_drafts", "Drafts", "kb.drafts", show=True),
    bind("p", "toggle_publish", "Publish/withdraw", "kb.publish"),
    bind("ctrl+r", "refresh", "Refresh", "kb.refresh"),
    bind("escape", "back", "Back", "kb.back"),
]


class KnowledgeScreen(PermissionGate, FreshOnFirstResume, Screen):
    """Search, read, rate and edit knowledge articles."""

    BINDINGS = KNOWLEDGE_BINDINGS
    PERMISSIONS = {"vote": Action.SURVEY, "edit": Action.KNOWLEDGE, "toggle_publish": Action.KNOWLEDGE}
    AUTO_FOCUS = "#kb-search"

    DEFAULT_CSS = """
    KnowledgeScreen { layout: vertical; }
    KnowledgeScreen #kb-figures { height: 1; padding: 0 1; background: $panel; text-wrap: nowrap;
                                  text-overflow: ellipsis; }
    KnowledgeScreen #kb-search-row { height: 1; background: $boost; }
    KnowledgeScreen #kb-search-label { width: auto; padding: 0 1; color: $accent; text-style: bold; }
    KnowledgeScreen #kb-search { height: 1; border: none; padding: 0; background: $boost; width: 1fr; }
    KnowledgeScreen #kb-search:focus { background: $primary 20%; }
    KnowledgeScreen #kb-body { height: 1fr; }
    KnowledgeScreen #kb-list-pane { width: 42%; min-width: 40; height: 100%; }
    KnowledgeScreen #kb-results-title { height: 1; padding: 0 1; color: $foreground-muted; text-wrap: nowrap;
                                        text-overflow: ellipsis; }
    KnowledgeScreen KbArticleView { width: 1fr; height: 100%; border-left: vkey $primary 30%; }
    KnowledgeScreen #kb-body.-wide #kb-list-pane { width: 1fr; }
    KnowledgeScreen #kb-body.-narrow #kb-list-pane { width: 100%; }
    KnowledgeScreen #kb-body.-narrow KbArticleView { display: none; border-left: none; }
    KnowledgeScreen #kb-body.-narrow.-reading #kb-list-pane { display: none; }
    KnowledgeScreen #kb-body.-narrow.-reading KbArticleView { display: block; }
    """

    class Results(Message):
        def __init__(self, generation: int, query: str, hits: list[ArticleHit], error: str = "") -> None:
            super().__init__()
            self.generation = generation
            self.query = query
            self.hits = hits
            self.error = error

    class ArticleLoaded(Message):
        def __init__(self, detail: ArticleDetail, counted: bool) -> None:
            super().__init__()
            self.detail = detail
            self.counted = counted

    class ArticleSaved(Message):
        def __init__(self, article: ArticleRecord, note: str, body_changed: bool, edited: int | None) -> None:
            super().__init__()
            self.article = article
            self.edited = edited
            self.note = note
            self.body_changed = body_changed

    class Failed(Message):
        def __init__(self, error: str, title: str = "") -> None:
            super().__init__()
            self.error = error
            self.title = title

    class FiguresLoaded(Message):
        def __init__(self, figures: KbFigures) -> None:
            super().__init__()
            self.figures = figures

    def __init__(self) -> None:
        super().__init__()
        #: Swappable for tests (a slow search); called as (engine, query, include_drafts=...).
        self.search_function: SearchFunction = reads.find_articles
        self.include_drafts = True
        self.generation = 0
        self.shown_generation = 0
        self.query_text = ""
        self.shown_query: str | None = None
        self.figures: KbFigures | None = None
        self.saving = False
        self._voted: set[int] = set()
        # Article id -> edited Markdown that failed validation, offered again by e.
        self._edit_drafts: dict[int, str] = {}
        self._pending_open: int | None = None
        self._open_best_when_shown = False
        self._ready = False

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("Knowledge", "bold"), id="kb-figures")
        with Horizontal(id="kb-search-row"):
            yield Static(Content("Search"), id="kb-search-label")
            yield Input(placeholder='words, "exact phrase", prefix*   enter: open the best · ↓: the list', id="kb-search")
        with Horizontal(id="kb-body"):
            with Vertical(id="kb-list-pane"):
                yield Static("", id="kb-results-title")
                yield KbResults(id="kb-results")
            yield KbArticleView(id="kb-article")
        yield StatusLine(id="status")
        yield KeyHints()

    def on_mount(self) -> None:
        self.sub_title = "Knowledge"
        self._apply_width(self.app.size.width)
        self._update_note()
        self.start_search("")
        self.load_figures()
        self._ready = True
        if self._pending_open is not None:
            article_id, self._pending_open = self._pending_open, None
            self.open_article(article_id)

    def on_resize(self, event: Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        self.query_one("#kb-body").set_class(width < NARROW_WIDTH, "-narrow")
        self.query_one("#kb-body").set_class(width >= WIDE_WIDTH, "-wide")
        self._show_figures()

    def _show_figures(self) -> None:
        if self.figures is not None:
            compact = self.app.size.width < NARROW_WIDTH
            self.query_one("#kb-figures", Static).update(figures_content(self.figures, compact=compact))

    @property
    def narrow(self) -> bool:
        return self.query_one("#kb-body").has_class("-narrow")

    def _set_reading(self, reading: bool) -> None:
        self.query_one("#kb-body").set_class(reading, "-reading")

    @property
    def results(self) -> KbResults:
        return self.query_one(KbResults)

    @property
    def article_view(self) -> KbArticleView:
        return self.query_one(KbArticleView)

    @property
    def detail(self) -> ArticleDetail | None:
        return self.article_view.detail

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The key hints follow what makes sense now: rating and editing once an article
        is open, "open" while it is not the one being read."""
        if action in ("vote", "edit", "toggle_publish"):
            if self.detail is None:
                return False
            return None if self.permission_denial(action) else True
        if action == "open_highlighted":
            focused = self.focused
            return focused is None or not (focused is self.article_view or self.article_view in focused.ancestors)
        return True

    def _update_note(self) -> None:
        self.query_one(StatusLine).note = "drafts shown (d hides)" if self.include_drafts else "drafts hidden (d shows)"

    # ------------------------------------------------------------ search

    @on(Input.Changed, "#kb-search")
    def _query_changed(self, event: Input.Changed) -> None:
        self.start_search(event.value)

    @on(Input.Submitted, "#kb-search")
    def _query_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search box opens the best hit -- of the query as typed, so when
        its results are still on the way, it opens the first of them when they come."""
        event.stop()
        if self.shown_generation != self.generation:
            self._open_best_when_shown = True
        else:
            self.action_open_highlighted()

    def start_search(self, query: str) -> None:
        self.query_text = query
        self.generation += 1
        generation, include_drafts = self.generation, self.include_drafts
        engine, search = self.app.desk.engine, self.search_function

        def find() -> None:
            hits = list(search(engine, query, include_drafts=include_drafts))
            if not get_current_worker().is_cancelled:  # a newer query replaced this one
                self.post_message(self.Results(generation, query, hits))

        # A failed search says so in the results title too.
        run_db(self, find, group="kb-search", exclusive=True, what="Search",
               on_failure=lambda line: self.post_message(self.Results(generation, query, [], line)))

    @on(Results)
    def _results(self, message: Results) -> None:
        # Workers finish in any order: only the newest query's answer is shown.
        if message.generation != self.generation:
            return
        self.shown_generation = message.generation
        # A new query starts at its best hit; the same query again (after a save) keeps the row.
        keep = None
        if message.query == self.shown_query and self.results.highlighted_hit is not None:
            keep = self.results.highlighted_hit.id
        self.shown_query = message.query
        self.results.show_hits(message.hits, keep)
        self.query_one("#kb-results-title", Static).update(self._results_title(message))
        if self._open_best_when_shown:
            self._open_best_when_shown = False
            self.action_open_highlighted()

    def _results_title(self, message: Results) -> Content:
        if message.error:
            return Content.styled(f"Search failed: {message.error}", "bold $error")
        count = len(message.hits)
        drafts = "" if self.include_drafts else ", drafts hidden"
        if not message.query.strip():
            # The list is by views, then title: say which of the two it shows.
            if any(hit.score > 0 for hit in message.hits):
                return Content(f"Most viewed first, then by title ({count}{drafts})")
            return Content(f"All articles by title, none viewed yet ({count}{drafts})")
        if reads.query_is_empty(message.query):
            return Content("Type a word to search")
        if not count:
            return Content.assemble("No article matches ", (repr(message.query.strip()), "bold"), drafts)
        more = "+" if count >= RESULT_LIMIT else ""
        return Content.assemble(f"{count}{more} best matches for ", (message.query.strip(), "bold"),
                                f" (best first{drafts})")

    # ------------------------------------------------------------ figures

    def load_figures(self) -> None:
        self._load_figures(self.app.desk.engine)

    @db_work(group="kb-figures", exclusive=True, what="Knowledge figures")
    def _load_figures(self, engine) -> None:
        figures = reads.figures(engine)
        if not get_current_worker().is_cancelled:
            self.post_message(self.FiguresLoaded(figures))

    @on(FiguresLoaded)
    def _figures_loaded(self, message: FiguresLoaded) -> None:
        self.figures = message.figures
        self._show_figures()

    # ------------------------------------------------------------ opening

    @on(OptionList.OptionSelected, "#kb-results")
    def _result_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.open_article(int(event.option.id))

    @on(OptionList.OptionSelected, "#kb-linked")
    def _linked_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.app.open_ticket(int(event.option.id))

    def open_article(self, article_id: int) -> None:
        """Show an article (counting a view); from other screens too (see show_article_in_knowledge)."""
        if not self._ready:
            self._pending_open = article_id
            return
        if self.detail is not None and self.detail.article.id == article_id:
            self._show_reading()
            return
        self._load_article(self.app.desk.engine, article_id, True)

    def _show_reading(self) -> None:
        self._set_reading(True)
        self.article_view.focus()

    @db_work(group="kb-article", exclusive=True)
    def _load_article(self, engine, article_id: int, count_view: bool) -> None:
        detail = open_article_detail(engine, article_id, count_view=count_view)
        if not get_current_worker().is_cancelled:
            self.post_message(self.ArticleLoaded(detail, count_view))

    @on(ArticleLoaded)
    async def _article_loaded(self, message: ArticleLoaded) -> None:
        await self.article_view.show(message.detail)
        self._show_reading()
        self.refresh_bindings()
        if message.counted:
            self.load_figures()

    def action_open_highlighted(self) -> None:
        hit = self.results.highlighted_hit
        if hit is None:
            self.notify("No article matches: nothing to open.", severity="warning")
            return
        self.open_article(hit.id)

    def action_focus_search(self) -> None:
        search = self.query_one("#kb-search", Input)
        if search.has_focus:
            return  # already there: "/" is not typed
        self._set_reading(False)
        search.focus()

    def action_focus_results(self) -> None:
        if not self.results.hits:
            return
        self._set_reading(False)
        self.results.focus()
        if self.results.highlighted is None:
            self.results.highlighted = 0

    def action_back(self) -> None:
        """esc: from the article back to the results, else clear the search, else leave."""
        search = self.query_one("#kb-search", Input)
        focused = self.focused
        in_article = focused is not None and (focused is self.article_view or self.article_view in focused.ancestors)
        if in_article or (self.narrow and self.query_one("#kb-body").has_class("-reading")):
            self._set_reading(False)
            self.results.focus()
        elif focused is search and search.value:
            search.value = ""
        else:
            self.app.action_back()

    # ------------------------------------------------------------ votes, publish, edit

    def _open_record(self) -> ArticleRecord | None:
        if self.detail is None:
            self.notify("Open an article first (enter on a result).", severity="warning")
            return None
        return self.detail.article

    def action_vote(self, helpful: bool) -> None:
        article = self._open_record()
        if article is None:
            return
        if article.id in self._voted:
            self.notify(f"You already rated {article.external_id} in this session.", severity="warning",
                        markup=False)
            return
        self._voted.add(article.id)
        word = "helpful" if helpful else "not helpful"
        self._write(lambda engine: kb.vote(engine, article.id, helpful, actor=self.app.desk.actor),
                    f"{article.external_id} rated {word}. Thank you.", body_changed=False)

    def action_toggle_publish(self) -> None:
        article = self._open_record()
        if article is None:
            return
        status = "published" if article.status == "draft" else "draft"
        note = f"{article.external_id} published" if status == "published" else f"{article.external_id} is a draft again"
        self._write(lambda engine: kb.set_status(engine, article.id, status, actor=self.app.desk.actor), note, body_changed=False)

    def action_edit(self) -> None:
        article = self._open_record()
        if article is None:
            return
        from deskui.tui.screens.modals import EditorError, edit_in_editor

        original = kb.article_markdown(article)
        text = self._edit_drafts.get(article.id, original)
        try:
            edited = edit_in_editor(self.app, text, suffix=".md")
        except EditorError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if edited == original or not edited.strip():
            self._edit_drafts.pop(article.id, None)
            self.notify(f"{article.external_id}: no changes.", markup=False)
            return
        self._edit_drafts[article.id] = edited
        self._write(lambda engine: kb.update_article(engine, article.id, edited, actor=self.app.desk.actor),
                    f"{article.external_id} saved", body_changed=True, edited=article.id)

    def action_toggle_drafts(self) -> None:
        self.include_drafts = not self.include_drafts
        self._update_note()
        self.notify("Drafts shown (marked DRAFT)." if self.include_drafts else "Drafts hidden.")
        self.start_search(self.query_text)

    def action_refresh(self) -> None:
        self.start_search(self.query_text)
        self.load_figures()
        if self.detail is not None:
            self._load_article(self.app.desk.engine, self.detail.article.id, False)

    def _write(self, call: Callable, note: str, *, body_changed: bool, edited: int | None = None) -> None:
        if self.saving:
            self.notify("Still saving the previous change; try again in a moment.", severity="warning")
            return
        self.saving = True
        self._run_write(self.app.desk.engine, call, note, body_changed, edited)

    @db_work(group="kb-write", what="Not saved", on_failure="_write_failed")
    def _run_write(self, engine, call: Callable, note: str, body_changed: bool, edited: int | None) -> None:
        try:
            article = call(engine)
        except DeskError as exc:  # the analyst's to fix: say what, keep the edit
            message = str(exc).splitlines()[0]
            if edited is not None:
                message += " -- press e to fix it (your edit is kept)"
            self.post_message(self.Failed(message, "Not saved"))
            return
        self.post_message(self.ArticleSaved(article, note, body_changed, edited))

    def _write_failed(self, _line: str) -> None:
        self.saving = False

    @on(ArticleSaved)
    async def _article_saved(self, message: ArticleSaved) -> None:
        self.saving = False
        if message.edited is not None:
            self._edit_drafts.pop(message.edited, None)
        if message.body_changed and self.detail is not None:
            await self.article_view.show(ArticleDetail(message.article, self.detail.linked))
        else:
            self.article_view.update_article(message.article)
        self.notify(message.note, markup=False)
        self.start_search(self.query_text)
        self.load_figures()

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        self.saving = False
        self.notify(message.error, title=message.title, severity="error", markup=False)


async def show_article_in_knowledge(app, article_id: int) -> None:
    """Switch to the knowledge screen and open an article there (e.g. a draft just made from a ticket)."""
    await app.switch_mode("knowledge")
    screen = next((s for s in reversed(app.screen_stack) if isinstance(s, KnowledgeScreen)), None)
    if screen is None:
        return
    screen.open_article(article_id)
    if app.screen is not screen:
        app.notify("The article is open in the knowledge screen (esc to get there).")
