"""The ticket screen's satisfaction key (issue 5), a layer over the screen: ``v``
records the requester's 1-5 answer on a resolved ticket (deskui.services.survey)."""

from __future__ import annotations

from textual.binding import Binding

from deskui.domain.enums import Status
from deskui.domain.permissions import Action
from deskui.store.records import TicketRecord
from deskui.tui.screens.ticket_survey import SurveyAnswer, SurveyModal
from deskui.tui.permissions import PermissionGate
from deskui.tui.widgets.ticket_feature import PaletteCommand, TicketFeature

SURVEY_BINDINGS = [Binding("v", "survey", "CSAT", id="ticket.survey", show=False)]


class TicketSurveyKeys(PermissionGate, TicketFeature):
    BINDINGS = SURVEY_BINDINGS
    PERMISSIONS = {"survey": Action.SURVEY}

    def palette_commands(self) -> list[PaletteCommand]:
        n = f"#{self.ticket_id}"
        return [(f"Record satisfaction ({n})", "The requester's 1-5 answer on the resolution  [v]", self.action_survey)]

    def action_survey(self) -> None:
        ticket = self.ready()
        if ticket is None:
            return
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):
            self.notify(f"{ticket.number} is {ticket.status}: satisfaction is recorded once it is resolved.",
                        severity="warning", markup=False)
            return
        self.app.push_screen(SurveyModal(ticket), lambda answer: self._answered(ticket, answer))

    def _answered(self, seen: TicketRecord, answer: SurveyAnswer | None) -> None:
        if answer is None:
            return
        from deskui.services.survey import record_survey

        engine, actor, ticket_id = self.engine, self.actor, self.ticket_id
        self.submit("survey", f"Recorded CSAT {answer.score}/5 for {seen.number}", seen,
                    lambda _version: record_survey(engine, ticket_id, answer.score, comment=answer.comment,
                                                   actor=actor))
