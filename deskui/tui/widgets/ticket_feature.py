"""What each feature of the ticket screen builds on, and how it talks to the screen.

A feature (the analyst's actions, operations, knowledge, satisfaction) is a
:class:`~deskui.tui.widgets.key_layer.KeyLayer` that owns its keys, actions
and palette commands. The screen hands it the ticket as it was last read
(``view``, by data binding) and runs the changes it asks for
(:class:`TicketChange`, a message), so every change goes through one place
that knows the version the analyst saw, conflicts and unsent drafts.

Features post these messages to the screen itself (:meth:`TicketFeature.tell`):
Textual stops a bubbling message at the node that was running when it was made,
and a dialog's answer runs in the context of whichever layer opened it.
"""

from __future__ import annotations

from typing import Callable

from textual.message import Message
from textual.reactive import var

from deskui.domain.enums import ACTIVE_STATUSES, Status
from deskui.reads.ticket import TicketView
from deskui.store.records import TicketRecord
from deskui.tui.widgets.key_layer import KeyLayer

#: (name, help, callback) of a palette command.
PaletteCommand = tuple[str, str, Callable[[], object]]


class TicketChange(Message):
    """Run ``call(version)`` (a service call) with the version of ``seen``; ``label`` is
    the notice when it is done; ``draft`` is kept until then (``key`` names it)."""

    def __init__(self, key: str, label: str, seen: TicketRecord, call: Callable[[int], object],
                 draft: object | None = None) -> None:
        super().__init__()
        self.key, self.label, self.seen, self.call, self.draft = key, label, seen, call, draft


class DraftKept(Message):
    """A dialog closed without sending: keep ``value`` as the ``key`` draft (None forgets it)."""

    def __init__(self, key: str, value: object | None) -> None:
        super().__init__()
        self.key, self.value = key, value


class ReloadTicket(Message):
    """Read the ticket again (something changed it outside a :class:`TicketChange`)."""


class TicketFeature(KeyLayer):
    """A layer of the ticket screen's keys, working on one ticket."""

    view: var[TicketView | None] = var(None, always_update=True)
    load_error: var[str] = var("")

    def __init__(self, ticket_id: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ticket_id = ticket_id

    def palette_commands(self) -> list[PaletteCommand]:
        return []

    def ready(self) -> TicketRecord | None:
        """The ticket as last read, or None (and a word why) while there is none."""
        if self.view is None:
            self.notify(self.load_error or "Still loading the ticket…", severity="warning", markup=False)
            return None
        return self.view.ticket

    def require_active(self, ticket: TicketRecord, verb: str) -> bool:
        if Status(ticket.status) in ACTIVE_STATUSES:
            return True
        hint = "; reopen it first (o)" if ticket.status == Status.RESOLVED else ""
        self.notify(f"Cannot {verb} {ticket.number}: it is {ticket.status}{hint}.", severity="warning", markup=False)
        return False

    def tell(self, message: Message) -> None:
        """Hand ``message`` to the screen (a change to run, a draft to keep, a reload)."""
        self.screen.post_message(message)

    def submit(self, key: str, label: str, seen: TicketRecord, call: Callable[[int], object],
               draft: object | None = None) -> None:
        self.tell(TicketChange(key, label, seen, call, draft))

    @property
    def engine(self):
        return self.app.desk.engine

    @property
    def actor(self):
        return self.app.desk.actor
