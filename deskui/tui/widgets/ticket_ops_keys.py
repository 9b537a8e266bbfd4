"""The ticket screen's operations keys (issue 7), a layer over the screen:
``l`` link to the known error the panel shows (or a problem by number),
``b`` link to the bulletin in force, ``A`` / ``R`` approve or reject a request,
``d`` tick a checklist step, ``w`` routing suggestions with their evidence
(enter opens one, the first row moves the ticket to the suggested group).

What they act on comes from the :class:`~deskui.tui.widgets.ticket_ops.OpsPanel`
(and the bulletin banner) inside the layer; changes go to the screen as
:class:`~deskui.tui.widgets.ticket_feature.TicketChange`.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message

from deskui.domain.permissions import Action
from deskui.errors import DeskError
from deskui.reads.ops import OpsView
from deskui.reads.routing import RoutingSuggestion, suggest_for_ticket
from deskui.tui.permissions import PermissionGate
from deskui.tui.widgets.ticket_feature import PaletteCommand, TicketFeature
from deskui.tui.widgets.ticket_ops import OpsPanel
from deskui.tui.workers import db_work

# Not in the footer (the ticket's own keys are); listed by ? and in the palette.
TICKET_OPS_BINDINGS = [
    Binding("l", "link_known_error", "Link known error", id="ops.link_known_error", show=False),
    Binding("b", "link_bulletin", "Link bulletin", id="ops.ticket_link_bulletin", show=False),
    Binding("A", "approve", "Approve", id="ops.approve", show=False),
    Binding("R", "reject", "Reject", id="ops.reject", show=False),
    Binding("d", "checklist", "Checklist", id="ops.checklist", show=False),
    Binding("w", "routing", "Routing", id="ops.routing", show=False),
]


class TicketOpsKeys(PermissionGate, TicketFeature):
    """Problems, bulletins, requests and routing, for the ticket on the screen."""

    BINDINGS = TICKET_OPS_BINDINGS
    PERMISSIONS = {"link_known_error": Action.LINK, "link_bulletin": Action.LINK, "approve": Action.APPROVALS,
                   "reject": Action.APPROVALS, "checklist": Action.REQUESTS}

    class RoutingRead(Message):
        def __init__(self, suggestion: RoutingSuggestion) -> None:
            super().__init__()
            self.suggestion = suggestion

    def palette_commands(self) -> list[PaletteCommand]:
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

    def _panel_data(self) -> OpsView | None:
        found = self.query(OpsPanel)
        return found.first().data if found else None

    def _change(self, label: str, call) -> None:
        seen = self.ready()
        if seen is not None:
            self.submit("ops", label, seen, call)

    # ------------------------------------------------------------ problems and bulletins

    def action_link_known_error(self) -> None:
        from deskui.services import problems
        from deskui.tui.screens.ops_modals import ChoiceModal, PromptModal

        data = self._panel_data()
        seen = self.ready()
        if seen is None:
            return
        engine, actor, tid = self.engine, self.actor, self.ticket_id
        if seen.problem_id:
            self.notify(f"#{tid} is already linked to PRB-{seen.problem_id}.", markup=False)
            return

        def link(problem_id) -> None:
            if problem_id:
                self._change(f"#{tid} linked to PRB-{problem_id}",
                             lambda version: problems.link(engine, actor, int(problem_id), [tid]))

        matches = data.known_errors if data is not None else ()
        if len(matches) == 1:
            link(matches[0].problem_id)
        elif matches:
            self.app.push_screen(ChoiceModal("Link to which known error?",
                                             [(m.problem_id, f"{m.ref} {m.title}") for m in matches]), link)
        else:
            self.app.push_screen(PromptModal("Link to problem number", placeholder="e.g. 12 or PRB-12"),
                                 lambda value: value and link(self._problem_number(value)))

    def _problem_number(self, value: str) -> int | None:
        from deskui.services.problems import parse_problem_ref

        try:
            return parse_problem_ref(value)
        except DeskError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return None

    def action_link_bulletin(self) -> None:
        from deskui.services import bulletins
        from deskui.tui.screens.ops_modals import ChoiceModal
        from deskui.tui.widgets.bulletin_banner import BulletinBanner

        banners = self.query(BulletinBanner)
        found = banners.first().active if banners else []
        engine, actor, tid = self.engine, self.actor, self.ticket_id

        def link(bulletin_id) -> None:
            if bulletin_id is not None:
                self._change(f"#{tid} linked to BUL-{bulletin_id}",
                             lambda version: bulletins.link(engine, actor, bulletin_id, tid))

        if not found:
            self.notify("No bulletin is in force.", severity="warning", markup=False)
        elif len(found) == 1:
            link(found[0].id)
        else:
            self.app.push_screen(ChoiceModal("Link to which bulletin?",
                                             [(b.id, f"{b.ref} [{b.severity}] {b.title}") for b in found]), link)

    # ------------------------------------------------------------ requests

    def _request(self):
        data = self._panel_data()
        if data is None or data.request is None:
            self.notify("This ticket is not a catalogue request.", severity="warning", markup=False)
            return None
        return data.request

    def action_approve(self) -> None:
        from deskui.services import requests
        from deskui.tui.screens.ops_modals import PromptModal

        if self._request() is None:
            return
        engine, actor, tid = self.engine, self.actor, self.ticket_id
        self.app.push_screen(PromptModal(f"Approve request #{tid}: comment (optional)", required=False),
                             lambda comment: comment is not None and self._change(
                                 f"#{tid} approved", lambda version: requests.approve(
                                     engine, actor, tid, comment=comment, version=version)))

    def action_reject(self) -> None:
        from deskui.services import requests
        from deskui.tui.screens.ops_modals import PromptModal

        if self._request() is None:
            return
        engine, actor, tid = self.engine, self.actor, self.ticket_id
        self.app.push_screen(PromptModal(f"Reject request #{tid}: why? (the requester sees this)"),
                             lambda comment: comment and self._change(
                                 f"#{tid} rejected", lambda version: requests.reject(
                                     engine, actor, tid, comment=comment, version=version)))

    def action_checklist(self) -> None:
        from deskui.services import requests
        from deskui.tui.screens.ops_modals import ChoiceModal

        request = self._request()
        if request is None:
            return
        if not request.checklist:
            self.notify("This request has no checklist.", markup=False)
            return
        engine, actor, tid = self.engine, self.actor, self.ticket_id
        steps = {s.position: s for s in request.checklist}

        def toggle(position) -> None:
            if position is not None:
                done = not steps[position].done
                self._change(f"Step {position} {'done' if done else 'not done'}",
                             lambda version: requests.tick(engine, actor, tid, position, done=done, version=version))

        self.app.push_screen(ChoiceModal(f"Request #{tid}: tick or untick a step ({request.progress})",
                                         [(s.position, f"[{'x' if s.done else ' '}] {s.position}. {s.text}")
                                          for s in request.checklist]), toggle)

    # ------------------------------------------------------------ routing

    def action_routing(self) -> None:
        self._read_routing(self.engine, self.ticket_id)

    @db_work(group="ops-routing", what="Routing suggestions")
    def _read_routing(self, engine, ticket_id: int) -> None:
        self.post_message(self.RoutingRead(suggest_for_ticket(engine, ticket_id)))

    def on_ticket_ops_keys_routing_read(self, message: RoutingRead) -> None:
        message.stop()
        self._show_routing(message.suggestion)

    def _show_routing(self, got: RoutingSuggestion) -> None:
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
        engine, actor, tid = self.engine, self.actor, self.ticket_id

        def chosen(choice) -> None:
            if choice is None:
                return
            kind, value = choice
            if kind == "open":
                self.app.open_ticket(value)
            else:
                self._change(f"#{tid} moved to {value}", lambda version: tickets.assign(
                    engine, actor, tid, None, group=value, version=version))

        heading = ("Routing suggestions from the trained model (confidence)" if got.source == "model"
                   else "Routing suggestions from similar resolved tickets")
        self.app.push_screen(ChoiceModal(heading, options,
                                         hint=f"Category: {cats}\nGroup: {groups}\nenter opens a similar ticket"),
                             chosen)
