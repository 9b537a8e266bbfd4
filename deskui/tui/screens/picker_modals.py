"""The ticket's dialogs that offer a list from the database: escalate (groups),
assign (the analysts of a group with their open load) and canned responses.

Each list is read in a worker (deskui.tui.workers) through deskui.reads.directory:
when the database cannot be read the dialog stays open with an empty list and
the analyst sees one line; the app keeps running. Names and titles from the
database are shown as ``Content``, never markup.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from deskui.reads import directory
from deskui.reads.directory import AssignChoices, CannedChoices, CannedRecord, GroupRecord, MemberLoad
from deskui.services.actors import Actor
from deskui.services.canned import render_canned
from deskui.store.records import TicketRecord
from deskui.tui.screens.modals import AssignChoice, DeskModal, EscalateDraft, Outcome
from deskui.tui.widgets.ticket_format import safe, safe_line
from deskui.tui.workers import db_work


def group_option(group: GroupRecord) -> tuple[Content, str]:
    """A group as a Select option: its name as typed (never markup) and its tier."""
    return Content.assemble(safe_line(group.name), f" (tier {group.tier})"), group.name


class ListRead(Message):
    """A dialog's list, read in its worker, for the dialog to show."""

    def __init__(self, found: object) -> None:
        super().__init__()
        self.found = found


# ------------------------------------------------------------------ escalate

class EscalateModal(DeskModal[Outcome[EscalateDraft]]):
    """Up a tier and/or to another group, with a reason."""

    TITLE_TEXT = "Escalate"
    SUBMIT_LABEL = "Escalate"

    def __init__(self, ticket: TicketRecord, draft: EscalateDraft | None = None) -> None:
        super().__init__(ticket)
        self.initial = draft or EscalateDraft(tier=min(ticket.tier + 1, 3))

    def compose_fields(self) -> ComposeResult:
        yield Label(Content(f"Tier (now {self.ticket.tier})"), classes="field-label")
        tier = self.initial.tier if self.initial.tier is not None else Select.NULL
        yield Select([(f"tier {n}", n) for n in (1, 2, 3)], id="escalate-tier", value=tier,
                     prompt="keep the tier (or the group's)")
        yield Label(Content.assemble("Group (now ", safe_line(self.ticket.group or "none"), ")"), classes="field-label")
        yield Select([], id="escalate-group", prompt="keep the current group")
        yield Label("Reason (required)", classes="field-label")
        yield Input(self.initial.reason, id="escalate-reason", placeholder="what was tried, why it needs the next tier")

    def on_mount(self) -> None:
        self.query_one("#escalate-reason").focus()
        self._load_groups()

    @db_work(group="escalate-groups", exclusive=True, what="Groups")
    def _load_groups(self) -> None:
        self.post_message(ListRead(directory.groups(self.app.desk.engine)))

    @on(ListRead)
    def _show_groups(self, message: ListRead) -> None:
        found: list[GroupRecord] = message.found
        select = self.query_one("#escalate-group", Select)
        select.set_options([group_option(g) for g in found if g.name != self.ticket.group])
        if self.initial.group:
            select.value = self.initial.group

    def draft(self) -> EscalateDraft:
        tier = self.query_one("#escalate-tier", Select).value
        group = self.query_one("#escalate-group", Select).value
        return EscalateDraft(tier=None if tier is Select.NULL else int(tier),
                             group=None if group is Select.NULL else str(group),
                             reason=self.query_one("#escalate-reason", Input).value)

    def action_submit(self) -> None:
        draft = self.draft()
        if not draft.reason.strip():
            self.show_error("Escalating needs a reason.")
            return
        if draft.tier is None and draft.group is None:
            self.show_error("Choose a tier, a group, or both.")
            return
        self.dismiss(Outcome(draft, send=True))

    def action_cancel(self) -> None:
        draft = self.draft()
        self.dismiss(Outcome(draft if draft.reason.strip() else None, send=False))


# ------------------------------------------------------------------ assign

