"""Operations keys of the queue screen (issue 7), as a mixin so the queue's own
module stays the queue's: the problems screen, a problem from the marked
incidents, and linking the marked tickets to the bulletin in force.

``QueueScreen`` uses it as ``class QueueScreen(QueueOpsActions, Screen)`` with
``BINDINGS = QUEUE_BINDINGS + QUEUE_OPS_BINDINGS``; it relies on the queue's
``targets()`` (marked tickets, else the one under the cursor), ``view.marks``
and ``refresh_queue()``.
"""

from __future__ import annotations

from textual.binding import Binding

from deskui.errors import DeskError

QUEUE_OPS_BINDINGS = [
    Binding("P", "problems", "Problems", id="ops.problems", show=False),
    Binding("N", "new_problem", "Problem from marked", id="ops.new_problem", show=False),
    Binding("B", "link_bulletin", "Link to bulletin", id="ops.link_bulletin", show=False),
]


class QueueOpsActions:
    """Mixed into the queue screen."""

    def action_problems(self) -> None:
        from deskui.tui.screens.problems import ProblemsScreen

        self.app.push_screen(ProblemsScreen())

    def _ops_targets(self) -> list[int]:
        targets = getattr(self, "targets", None)
        return list(targets()) if callable(targets) else []

    def action_new_problem(self) -> None:
        from deskui.tui.screens.ops_modals import PromptModal

        ids = self._ops_targets()
        if not ids:
            self.notify("Mark incidents with space (or put the cursor on one) first.", severity="warning",
                        markup=False)
            return
        self.app.push_screen(PromptModal(f"New problem from {len(ids)} incident(s): title",
                                         hint=" ".join(f"#{i}" for i in ids[:20])),
                             lambda title: title and self._ops_run("problem", ids, title))

    def action_link_bulletin(self) -> None:
        ids = self._ops_targets()
        if not ids:
            self.notify("Mark tickets with space (or put the cursor on one) first.", severity="warning", markup=False)
            return
        self.run_worker(lambda: self._ops_pick_bulletin(ids), thread=True, group="ops-bulletins",
                        exit_on_error=False)

    def _ops_pick_bulletin(self, ids: list[int]) -> None:
        from deskui.reads.bulletins import active

        found = active(self.app.desk.engine)
        self.app.call_from_thread(self._ops_bulletins_read, ids, found)

    def _ops_bulletins_read(self, ids: list[int], found: list) -> None:
        from deskui.tui.screens.ops_modals import ChoiceModal

        if not found:
            self.notify("No bulletin is in force.", severity="warning", markup=False)
        elif len(found) == 1:
            self._ops_run("bulletin", ids, found[0].id)
        else:
            self.app.push_screen(ChoiceModal(f"Link {len(ids)} ticket(s) to which bulletin?",
                                             [(b.id, f"{b.ref} [{b.severity}] {b.title}") for b in found]),
                                 lambda chosen: chosen is not None and self._ops_run("bulletin", ids, chosen))

    def _ops_run(self, what: str, ids: list[int], value) -> None:
        engine, actor = self.app.desk.engine, self.app.desk.actor

        def work() -> None:
            from deskui.domain.workflow import WorkflowError
            from deskui.services import bulletins, problems

            try:
                if what == "problem":
                    p = problems.create_problem(engine, actor, value, incidents=ids)
                    text = f"{p.ref} opened with {len(ids)} incident(s)"
                else:
                    added = [i for i in ids if bulletins.link(engine, actor, value, i)]
                    text = f"Linked {len(added)} ticket(s) to BUL-{value}"
            except (DeskError, WorkflowError) as exc:
                self.app.call_from_thread(self.notify, str(exc), title="Not saved", severity="error", markup=False)
                return
            self.app.call_from_thread(self._ops_done, text)

        self.run_worker(work, thread=True, group="ops-action", exit_on_error=False)

    def _ops_done(self, text: str) -> None:
        self.notify(text, markup=False)
        view = getattr(self, "view", None)
        if view is not None and getattr(view, "marks", None):
            view.clear_marks()
        refresh = getattr(self, "refresh_queue", None)
        if callable(refresh):
            refresh(force=True)
