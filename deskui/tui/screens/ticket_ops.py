"""Operations on the ticket screen (issue 7), kept out of the ticket screen's module:

- :class:`OpsPanel`, a side panel that appears when there is something to say:
  the ticket's problem, a known error it matches (with the workaround, at once),
  the request's approval and checklist, linked bulletins, and routing suggestions
  for a ticket with no category or group;
- :class:`TicketOpsActions`, the keys (mixed into ``TicketScreen``): ``l`` link to
  the known error, ``b`` link to the bulletin in force, ``A`` / ``R`` approve or
  reject a request, ``d`` tick a checklist step, ``w`` routing suggestions with
  their evidence (enter opens one, ``g`` moves the ticket to the suggested group).

The mixin relies on the ticket screen's ``ticket_id``, ``_ready()`` and
``_submit(key, label, seen, call)`` (a worker with the version the analyst saw,
conflict handling and a reload).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from deskui.errors import DeskError

# Not in the footer (the ticket's own keys are); listed by ? and in the palette.
TICKET_OPS_BINDINGS = [
    Binding("l", "link_known_error", "Link known error", id="ops.link_known_error", show=False),
    Binding("b", "link_bulletin", "Link bulletin", id="ops.ticket_link_bulletin", show=False),
    Binding("A", "approve", "Approve", id="ops.approve", show=False),
    Binding("R", "reject", "Reject", id="ops.reject", show=False),
    Binding("d", "checklist", "Checklist", id="ops.checklist", show=False),
    Binding("w", "routing", "Routing", id="ops.routing", show=False),
]


@dataclass(frozen=True)
class OpsView:
    ticket_id: int
    ticket_type: str
    status: str
    problem: object | None  # ProblemRecord
    known_errors: tuple  # KnownErrorMatch
    request: object | None  # RequestView
    bulletins: tuple  # BulletinRecord linked to the ticket
    routing: object | None  # RoutingSuggestion, for a ticket missing its category or group
    event_mark: int  # the ticket's newest event id when read

    @property
    def empty(self) -> bool:
        return not (self.problem or self.known_errors or self.request or self.bulletins
                    or (self.routing is not None and not self.routing.empty))


def load_ops_view(engine, ticket_id: int) -> OpsView:
    from deskui.services import bulletins, problems, routing
    from deskui.store.db import session_scope
    from deskui.store.directory_queries import ticket_last_event_id
    from deskui.store.problem_queries import problem_record
    from deskui.store.request_queries import request_view
    from deskui.store.tickets import ticket_record

    with session_scope(engine) as session:
        ticket = ticket_record(session, ticket_id)
        problem = problem_record(session, ticket.problem_id) if ticket.problem_id else None
        request = request_view(session, ticket_id) if ticket.type == "request" else None
        mark = ticket_last_event_id(session, ticket_id)
    known = tuple(problems.known_errors_for(engine, ticket_id))
    linked = tuple(bulletins.for_ticket(engine, ticket_id))
    route = None
    if (not ticket.category_id or not ticket.group_id) and ticket.status in ("new", "open", "pending"):
        route = routing.suggest_for_ticket(engine, ticket_id)
    return OpsView(ticket_id, ticket.type, ticket.status, problem, known, request, linked, route, mark)


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
        title("Suggested routing (similar resolved tickets)")
        if r.categories:
            text.append("Category: ", style="bold")
            text.append(", ".join(f"{s.name} {s.share:.0%}" for s in r.categories) + "\n")
        if r.groups:
            text.append("Group: ", style="bold")
            text.append(", ".join(f"{s.name} {s.share:.0%}" for s in r.groups) + "\n")
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
        # Follow the ticket screen's own reloads (a local comparison, no query).
        self.set_interval(0.5, self._follow, name="ops-follow")

    def _follow(self) -> None:
        screen_view = getattr(self.screen, "view", None)
        mark = getattr(screen_view, "last_event_id", None)
        if self.data is not None and mark is not None and mark != self.data.event_mark:
            self.reload()

    def reload(self) -> None:
        self._read(self.app.desk.engine, self.ticket_id)

    @work(thread=True, exclusive=True, group="ops-panel", exit_on_error=False)
    def _read(self, engine, ticket_id: int) -> None:
        try:
            view = load_ops_view(engine, ticket_id)
        except DeskError:
            return
        self.app.call_from_thread(self._loaded, view)

    def _loaded(self, view: OpsView) -> None:
        self.data = view
        self.post_message(self.Loaded(view))

    def watch_data(self, view: OpsView | None) -> None:
        self.set_class(view is not None and not view.empty, "-shown")
        self.set_class(bool(view and view.known_errors), "-known-error")

    def render(self) -> Text:
        return render_ops(self.data) if self.data is not None else Text("")


class TicketOpsActions:
    """Mixed into the ticket screen."""

    def ops_palette_commands(self) -> list:
        """(name, help, callback) for the command palette."""
        n = f"#{self.ticket_id}"
        return [
            (f"Link to known error ({n})", "Link this incident to the matching known error  [l]",
             self.action_link_known_error),
            (f"Link to bulletin ({n})", "Link this ticket to the bulletin in force  [b]", self.action_link_bulletin),
            (f"Approve request ({n})", "As one of its approvers, with a comment  [A]", self.action_approve),
            (f"Reject request ({n})", "With a comment the requester sees  [R]", self.action_reject),
            (f"Tick a checklist step ({n})", "Fulfilment checklist of an approved request  [d]",
             self.action_checklist),
            (f"Routing suggestions ({n})", "Category and group from similar resolved tickets  [w]",
             self.action_routing),
        ]

    def _ops_panel(self) -> OpsPanel | None:
        found = self.query(OpsPanel)
        return found.first() if found else None

    def _ops_data(self) -> OpsView | None:
        panel = self._ops_panel()
        return panel.data if panel is not None else None

    def _ops_submit(self, label: str, call) -> None:
        seen = self._ready()
        if seen is None:
            return
        self._submit("ops", label, seen, call)

    def action_link_known_error(self) -> None:
        from deskui.services import problems
        from deskui.tui.screens.ops_modals import ChoiceModal, PromptModal

        data = self._ops_data()
        seen = self._ready()
        if seen is None:
            return
        engine, actor, tid = self.app.desk.engine, self.app.desk.actor, self.ticket_id
        if seen.problem_id:
            self.notify(f"#{tid} is already linked to PRB-{seen.problem_id}.", markup=False)
            return

        def link(problem_id) -> None:
            if problem_id:
                self._ops_submit(f"#{tid} linked to PRB-{problem_id}",
                                 lambda version: problems.link(engine, actor, int(problem_id), [tid]))

        matches = data.known_errors if data is not None else ()
        if len(matches) == 1:
            link(matches[0].problem_id)
        elif matches:
            self.app.push_screen(ChoiceModal("Link to which known error?",
                                             [(m.problem_id, f"{m.ref} {m.title}") for m in matches]), link)
        else:
            self.app.push_screen(PromptModal("Link to problem number", placeholder="e.g. 12 or PRB-12"),
                                 lambda value: value and link(self._ops_problem_number(value)))

    def _ops_problem_number(self, value: str) -> int | None:
        from deskui.services.problems import parse_problem_ref

        try:
            return parse_problem_ref(value)
        except DeskError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return None

    def action_link_bulletin(self) -> None:
        from deskui.services import bulletins
        from deskui.tui.widgets.bulletin_banner import BulletinBanner
        from deskui.tui.screens.ops_modals import ChoiceModal

        banners = self.query(BulletinBanner)
        found = banners.first().active if banners else []
        engine, actor, tid = self.app.desk.engine, self.app.desk.actor, self.ticket_id

        def link(bulletin_id) -> None:
            if bulletin_id is not None:
                self._ops_submit(f"#{tid} linked to BUL-{bulletin_id}",
                                 lambda version: bulletins.link(engine, actor, bulletin_id, tid))

        if not found:
            self.notify("No bulletin is in force.", severity="warning", markup=False)
        elif len(found) == 1:
            link(found[0].id)
        else:
            self.app.push_screen(ChoiceModal("Link to which bulletin?",
                                             [(b.id, f"{b.ref} [{b.severity}] {b.title}") for b in found]), link)

    def _ops_request(self):
        data = self._ops_data()
        if data is None or data.request is None:
            self.notify("This ticket is not a catalogue request.", severity="warning", markup=False)
            return None
        return data.request

    def action_approve(self) -> None:
        from deskui.services import requests
        from deskui.tui.screens.ops_modals import PromptModal

        if self._ops_request() is None:
            return
        engine, actor, tid = self.app.desk.engine, self.app.desk.actor, self.ticket_id
        self.app.push_screen(PromptModal(f"Approve request #{tid}: comment (optional)", required=False),
                             lambda comment: comment is not None and self._ops_submit(
                                 f"#{tid} approved", lambda version: requests.approve(
                                     engine, actor, tid, comment=comment, version=version)))

    def action_reject(self) -> None:
        from deskui.services import requests
        from deskui.tui.screens.ops_modals import PromptModal

        if self._ops_request() is None:
            return
        engine, actor, tid = self.app.desk.engine, self.app.desk.actor, self.ticket_id
        self.app.push_screen(PromptModal(f"Reject request #{tid}: why? (the requester sees this)"),
                             lambda comment: comment and self._ops_submit(
                                 f"#{tid} rejected", lambda version: requests.reject(
                                     engine, actor, tid, comment=comment, version=version)))

    def action_checklist(self) -> None:
        from deskui.services import requests
        from deskui.tui.screens.ops_modals import ChoiceModal

        request = self._ops_request()
        if request is None:
            return
        if not request.checklist:
            self.notify("This request has no checklist.", markup=False)
            return
        engine, actor, tid = self.app.desk.engine, self.app.desk.actor, self.ticket_id
        steps = {s.position: s for s in request.checklist}

        def toggle(position) -> None:
            if position is not None:
                done = not steps[position].done
                self._ops_submit(f"Step {position} {'done' if done else 'not done'}",
                                 lambda version: requests.tick(engine, actor, tid, position, done=done,
                                                               version=version))

        self.app.push_screen(ChoiceModal(f"Request #{tid}: tick or untick a step ({request.progress})",
                                         [(s.position, f"[{'x' if s.done else ' '}] {s.position}. {s.text}")
                                          for s in request.checklist]), toggle)

    def action_routing(self) -> None:
        self.run_worker(self._ops_routing, thread=True, group="ops-routing", exit_on_error=False)

    def _ops_routing(self) -> None:
        from deskui.services.routing import suggest_for_ticket

        try:
            got = suggest_for_ticket(self.app.desk.engine, self.ticket_id)
        except DeskError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self._ops_show_routing, got)

    def _ops_show_routing(self, got) -> None:
        from deskui.services import tickets
        from deskui.tui.screens.ops_modals import ChoiceModal

        if got.empty:
            self.notify("No similar resolved tickets to learn from.", markup=False)
            return
        cats = ", ".join(f"{s.name} {s.share:.0%}" for s in got.categories)
        groups = ", ".join(f"{s.name} {s.share:.0%}" for s in got.groups)
        options = []
        if got.groups:
            options.append((("group", got.groups[0].name), f"→ Move to {got.groups[0].name} (unassigns)"))
        options += [(("open", e.id), f"#{e.id} {e.subject} · {e.category or '-'} · {e.group or '-'}")
                    for e in got.evidence]
        engine, actor, tid = self.app.desk.engine, self.app.desk.actor, self.ticket_id

        def chosen(choice) -> None:
            if choice is None:
                return
            kind, value = choice
            if kind == "open":
                self.app.open_ticket(value)
            else:
                self._ops_submit(f"#{tid} moved to {value}", lambda version: tickets.assign(
                    engine, actor, tid, None, group=value, version=version))

        self.app.push_screen(ChoiceModal("Routing suggestions from similar resolved tickets", options,
                                         hint=f"Category: {cats}\nGroup: {groups}\nenter opens a similar ticket"),
                             chosen)
