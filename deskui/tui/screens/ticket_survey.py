"""Recording the requester's satisfaction (CSAT) from the ticket screen (issue 5).

When the requester confirms the resolution (by phone, chat or mail), the analyst
records their 1-5 answer here; the same service backs `deskui survey record`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, Select

from deskui.domain.enums import Status
from deskui.tui.screens.modals import DeskModal

SCORES = [("5 - very satisfied", 5), ("4 - satisfied", 4), ("3 - neutral", 3), ("2 - dissatisfied", 2),
          ("1 - very dissatisfied", 1)]

SURVEY_BINDINGS = [Binding("v", "survey", "CSAT", id="ticket.survey", show=False)]


@dataclass(frozen=True)
class SurveyAnswer:
    score: int
    comment: str


class SurveyModal(DeskModal[SurveyAnswer]):
    TITLE_TEXT = "Requester satisfaction"
    SUBMIT_LABEL = "Record"

    def compose_fields(self) -> ComposeResult:
        yield Label("How satisfied is the requester with the resolution?", classes="field-label")
        yield Select(SCORES, id="survey-score", prompt="choose a score")
        yield Label("Their comment (optional)", classes="field-label")
        yield Input("", id="survey-comment", placeholder="in the requester's words")

    def on_mount(self) -> None:
        self.query_one("#survey-score").focus()

    def action_submit(self) -> None:
        score = self.query_one("#survey-score", Select).value
        if score is Select.NULL or score is None:
            self.show_error("Choose a score from 1 to 5.")
            return
        self.dismiss(SurveyAnswer(int(score), self.query_one("#survey-comment", Input).value.strip()))


class TicketSurveyActions:
    """Mixed into TicketScreen: `v` records a CSAT answer on a resolved ticket."""

    def action_survey(self) -> None:
        ticket = self._ready()
        if ticket is None:
            return
        if ticket.status not in (Status.RESOLVED, Status.CLOSED):
            self.notify(f"{ticket.number} is {ticket.status}: satisfaction is recorded once it is resolved.",
                        severity="warning", markup=False)
            return
        self.app.push_screen(SurveyModal(ticket), lambda answer: self._survey_answered(ticket, answer))

    def _survey_answered(self, seen, answer: SurveyAnswer | None) -> None:
        if answer is None:
            return
        from deskui.services.survey import record_survey

        engine, actor, ticket_id = self._engine, self._actor, self.ticket_id
        self._submit("survey", f"Recorded CSAT {answer.score}/5 for {seen.number}", seen,
                     lambda _version: record_survey(engine, ticket_id, answer.score, comment=answer.comment,
                                                    actor=actor))

    def survey_palette_commands(self):
        n = f"#{self.ticket_id}"
        return [(f"Record satisfaction ({n})", "The requester's 1-5 answer on the resolution  [v]", self.action_survey)]
