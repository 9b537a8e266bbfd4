"""The dialog that records the requester's satisfaction (CSAT) from the ticket
screen (issue 5); ``v`` opens it (deskui.tui.widgets.ticket_survey).

When the requester confirms the resolution (by phone, chat or mail), the analyst
records their 1-5 answer here; the same service backs `deskui survey record`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.widgets import Input, Label, Select

from deskui.tui.screens.modals import DeskModal

SCORES = [("5 - very satisfied", 5), ("4 - satisfied", 4), ("3 - neutral", 3), ("2 - dissatisfied", 2),
          ("1 - very dissatisfied", 1)]


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
