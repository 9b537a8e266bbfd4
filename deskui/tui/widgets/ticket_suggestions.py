"""Knowledge on the ticket screen (issue 4 item 4): the articles linked to the
ticket, the articles its subject and description suggest, and similar resolved
tickets with their resolution notes (deskui.reads.suggestions), read in a
worker when mounted and again whenever the screen's reading of the ticket
(bound to ``ticket_view``) shows the history moved on (e.g. after a link).
Enter on an article opens it in the knowledge screen; on a ticket, opens that
ticket. The keys that act on the list are deskui.tui.widgets.ticket_kb_keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import var
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from deskui.errors import DeskError
from deskui.reads.knowledge import LinkedArticle
from deskui.reads.suggestions import Suggestions, suggestions
from deskui.reads.ticket import TicketView
from deskui.tui.widgets.kb_format import LINKED_STYLE, MUTED, draft_mark, hit_content, ticket_hit_content
from deskui.tui.widgets.kb_results import FittedOptionList
from deskui.tui.widgets.ticket_format import safe_line
from deskui.tui.workers import db_work


@dataclass(frozen=True)
class Choice:
    """The highlighted row: an article (linked or suggested) or a similar ticket."""

    kind: str  # "article" | "ticket"
    id: int
    label: str  # KB0001 / #123
    title: str
    linked: bool = False


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

    #: The ticket as the screen last read it (data-bound): a newer history means a new reading here.
    ticket_view: var[TicketView | None] = var(None, always_update=True)

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

    def watch_ticket_view(self, view: TicketView | None) -> None:
        """Read again when the history moved on since (a link, a resolution), so the
        list shows what is linked."""
        if view is None:
            return
        self._wanted_mark = max(self._wanted_mark, view.last_event_id)
        if self.data is not None and view.last_event_id != self.data.event_mark:
            self.reload()

    def reload(self) -> None:
        self._read(self.app.desk.engine, self.ticket_id)

    @db_work(group="kb-suggestions", exclusive=True, what="Knowledge suggestions")
    def _read(self, engine, ticket_id: int) -> None:
        try:
            found = suggestions(engine, ticket_id)
        except DeskError:
            return  # no such ticket: the screen says so
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
        # "no good suggestion": articles matched, but none shares enough with the ticket (issue 15.13).
        options.append(heading("Suggested articles" if data.articles else
                               "Suggested articles: no good suggestion" if data.weak_articles
                               else "Suggested articles: none found"))
        for hit in data.articles:
            add(f"a{hit.id}", hit_content(hit, width=width, snippet_lines=1),
                Choice("article", hit.id, hit.external_id, hit.title))
        options.append(heading("Similar resolved tickets" if data.tickets
                               else "Similar resolved tickets: no good suggestion" if data.weak_tickets
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
