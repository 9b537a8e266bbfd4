"""The ticket's operations panel (issue 7): it appears when there is something
to say -- the ticket's problem, a known error it matches (with the workaround,
at once), the request's approval and checklist, linked bulletins, and routing
suggestions for a ticket with no category or group.

It reads deskui.reads.ops in a worker when mounted, and again whenever the
ticket screen's reading of the ticket (bound to ``ticket_view``) shows the
history moved on since. The keys that act on it are
deskui.tui.widgets.ticket_ops_keys.
"""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.reactive import reactive, var
from textual.widget import Widget
from textual.worker import get_current_worker

from deskui.errors import DeskError
from deskui.reads.ops import OpsView, ops_view
from deskui.reads.ticket import TicketView
from deskui.tui.workers import db_work


def render_ops(view: OpsView) -> Text:
    text = Text()

    def title(label: str) -> None:
        if text:
            text.append("\n")
        text.append(label + "\n", style="bold")

    if view.problem is not None:
        p = view.problem
        title(f"Problem {p.ref} · {p.status.replace('_', ' ')}")
        text.append(p.title + "\n")
        if p.workaround:
            text.append("Workaround: ", style="bold")
            text.append(p.workaround + "\n")
    for match in view.known_errors[:2]:
        title(f"⚑ Known error {match.ref} matches ({match.reason})")
        text.append(match.title + "\n")
        text.append("Workaround: ", style="bold")
        text.append((match.workaround or "—") + "\n")
        text.append("l: link this incident to it\n", style="italic")
    if view.request is not None:
        r = view.request
        waiting = ", ".join(a.approver for a in r.approvals if a.decision == "pending")
        approval = {"pending": f"awaiting approval ({r.approval_mode}: {waiting})", "approved": "approved",
                    "rejected": "rejected", "not_required": "no approval needed"}.get(r.approval, r.approval)
        title(f"Request: {r.item_name} · {approval}")
        for _, label, value in r.answers:
            text.append(f"{label}: ", style="bold")
            text.append(value + "\n")
        for a in r.approvals:
            if a.decision != "pending":
                text.append(f"{a.approver} {a.decision}" + (f": {a.comment}" if a.comment else "") + "\n")
        if r.checklist:
            text.append(f"Checklist {r.progress}\n", style="bold")
            for step in r.checklist:
                text.append(f"[{'x' if step.done else ' '}] {step.position}. ")
                text.append(step.text + "\n", style="dim" if step.done else "")
        keys = "A approve · R reject" if r.approval == "pending" else "d tick a step"
        text.append(keys + "\n", style="italic")
    for b in view.bulletins:
        title(f"Bulletin {b.ref} [{b.severity}]" + ("" if b.ends_at else ""))
        text.append(b.title + "\n")
    if view.routing is not None and not view.routing.empty:
        r = view.routing
        title("Suggested routing (trained model)" if r.source == "model" else
              "Suggested routing (similar resolved tickets)")
        if r.weak:  # issue 15.13: neighbours found, but they share too little with this ticket
            text.append(f"No good suggestion: the closest share {r.confidence:.0%} of this ticket's words "
                        "(weighted by rarity)\n")
        if r.categories:
            text.append("Category: ", style="bold")
            text.append(", ".join(f"{s.name} {s.share:.0%}" for s in r.categories) + "\n")
        if r.groups:
            text.append("Group: ", style="bold")
            text.append(", ".join(f"{s.name} {s.share:.0%}" for s in r.groups) + "\n")
        if r.source == "model" and not (r.categories or r.groups):
            text.append("No suggestion: the model's confidence is under its threshold\n")
        text.append(f"w: the {len(r.evidence)} similar tickets\n", style="italic")
    text.rstrip()
    return text


class OpsPanel(Widget):
    """Problem, known error, request, bulletins and routing for one ticket; hidden when empty."""

    DEFAULT_CSS = """
    OpsPanel { height: auto; max-height: 12; display: none; padding: 0 1; background: $boost;
               border-left: thick $accent; }
    OpsPanel.-shown { display: block; }
    OpsPanel.-known-error { border-left: thick $warning; }
    """

    data: reactive[OpsView | None] = reactive(None, layout=True)
    #: The ticket as the screen last read it (data-bound): a newer history means a new reading here.
    ticket_view: var[TicketView | None] = var(None, always_update=True)

    class Loaded(Message):
        def __init__(self, view: OpsView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, ticket_id: int, **kwargs) -> None:
        kwargs.setdefault("id", "ops-panel")
        super().__init__(**kwargs)
        self.ticket_id = ticket_id

    def on_mount(self) -> None:
        self.reload()

    def watch_ticket_view(self, view: TicketView | None) -> None:
        if view is not None and self.data is not None and view.last_event_id != self.data.event_mark:
            self.reload()

    def reload(self) -> None:
        self._read(self.app.desk.engine, self.ticket_id)

    @db_work(group="ops-panel", exclusive=True, what="Operations panel")
    def _read(self, engine, ticket_id: int) -> None:
        try:
            view = ops_view(engine, ticket_id)
        except DeskError:
            return  # no such ticket: the screen says so
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(view))

    def on_ops_panel_loaded(self, message: Loaded) -> None:
        self.data = message.view
        seen = self.ticket_view
        if seen is not None and message.view.event_mark < seen.last_event_id:
            self.reload()  # read before a change the screen has seen since

    def watch_data(self, view: OpsView | None) -> None:
        self.set_class(view is not None and not view.empty, "-shown")
        self.set_class(bool(view and view.known_errors), "-known-error")

    def render(self) -> Text:
        return render_ops(self.data) if self.data is not None else Text("")