class AssignModal(DeskModal[AssignChoice]):
    """Pick an analyst of a group, least loaded first; changing the group moves the ticket too."""

    FLEX_SELECTOR, FLEX_MAX, FIXED_ROWS, FLEX_STYLE = "#assign-members", 14, 17, "max_height"

    TITLE_TEXT = "Assign"
    SUBMIT_LABEL = "Assign"

    DEFAULT_CSS = """
    AssignModal #assign-members { height: auto; max-height: 14; }
    """

    UNASSIGN = "\x00unassign"

    def __init__(self, ticket: TicketRecord) -> None:
        super().__init__(ticket)
        self.members: tuple[MemberLoad, ...] = ()

    def compose_fields(self) -> ComposeResult:
        yield Label("Group", classes="field-label")
        yield Select([], id="assign-group", prompt="all analysts")
        yield Label("Analyst (open tickets each holds)", classes="field-label")
        yield OptionList(id="assign-members")
        yield Static(Content("enter assigns · shift+tab to choose another group"), classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#assign-members").focus()
        self._load_groups()

    class MembersRead(Message):
        def __init__(self, members: tuple[MemberLoad, ...]) -> None:
            super().__init__()
            self.members = members

    @db_work(group="assign-groups", exclusive=True, what="Analysts")
    def _load_groups(self) -> None:
        self.post_message(ListRead(directory.assign_choices(self.app.desk.engine, self.ticket.group_id)))

    @on(ListRead)
    def _show_groups(self, message: ListRead) -> None:
        choices: AssignChoices = message.found
        select = self.query_one("#assign-group", Select)
        with self.prevent(Select.Changed):
            select.set_options([group_option(g) for g in choices.groups])
            if self.ticket.group:
                select.value = self.ticket.group
        self._show_members(choices.members)

    @on(Select.Changed, "#assign-group")
    def _group_changed(self, event: Select.Changed) -> None:
        self._load_members(None if event.value is Select.NULL else str(event.value))

    @db_work(group="assign-members", exclusive=True, what="Analysts")
    def _load_members(self, group_name: str | None) -> None:
        self.post_message(self.MembersRead(tuple(directory.members_of_group(self.app.desk.engine, group_name))))

    @on(MembersRead)
    def _members_read(self, message: MembersRead) -> None:
        self._show_members(message.members)

    def _show_members(self, members: tuple[MemberLoad, ...]) -> None:
        self.members = members
        options = self.query_one("#assign-members", OptionList)
        options.clear_options()
        width = max([len(m.username) for m in members] + [8])
        rows = [Option(Content.styled("(unassign)", "italic $foreground-muted"), id=self.UNASSIGN)]
        for m in members:
            load_style = "$error" if m.open_count >= 10 else "$warning" if m.open_count >= 5 else "$success"
            parts = [(f"{m.username:<{width}}", "bold"), "  ", f"{safe_line(m.name)[:28]:<28}", f"  T{m.tier}  ",
                     (f"{m.open_count:>3} open", load_style)]
            if m.away:
                parts.append(("  away", "italic $foreground-muted"))
            if m.analyst_id == self.ticket.assignee_id:
                parts.append(("  (current)", "$accent"))
            rows.append(Option(Content.assemble(*parts), id=m.username))
        options.add_options(rows)
        current = next((i + 1 for i, m in enumerate(members) if m.analyst_id == self.ticket.assignee_id), None)
        options.highlighted = current if current is not None else (1 if members else 0)

    @on(OptionList.OptionSelected, "#assign-members")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        options = self.query_one("#assign-members", OptionList)
        if options.highlighted is None:
            self.show_error("Choose an analyst.")
            return
        option_id = options.get_option_at_index(options.highlighted).id
        group = self.query_one("#assign-group", Select).value
        group_name = None if group is Select.NULL or group == self.ticket.group else str(group)
        self.dismiss(AssignChoice(username=None if option_id == self.UNASSIGN else option_id, group=group_name))


# ------------------------------------------------------------------ canned responses

class CannedResponseModal(DeskModal[str]):
    """Choose a stored reply; the preview shows it with the placeholders filled in."""

    FLEX_SELECTOR, FLEX_MAX, FIXED_ROWS = "#canned-row", 18, 9

    TITLE_TEXT = "Canned response for"
    SUBMIT_LABEL = "Insert"

    DEFAULT_CSS = """
    CannedResponseModal > #dialog { width: 110; }
    CannedResponseModal #canned-row { height: 18; }
    CannedResponseModal #canned-list { width: 34; height: 100%; }
    CannedResponseModal #canned-preview-scroll { width: 1fr; height: 100%; border: round $primary 50%; }
    CannedResponseModal #canned-preview { padding: 0 1; }
    """

    def __init__(self, ticket: TicketRecord, actor: Actor) -> None:
        super().__init__(ticket)
        self.actor = actor
        self.templates: tuple[CannedRecord, ...] = ()
        self.analyst_email = ""

    def compose_fields(self) -> ComposeResult:
        with Horizontal(id="canned-row"):
            yield OptionList(id="canned-list")
            with VerticalScroll(id="canned-preview-scroll"):
                yield Static("", id="canned-preview")

    def on_mount(self) -> None:
        self.query_one("#canned-list").focus()
        self._load()

    @db_work(group="canned-load", exclusive=True, what="Canned responses")
    def _load(self) -> None:
        self.post_message(ListRead(directory.canned_choices(self.app.desk.engine, self.actor.id)))

    @on(ListRead)
    def _show(self, message: ListRead) -> None:
        choices: CannedChoices = message.found
        templates = choices.templates
        self.templates = templates
        self.analyst_email = choices.analyst_email
        options = self.query_one("#canned-list", OptionList)
        options.clear_options()
        options.add_options([Option(Content(safe_line(t.name)), id=str(t.id)) for t in templates])
        if templates:
            options.highlighted = 0
            self._preview(0)
        else:
            self.show_error("No canned responses stored: seed them with `deskui seed canned FILE`.")

    def rendered(self, index: int) -> str:
        return render_canned(self.templates[index].body, self.ticket, self.actor, analyst_email=self.analyst_email)

    @on(OptionList.OptionHighlighted, "#canned-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._preview(event.option_index)

    def _preview(self, index: int) -> None:
        if 0 <= index < len(self.templates):
            self.query_one("#canned-preview", Static).update(Content(safe(self.rendered(index))))

    @on(OptionList.OptionSelected, "#canned-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        highlighted = self.query_one("#canned-list", OptionList).highlighted
        if highlighted is None or not self.templates:
            self.show_error("Choose a response.")
            return
        self.dismiss(self.rendered(highlighted))
