"""The ticket screen's knowledge keys (issue 4 item 4), a layer over the screen:
``f`` focuses the suggestions list, ``L`` links (or unlinks) the chosen article
and writes the "linked" TicketEvent, ``i`` opens the reply composer with the
article's numbered steps (or the start of its text) as plain text, ``D`` turns
a resolution into a draft article (the chosen similar ticket's, else this
ticket's) and offers to open it in the knowledge screen.

The list they act on is the :class:`~deskui.tui.widgets.ticket_suggestions.TicketSuggestions`
inside the layer.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, Static

from deskui.domain.permissions import Action
from deskui.errors import DeskError
from deskui.reads import knowledge as reads
from deskui.reads.knowledge import ArticleRecord
from deskui.tui.permissions import PermissionGate
from deskui.tui.widgets.kb_format import reply_text
from deskui.tui.widgets.ticket_actions import TicketActions
from deskui.tui.widgets.ticket_feature import PaletteCommand, ReloadTicket, TicketFeature
from deskui.tui.widgets.ticket_format import safe_line
from deskui.tui.widgets.ticket_suggestions import Choice, TicketSuggestions
from deskui.tui.workers import db_work

# Listed by ? and in the palette; the list's own hint line shows them too.
TICKET_KB_BINDINGS = [
    Binding("f", "kb_focus", "Suggestions", id="ticket.kb_suggestions", show=False),
    Binding("L", "kb_link", "Link/unlink article", id="ticket.kb_link", show=False),
    Binding("i", "kb_insert", "Insert article steps", id="ticket.kb_insert", show=False),
    Binding("D", "kb_draft", "Draft article from resolution", id="ticket.kb_draft", show=False),
]


def open_draft_modal(question: str):
    """A yes/no question wide enough for an article title (the shared ConfirmModal is sized for "Quit?")."""
    from deskui.tui.screens.bulk import ConfirmModal

    class OpenDraftModal(ConfirmModal):
        def compose(self) -> ComposeResult:
            with Vertical(classes="dialog"):
                yield Static(Content(self.question), classes="dialog-title")
                yield Label(Content("y open it · n stay here"), classes="dialog-help")

    return OpenDraftModal(question)


class TicketKnowledgeKeys(PermissionGate, TicketFeature):
    """Articles and similar tickets for the ticket on the screen."""

    BINDINGS = TICKET_KB_BINDINGS
    PERMISSIONS = {"kb_link": Action.LINK, "kb_insert": Action.REPLY, "kb_draft": Action.DRAFTS}

    class ArticleRead(Message):
        def __init__(self, article: ArticleRecord) -> None:
            super().__init__()
            self.article = article

    class Drafted(Message):
        def __init__(self, article: ArticleRecord, source: int) -> None:
            super().__init__()
            self.article, self.source = article, source

    def palette_commands(self) -> list[PaletteCommand]:
        n = f"#{self.ticket_id}"
        return [
            (f"Knowledge suggestions ({n})", "Articles and similar resolved tickets  [f]", self.action_kb_focus),
            (f"Link or unlink article ({n})", "The chosen suggested article  [L]", self.action_kb_link),
            (f"Insert article steps into a reply ({n})", "Numbered steps as plain text  [i]", self.action_kb_insert),
            (f"Draft article from resolution ({n})", "A resolved ticket's notes become a draft  [D]",
             self.action_kb_draft),
        ]

    @property
    def suggestions(self) -> TicketSuggestions | None:
        found = self.query(TicketSuggestions)
        return found.first() if found else None

    def action_kb_focus(self) -> None:
        widget = self.suggestions
        if widget is not None:
            widget.focus_list()

    def _chosen_article(self, key: str) -> Choice | None:
        """The highlighted article, once the analyst is looking at the list: the first
        press of the key only moves there, so nothing happens to an unseen row."""
        widget = self.suggestions
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

    # ------------------------------------------------------------ link

    def action_kb_link(self) -> None:
        choice = self._chosen_article("L")
        seen = self.ready() if choice is not None else None
        if choice is None or seen is None:
            return
        from deskui.services import knowledge

        engine, username, ticket_id = self.engine, self.actor, self.ticket_id  # the Actor: its role is checked
        if choice.linked:
            self.submit("kb", f"{choice.label} unlinked from #{ticket_id}", seen,
                        lambda _v: knowledge.unlink_article(engine, choice.id, ticket_id, username))
        else:
            self.submit("kb", f"{choice.label} linked to #{ticket_id}", seen,
                        lambda _v: knowledge.link_article(engine, choice.id, ticket_id, username))

    # ------------------------------------------------------------ insert steps

    def action_kb_insert(self) -> None:
        choice = self._chosen_article("i")
        if choice is None or self.ready() is None:
            return
        self._read_article(self.engine, choice.id)

    @db_work(group="ticket-kb")
    def _read_article(self, engine, article_id: int) -> None:
        self.post_message(self.ArticleRead(reads.article(engine, article_id)))

    def on_ticket_knowledge_keys_article_read(self, message: ArticleRead) -> None:
        message.stop()
        article = message.article
        self.query_one(TicketActions).add_to_reply(reply_text(article.external_id, article.title, article.body))

    # ------------------------------------------------------------ draft article

    def action_kb_draft(self) -> None:
        """Draft from the chosen similar ticket when the list has it, else from this ticket."""
        ticket = self.ready()
        if ticket is None:
            return
        widget = self.suggestions
        choice = widget.chosen if widget is not None and widget.list_focused else None
        source = choice.id if choice is not None and choice.kind == "ticket" else self.ticket_id
        if source == self.ticket_id and ticket.status not in ("resolved", "closed"):
            self.notify(f"#{self.ticket_id} is {ticket.status}: resolve it first (x), or choose a similar "
                        "resolved ticket in the suggestions (f) and press D.", severity="warning", markup=False)
            return
        self._make_draft(self.engine, self.actor, source)

    @db_work(group="ticket-kb", what="No draft")
    def _make_draft(self, engine, username, source: int) -> None:
        from deskui.services.knowledge import draft_from_ticket

        try:
            article = draft_from_ticket(engine, source, username)
        except DeskError as exc:  # e.g. no resolution notes yet: the analyst's to fix
            self.app.call_from_thread(self.notify, str(exc).splitlines()[0], title="No draft", severity="error",
                                      markup=False)
            return
        self.post_message(self.Drafted(article, source))

    def on_ticket_knowledge_keys_drafted(self, message: Drafted) -> None:
        message.stop()
        article, source = message.article, message.source
        if source == self.ticket_id:
            self.tell(ReloadTicket())  # the draft is linked to its ticket: a new "linked" event
        question = (f"Draft {article.external_id} \"{safe_line(article.title)}\" is ready (from #{source}'s "
                    "resolution). Open it in the knowledge screen?")

        async def answered(yes: bool | None) -> None:
            if yes:
                from deskui.tui.screens.knowledge import show_article_in_knowledge

                await show_article_in_knowledge(self.app, article.id)

        self.app.push_screen(open_draft_modal(question), answered)
