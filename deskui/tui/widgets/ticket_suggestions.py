"""Knowledge on the ticket screen (issue 4 item 4).

- :class:`TicketSuggestions`: the articles linked to the ticket, the articles
  its subject and description suggest, and similar resolved tickets with their
  resolution notes, read in a worker (and again after the ticket's history
  grows, e.g. after a link). Enter on an article opens it in the knowledge
  screen; on a ticket, opens that ticket.
- :class:`TicketKnowledgeActions`, mixed into ``TicketScreen``: ``f`` focuses
  the list, ``L`` links (or unlinks) the chosen article and writes the
  "linked" TicketEvent, ``i`` opens the reply composer with the article's
  numbered steps (or the start of its text) as plain text, ``D`` turns a
  resolution into a draft article (the chosen similar ticket's, else this
  ticket's) and offers to open it in the knowledge screen.

The mixin relies on the ticket screen's ``ticket_id``, ``_ready()``,
``_submit(key, label, seen, call)`` and ``_open_composer(internal, draft)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy.exc import OperationalError
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from deskui.errors import DeskError
from deskui.services.knowledge import LinkedArticle
from deskui.store.search import ArticleHit, TicketHit
from deskui.tui.widgets.kb_format import LINKED_STYLE, MUTED, draft_mark, hit_content, ticket_hit_content
from deskui.tui.widgets.kb_results import FittedOptionList
from deskui.tui.widgets.ticket_format import safe_line

#: Suggested articles and similar tickets shown (each).
SUGGESTION_LIMIT = 4

# Listed by ? and in the palette; the list's own hint line shows them too.
TICKET_KB_BINDINGS = [
    Binding("f", "kb_focus", "Suggestions", id="ticket.kb_suggestions", show=False),
    Binding("L", "kb_link", "Link/unlink article", id="ticket.kb_link", show=False),
    Binding("i", "kb_insert", "Insert article steps", id="ticket.kb_insert", show=False),
    Binding("D", "kb_draft", "Draft article from resolution", id="ticket.kb_draft", show=False),
]


@dataclass(frozen=True)
class Suggestions:
    ticket_id: int
    linked: tuple[LinkedArticle, ...]
    articles: tuple[ArticleHit, ...]  # suggested and not linked yet
    tickets: tuple[TicketHit, ...]
    event_mark: int  # the ticket's newest event id when read


@dataclass(frozen=True)
class Choice:
    """The highlighted row: an article (linked or suggested) or a similar ticket."""

    kind: str  # "article" | "ticket"
    id: int
    label: str  # KB0001 / #123
    title: str
    linked: bool = False


def load_suggestions(engine, ticket_id: int, limit: int = SUGGESTION_LIMIT) -> Suggestions:
    from deskui.services.knowledge import linked_articles
    from deskui.store.db import session_scope
    from deskui.store.directory_queries import ticket_last_event_id
    from deskui.store.search import articles_for_ticket, similar_to_ticket

    with session_scope(engine) as session:
        mark = ticket_last_event_id(session, ticket_id)
        linked = tuple(linked_articles(session, ticket_id))
        found = articles_for_ticket(session, ticket_id, limit=limit + len(linked))
        tickets = tuple(similar_to_ticket(session, ticket_id, limit=limit))
    linked_ids = {link.article_id for link in linked}
    articles = tuple(hit for hit in found if hit.id not in linked_ids)[:limit]
    return Suggestions(ticket_id, linked, articles, tickets, mark)


def linked_article_content(link: LinkedArticle, width: int = 0) -> Content:
    parts: list = [("✓ ", LINKED_STYLE), (link.external_id, MUTED), " "]
    if link.status == "draft":
        parts += [draft_mark(link.status), " "]
    parts.append((safe_line(link.title), "bold"))
    parts.append((f"  linked by {safe_line(link.linked_by)}", MUTED))
    content = Content.assemble(*parts)
    return content.truncate(width, ellipsis=True) if width > 4 else content


def heading(text: str) -> Option:
    return Option(Content.styled(text, "bold"), disabled=True)


class SuggestionList(FittedOptionList):
    """The rows of :class:`TicketSuggestions` (which builds them)."""

    def __init__(self, owner: "TicketSuggestions", *, id: str | None = None) -> None:
        super().__init__(Option(Content.styled("Looking for related articles and tickets…", MUTED), disabled=True),
                         id=id)
        self.owner = owner

    def build_options(self, width: int) -> list[Option]:
        return self.owner.build_options(width)


class TicketSuggestions(Vertical):
    """Linked and suggested articles, similar resolved tickets; one list, headings between."""

    DEFAULT_CSS = """
    TicketSuggestions { height: auto; padding: 0 1; }
    TicketSuggestions #kb-suggestions { height: auto; max-height: 18; border: none; padding: 0;
                                        background: transparent;
                                        scrollbar-size-vertical: 1; }
    TicketSuggestions #kb-suggestions:focus { background-tint: $foreground 0%; }
    TicketSuggestions #kb-suggestions > .option-list--option-disabled { color: $accent; }
    TicketSuggestions #kb-suggestions-hint { color: $foreground-muted; height: auto; }
    """

    class Loaded(Message):
        def __init__(self, suggestions: Suggestions) -> None:
            super().__init__()
            self.suggestions = suggestions

    def __init__(self, ticket_id: int, **kwargs) -> None:
        kwargs.setdefault("id", "ticket-kb")
        super().__init__(**kwargs)
        self.ticket_id = ticket_id
        self.data: Suggestions | None = None
        self.choices: dict[str, Choice] = {}
        self._wanted_mark = 0

    def compose(self) -> ComposeResult:
        yield SuggestionList(self, id="kb-suggestions")
        yield Static(Content("enter open · L link/unlink · i insert steps in a reply · D draft article from "
                             "a resolution"), id="kb-suggestions-hint")

    @property
    def options(self) -> SuggestionList:
        return self.query_one(SuggestionList)

    def on_mount(self) -> None:
        self.reload()

    def follow(self, event_mark: int) -> None:
        """Called by the ticket screen after each reload: read again when the history
        moved on since (a link, a resolution), so the list shows what is linked."""
        self._wanted_mark = max(self._wanted_mark, event_mark)
        if self.data is not None and event_mark != self.data.event_mark:
            self.reload()

    def reload(self) -> None:
        self._read(self.app.desk.engine, self.ticket_id)

    @work(thread=True, exclusive=True, group="kb-suggestions", exit_on_error=False)
    def _read(self, engine, ticket_id: int) -> None:
        try:
            found = load_suggestions(engine, ticket_id)
        except (DeskError, OperationalError):
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(found))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        self.data = message.suggestions
        self._rebuild()
        if self.data.event_mark < self._wanted_mark:  # read before a change the screen has seen
            self.reload()

    def _rebuild(self) -> None:
        keep = self.chosen
        self.options.rebuild(f"{'a' if keep.kind == 'article' else 't'}{keep.id}" if keep else None)

    def build_options(self, width: int) -> list[Option]:
        data = self.data
        if data is None:
            return [Option(Content.styled("Looking for related articles and tickets…", MUTED), disabled=True)]
        options: list[Option] = []
        choices: dict[str, Choice] = {}

        def add(option_id: str, prompt: Content, choice: Choice) -> None:
            options.append(Option(prompt, id=option_id))
            choices[option_id] = choice

        if data.linked:
            options.append(heading("Linked articles"))
            for link in data.linked:
                add(f"a{link.article_id}", linked_article_content(link, width),
                    Choice("article", link.article_id, link.external_id, link.title, linked=True))
        options.append(heading("Suggested articles" if data.articles else "Suggested articles: none found"))
        for hit in data.articles:
            add(f"a{hit.id}", hit_content(hit, width=width, snippet_lines=1),
                Choice("article", hit.id, hit.external_id, hit.title))
        options.append(heading("Similar resolved tickets" if data.tickets
                               else "Similar resolved tickets: none found"))
        for ticket in data.tickets:
            add(f"t{ticket.id}", ticket_hit_content(ticket, width=width),
                Choice("ticket", ticket.id, f"#{ticket.id}", ticket.subject))
        self.choices = choices
        return options

    @property
    def chosen(self) -> Choice | None:
        option = self.options.highlighted_option
        if option is None or option.id is None:
            return None
        return self.choices.get(option.id)

    @property
    def list_focused(self) -> bool:
        return self.options.has_focus

    def focus_list(self) -> None:
        self.options.focus()

    @on(OptionList.OptionSelected, "#kb-suggestions")
    async def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        choice = self.choices.get(event.option.id or "")
        if choice is None:
            return
        if choice.kind == "ticket":
            self.app.open_ticket(choice.id)
        else:
            from deskui.tui.screens.knowledge import show_article_in_knowledge

            await show_article_in_knowledge(self.app, choice.id)


def open_draft_modal(question: str):
    """A yes/no question wide enough for an article title (the shared ConfirmModal is sized for "Quit?")."""
    from textual.widgets import Label

    from deskui.tui.screens.bulk import ConfirmModal

    class OpenDraftModal(ConfirmModal):
        def compose(self) -> ComposeResult:
            with Vertical(classes="dialog"):
                yield Static(Content(self.question), classes="dialog-title")
                yield Label(Content("y open it · n stay here"), classes="dialog-help")

    return OpenDraftModal(question)


class TicketKnowledgeActions:
    """Mixed into the ticket screen: the knowledge keys."""

    def kb_palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        n = f"#{self.ticket_id}"
        return [
            (f"Knowledge suggestions ({n})", "Articles and similar resolved tickets  [f]", self.action_kb_focus),
            (f"Link or unlink article ({n})", "The chosen suggested article  [L]", self.action_kb_link),
            (f"Insert article steps into a reply ({n})", "Numbered steps as plain text  [i]", self.action_kb_insert),
            (f"Draft article from resolution ({n})", "A resolved ticket's notes become a draft  [D]",
             self.action_kb_draft),
        ]

    def _kb_widget(self) -> TicketSuggestions | None:
        found = self.query(TicketSuggestions)
        return found.first() if found else None

    def action_kb_focus(self) -> None:
        widget = self._kb_widget()
        if widget is not None:
            widget.focus_list()

    def _kb_chosen_article(self, key: str) -> Choice | None:
        """The highlighted article, once the analyst is looking at the list: the first
        press of the key only moves there, so nothing happens to an unseen row."""
        widget = self._kb_widget()
        if widget is None or widget.data is None:
            self.notify("Still looking for related articles…", severity="warning")
            return None
        if not widget.list_focused:
            widget.focus_list()
            self.notify(f"Choose an article with ↑/↓, then press {key}.")
            return None
        choice = widget.chosen
        if choice is None or choice.kind != "article":
            self.notify(f"{key} works on an article: choose one with ↑/↓.", severity="warning")
            return None
        return choice

    def action_kb_link(self) -> None:
        choice = self._kb_chosen_article("L")
        seen = self._ready() if choice is not None else None
        if choice is None or seen is None:
            return
        from deskui.services import knowledge

        engine, username, ticket_id = self.app.desk.engine, self.app.desk.actor.username, self.ticket_id
        if choice.linked:
            self._submit("kb", f"{choice.label} unlinked from #{ticket_id}", seen,
                         lambda _v: knowledge.unlink_article(engine, choice.id, ticket_id, username))
        else:
            self._submit("kb", f"{choice.label} linked to #{ticket_id}", seen,
                         lambda _v: knowledge.link_article(engine, choice.id, ticket_id, username))

    def action_kb_insert(self) -> None:
        choice = self._kb_chosen_article("i")
        if choice is None or self._ready() is None:
            return
        self._kb_read_article(self.app.desk.engine, choice.id)

    @work(thread=True, group="ticket-kb", exit_on_error=False)
    def _kb_read_article(self, engine, article_id: int) -> None:
        from deskui.services.knowledge import get_article
        from deskui.store.db import session_scope

        try:
            with session_scope(engine) as session:
                article = get_article(session, article_id)
        except (DeskError, OperationalError) as exc:
            self.app.call_from_thread(self.notify, str(exc).splitlines()[0], severity="error", markup=False)
            return
        self.app.call_from_thread(self._kb_insert_text, article)

    def _kb_insert_text(self, article) -> None:
        from deskui.tui.screens.modals import ComposeDraft
        from deskui.tui.widgets.kb_format import reply_text

        text = reply_text(article.external_id, article.title, article.body)
        current = self.drafts.get("compose")
        body = f"{current.body.rstrip()}\n\n{text}" if current and current.body.strip() else text
        internal = current.internal if current else False
        self._open_composer(internal=internal, draft=ComposeDraft(body, internal))

    def action_kb_draft(self) -> None:
        """Draft from the chosen similar ticket when the list has it, else from this ticket."""
        ticket = self._ready()
        if ticket is None:
            return
        widget = self._kb_widget()
        choice = widget.chosen if widget is not None and widget.list_focused else None
        source = choice.id if choice is not None and choice.kind == "ticket" else self.ticket_id
        if source == self.ticket_id and ticket.status not in ("resolved", "closed"):
            self.notify(f"#{self.ticket_id} is {ticket.status}: resolve it first (x), or choose a similar "
                        "resolved ticket in the suggestions (f) and press D.", severity="warning", markup=False)
            return
        self._kb_make_draft(self.app.desk.engine, self.app.desk.actor.username, source)

    @work(thread=True, group="ticket-kb", exit_on_error=False)
    def _kb_make_draft(self, engine, username: str, source: int) -> None:
        from deskui.services.knowledge import draft_from_ticket

        try:
            article = draft_from_ticket(engine, source, username)
        except (DeskError, OperationalError) as exc:
            self.app.call_from_thread(self.notify, str(exc).splitlines()[0], title="No draft", severity="error",
                                      markup=False)
            return
        self.app.call_from_thread(self._kb_drafted, article, source)

    def _kb_drafted(self, article, source: int) -> None:
        if source == self.ticket_id:
            self.reload()  # the draft is linked to its ticket: a new "linked" event
        question = (f"Draft {article.external_id} \"{safe_line(article.title)}\" is ready (from #{source}'s "
                    "resolution). Open it in the knowledge screen?")

        async def answered(yes: bool | None) -> None:
            if yes:
                from deskui.tui.screens.knowledge import show_article_in_knowledge

                await show_article_in_knowledge(self.app, article.id)

        self.app.push_screen(open_draft_modal(question), answered)
