"""Bulk actions on the queue's marked tickets (or the one under the cursor):
take, assign, change status. Each ticket is its own transaction, run in a
thread worker; the version the analyst saw goes along, so a ticket someone
else changed meanwhile fails with who changed what instead of being
overwritten. The queue screen holds one ``BulkActions`` and forwards its keys.
"""

from __future__ import annotations

from typing import Any, Callable

from deskui.tui.screens.queue_messages import BulkDone


class BulkActions:
    def __init__(self, screen: Any) -> None:
        self.screen = screen  # the QueueScreen: its targets(), view, desk and workers

    def take(self) -> None:
        """Take the targets; when some are another analyst's, ask first, naming them.

        The question is about the tickets as the analyst saw them (the rows on
        screen, read now only for a marked row no longer in the cache); one that
        changed hands since fails as a conflict, with who changed it."""
        screen = self.screen
        ids = screen.targets()
        if not ids:
            return
        rows = {ticket_id: screen.view.row(ticket_id) for ticket_id in ids}
        missing = [ticket_id for ticket_id, row in rows.items() if row is None]
        if not missing:
            self._take_seen(ids, rows)
            return
        source, app = screen.source, screen.app

        def read() -> None:
            found = {row.id: row for row in source.rows(missing)}
            app.call_from_thread(self._take_seen, ids, {**rows, **found})

        screen.run_worker(read, thread=True, group="queue-bulk", name="rows to take", exit_on_error=False)

    def _take_seen(self, ids: list[int], rows: dict) -> None:
        from deskui.services.tickets import take
        from deskui.tui.screens.bulk import ConfirmModal

        desk = self.screen.desk
        me = desk.actor.username
        seen = {ticket_id: row.version if row is not None else None for ticket_id, row in rows.items()}
        theirs = [(ticket_id, row.assignee) for ticket_id in ids
                  if (row := rows.get(ticket_id)) is not None and row.assignee and row.assignee != me]
        owners = ", ".join(dict.fromkeys(owner for _, owner in theirs))
        verb = f"took from {owners}" if theirs else "took"

        def run() -> None:
            self._run(verb, lambda ticket_id, version: take(desk.engine, desk.actor, ticket_id, version=version),
                      ids=ids, seen=seen)

        if not theirs:
            run()
            return
        if len(ids) == 1:
            question = f"#{ids[0]} is assigned to {theirs[0][1]}. Take it from them?"
        else:
            listed = ", ".join(f"#{ticket_id} {owner}" for ticket_id, owner in theirs[:5])
            more = ", …" if len(theirs) > 5 else ""
            are = "is" if len(theirs) == 1 else "are"
            question = (f"{len(theirs)} of the {len(ids)} tickets {are} assigned to someone else "
                        f"({listed}{more}). Take all {len(ids)}?")
        self.screen.app.push_screen(ConfirmModal(question), lambda yes: run() if yes else None)

    def assign(self) -> None:
        from deskui.tui.screens.bulk import BulkAssignModal

        ids = self.screen.targets()
        if ids:
            self.screen.app.push_screen(BulkAssignModal(len(ids)), self._assign_chosen)

    def _assign_chosen(self, username: str | None) -> None:
        from deskui.services.tickets import assign

        if username is None:
            return
        desk = self.screen.desk
        verb = f"assigned to {username}" if username else "unassigned"
        self._run(verb, lambda ticket_id, version: assign(desk.engine, desk.actor, ticket_id, username or None,
                                                         version=version))

    def status(self) -> None:
        from deskui.tui.screens.bulk import BulkStatusModal

        ids = self.screen.targets()
        if ids:
            self.screen.app.push_screen(BulkStatusModal(len(ids)), self._status_chosen)

    def _status_chosen(self, answer: tuple[str, str | None] | None) -> None:
        from deskui.services.tickets import change_status

        if answer is None:
            return
        status, reason = answer
        desk = self.screen.desk
        self._run(f"set to {status}", lambda ticket_id, version: change_status(
            desk.engine, desk.actor, ticket_id, status, pending_reason=reason, version=version))

    def _run(self, verb: str, action: Callable[[int, int | None], object], *, ids: list[int] | None = None,
             seen: dict[int, int | None] | None = None) -> None:
        """Run ``action`` on every target (or ``ids``) in a worker, each with the version the
        analyst saw (``seen``, else the row on screen); the screen gets a BulkDone."""
        from deskui.services.tickets import bulk

        screen = self.screen
        ids = screen.targets() if ids is None else ids
        if not ids:
            return
        if seen is None:
            seen = {ticket_id: (row.version if (row := screen.view.row(ticket_id)) else None) for ticket_id in ids}
        engine = screen.desk.engine

        def work() -> None:
            result = bulk(engine, ids, lambda ticket_id: action(ticket_id, seen.get(ticket_id)))
            screen.post_message(BulkDone(verb, result.done, result.failed))

        screen.run_worker(work, thread=True, group="queue-bulk", name=f"bulk {verb}", exit_on_error=False)

    def report(self, message: BulkDone) -> None:
        """What was done and what was not (with why, for the first five)."""
        done, failed = message.done, message.failed
        notify = self.screen.notify
        if done:
            noun = "ticket" if len(done) == 1 else "tickets"
            notify(f"{message.verb}: {len(done)} {noun}", title="Done", markup=False)
        if failed:
            lines = "\n".join(f"#{ticket_id}: {reason}" for ticket_id, reason in failed[:5])
            more = f"\n… and {len(failed) - 5} more" if len(failed) > 5 else ""
            notify(f"{len(failed)} failed:\n{lines}{more}", title="Not done", severity="error", markup=False,
                   timeout=10)
