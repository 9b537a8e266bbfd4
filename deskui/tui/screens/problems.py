"""The problems screen: problems with their incident counts and recurrence, the
candidate problems the desk proposes (recurring keys, near-identical subjects),
and the selected problem's root cause, workaround, fix, incidents and timeline.

Reads (deskui.reads.problems) run in thread workers and come back as frozen
records; actions call the services (deskui.services.problems) in workers too;
a failure is one line and the screen keeps running. Problem and ticket text is
untrusted: rich Text only.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from deskui.domain.permissions import Action
from deskui.domain.workflow import WorkflowError
from deskui.errors import DeskError
from deskui.reads.problems import ProblemDetail, ProblemsOverview, ProblemSummary, overview, problem_detail
from deskui.tui.permissions import PermissionGate
from deskui.tui.widgets.key_hints import KeyHints
from deskui.tui.screens.ops_modals import ChoiceModal, FieldsModal, PromptModal
from deskui.tui.widgets.bulletin_banner import BulletinBanner
from deskui.tui.workers import db_work

STATUS_LABELS = {"new": "new", "investigating": "investigating", "known_error": "known error", "resolved": "resolved",
                 "closed": "closed"}

class ProblemsScreen(PermissionGate, Screen):
    """Problems and candidate problems. Open with ``app.push_screen(ProblemsScreen())``."""

    BINDINGS = [
        Binding("j", "cursor(1)", "Down", id="problems.cursor_down", show=False),
        Binding("k", "cursor(-1)", "Up", id="problems.cursor_up", show=False),
        Binding("c", "toggle_candidates", "Candidates", id="problems.candidates"),
        Binding("f", "toggle_closed", "Open/all", id="problems.filter"),
        Binding("n", "new", "New problem", id="problems.new"),
        Binding("e", "edit", "Edit", id="problems.edit"),
        Binding("s", "status", "Status", id="problems.status"),
        Binding("x", "resolve", "Resolve", id="problems.resolve"),
        Binding("i", "incidents", "Incidents", id="problems.incidents"),
        Binding("ctrl+r,f5", "reload", "Reload", id="problems.reload", show=False),
        Binding("escape,q", "back", "Back", id="problems.back"),
    ]
    PERMISSIONS = {"new": Action.PROBLEMS, "edit": Action.PROBLEMS, "status": Action.PROBLEMS,
                   "resolve": Action.PROBLEMS}

    DEFAULT_CSS = """
    ProblemsScreen { layout: vertical; }
    ProblemsScreen #problems-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    ProblemsScreen #problems-table { height: 2fr; }
    ProblemsScreen #problems-detail { height: 3fr; border-top: solid $primary 40%; padding: 0 1; }
    ProblemsScreen #problem-incidents { height: auto; max-height: 12; }
    """

    class Loaded(Message):
        def __init__(self, data: ProblemsOverview) -> None:
            super().__init__()
            self.data = data

    class DetailLoaded(Message):
        def __init__(self, detail: ProblemDetail) -> None:
            super().__init__()
            self.detail = detail

    class Done(Message):
        def __init__(self, text: str, error: bool = False, select: int | None = None) -> None:
            super().__init__()
            self.text, self.error, self.select = text, error, select

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.showing_candidates = False
        self.show_closed = False
        self.data = ProblemsOverview((), ())
        self.detail: ProblemDetail | None = None
        self._select: int | None = None

    def compose(self) -> ComposeResult:
        yield BulletinBanner()
        yield Static("", id="problems-title")
        yield DataTable(id="problems-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="problems-detail"):
            yield Static("", id="problem-text")
            yield DataTable(id="problem-incidents", cursor_type="row")
            yield Static("", id="problem-timeline")
        yield KeyHints()

    @property
    def table(self) -> DataTable:
        return self.query_one("#problems-table", DataTable)

    def on_mount(self) -> None:
        self.sub_title = "Problems"
        self.table.focus()
        self.reload()

    # ------------------------------------------------------------ loading

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load(self.app.desk.engine, self.show_closed)

    @db_work(group="problems-load", exclusive=True, what="Problems")
    def _load(self, engine, show_closed: bool) -> None:
        self.post_message(self.Loaded(overview(engine, include_closed=show_closed)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.data = message.data
        self._fill()

    def _fill(self) -> None:
        table = self.table
        keep = self._select if self._select is not None else self._current_key()
        self._select = None
        table.clear(columns=True)
        if self.showing_candidates:
            table.add_columns("kind", "incidents", "7d", "growth", "last", "shared", "latest subject")
            for i, c in enumerate(self.data.candidates):
                table.add_row(Text(c.kind), c.count, c.recent, f"{c.growth:+d}", f"{c.last_at:%d %b %H:%M}",
                              Text(c.key), Text(c.subject), key=f"c{i}")
        else:
            table.add_columns("problem", "status", "incidents", "open", "recurs", "last incident", "owner", "title")
            for p in self.data.problems:
                table.add_row(p.ref, Text(STATUS_LABELS.get(p.status, p.status)), p.incidents, p.open_incidents,
                              p.recurrences, f"{p.last_incident_at:%d %b %H:%M}" if p.last_incident_at else "-",
                              Text(p.owner or "-"), Text(p.title), key=str(p.id))
        self._title()
        if keep is not None:
            try:
                table.move_cursor(row=table.get_row_index(keep))
            except Exception:  # the row is gone (resolved and filtered out)
                pass
        self._show_selected()

    def _title(self) -> None:
        if self.showing_candidates:
            text = f"Candidate problems · {len(self.data.candidates)} groups of unlinked incidents (30 days)" \
                   " · n: open a problem from one · c: problems"
        else:
            scope = "all" if self.show_closed else "open"
            text = f"Problems ({scope}) · {len(self.data.problems)} · c: candidates ({len(self.data.candidates)})"
        self.query_one("#problems-title", Static).update(Text(text))

    def _current_key(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None

    def selected_problem(self) -> ProblemSummary | None:
        key = self._current_key()
        if self.showing_candidates or key is None:
            return None
        return next((p for p in self.data.problems if str(p.id) == key), None)

    def selected_candidate(self):
        key = self._current_key()
        if not self.showing_candidates or key is None:
            return None
        return self.data.candidates[int(key[1:])]

    @on(DataTable.RowHighlighted, "#problems-table")
    def _highlighted(self, _event) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        problem = self.selected_problem()
        if problem is not None:
            self._load_detail(self.app.desk.engine, problem.id)
            return
        self.detail = None
        candidate = self.selected_candidate()
        text = self.query_one("#problem-text", Static)
        incidents = self.query_one("#problem-incidents", DataTable)
        incidents.clear(columns=True)
        self.query_one("#problem-timeline", Static).update("")
        if candidate is not None:
            text.update(Text.assemble((f"{candidate.count} incidents", "bold"), f" share {candidate.key}\n",
                                      f"opened {candidate.first_at:%d %b} to {candidate.last_at:%d %b}; "
                                      f"{candidate.recent} in the last 7 days, {candidate.previous} in the 7 before\n",
                                      ("n", "bold"), ": open a problem linking them"))
            incidents.add_column("tickets")
            for ticket_id in candidate.ticket_ids:
                incidents.add_row(f"#{ticket_id}", key=str(ticket_id))
        else:
            text.update(Text("No problems here. c shows candidate problems; n opens a new one.")
                        if not self.showing_candidates else Text("No candidate problems in the last 30 days."))

    @db_work(group="problem-detail", exclusive=True, what="Problem")
    def _load_detail(self, engine, problem_id: int) -> None:
        self.post_message(self.DetailLoaded(problem_detail(engine, problem_id)))

    @on(DetailLoaded)
    def _detail_loaded(self, message: DetailLoaded) -> None:
        current = self.selected_problem()
        if current is None or current.id != message.detail.problem.id:
            return  # the cursor moved on
        self.detail = detail = message.detail
        p = detail.problem
        text = Text()
        text.append(f"{p.ref} ", style="bold")
        text.append(p.title, style="bold")
        text.append(f"   [{STATUS_LABELS.get(p.status, p.status)}] owner {p.owner or '-'}\n")
        for label, value in (("Root cause", p.root_cause), ("Workaround", p.workaround),
                             ("Permanent fix", p.permanent_fix)):
            text.append(f"{label}: ", style="bold")
            text.append(value or "—")
            text.append("\n")
        text.append(f"{len(detail.incidents)} incidents, {detail.recurrences} recurrences · "
                    "i: open an incident · e: edit · s: status · x: resolve", style="italic")
        self.query_one("#problem-text", Static).update(text)
        incidents = self.query_one("#problem-incidents", DataTable)
        incidents.clear(columns=True)
        incidents.add_columns("ticket", "status", "P", "opened", "ci", "subject")
        for i in detail.incidents:
            incidents.add_row(f"#{i.id}", Text(i.status), f"P{i.priority}", f"{i.created_at:%d %b %H:%M}", Text(i.ci),
                              Text(i.subject), key=str(i.id))
        timeline = Text("Timeline (UTC)\n", style="bold")
        for e in detail.events:
            timeline.append(f"{e.at:%d %b %H:%M} {e.actor}: {e.kind.replace('_', ' ')}", style="")
            if e.field:
                timeline.append(f" {e.field}")
            if e.old or e.new:
                timeline.append(f" {e.old or '-'} → {e.new or '-'}")
            timeline.append("\n")
        self.query_one("#problem-timeline", Static).update(timeline)

    # ------------------------------------------------------------ actions

    def action_cursor(self, step: int) -> None:
        target = self.focused if isinstance(self.focused, DataTable) else self.table
        target.action_cursor_down() if step > 0 else target.action_cursor_up()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_toggle_candidates(self) -> None:
        self.showing_candidates = not self.showing_candidates
        self._fill()

    def action_toggle_closed(self) -> None:
        self.show_closed = not self.show_closed
        self.reload()

    def action_incidents(self) -> None:
        incidents = self.query_one("#problem-incidents", DataTable)
        if incidents.row_count == 0:
            self.notify("No incidents to open.", markup=False)
            return
        incidents.focus()

    @on(DataTable.RowSelected, "#problem-incidents")
    def _open_incident(self, event: DataTable.RowSelected) -> None:
        self.app.open_ticket(int(event.row_key.value))

    def _run(self, call, done: str, select_result: bool = False) -> None:
        self._act(self.app.desk.engine, self.app.desk.actor, call, done, select_result)

    @db_work(group="problems-action", what="Not saved")
    def _act(self, engine, actor, call, done: str, select_result: bool) -> None:
        try:
            result = call(engine, actor)
        except (DeskError, WorkflowError) as exc:
            self.post_message(self.Done(str(exc), error=True))
            return
        text = done(result) if callable(done) else done
        select = getattr(result, "id", None) if select_result else None
        self.post_message(self.Done(text, select=select))

    @on(Done)
    def _done(self, message: Done) -> None:
        self.notify(message.text, severity="error" if message.error else "information", markup=False,
                    title="Not saved" if message.error else None)
        if not message.error:
            if message.select is not None:
                self.showing_candidates = False
                self._select = str(message.select)
            self.reload()

    def action_new(self) -> None:
        from deskui.services import problems

        candidate = self.selected_candidate()
        ids = list(candidate.ticket_ids) if candidate is not None else []
        title = candidate.subject if candidate is not None else ""
        hint = f"Links {len(ids)} incidents ({candidate.key})" if ids else "A problem with no incidents yet"

        def create(answer: str | None) -> None:
            if answer:
                self._run(lambda engine, actor: problems.create_problem(engine, actor, answer, incidents=ids),
                          lambda p: f"{p.ref} opened" + (f" with {len(ids)} incidents" if ids else ""),
                          select_result=True)

        self.app.push_screen(PromptModal("New problem: title", value=title, hint=hint), create)

    def _need_problem(self) -> ProblemSummary | None:
        problem = self.selected_problem()
        if problem is None or self.detail is None or self.detail.problem.id != problem.id:
            self.notify("Select a problem first (c switches from candidates).", severity="warning", markup=False)
            return None
        return problem

    def action_edit(self) -> None:
        from deskui.services import problems

        if self._need_problem() is None:
            return
        p = self.detail.problem

        def save(values: dict | None) -> None:
            if values is not None:
                self._run(lambda engine, actor: problems.update_problem(
                    engine, actor, p.id, title=values["title"], root_cause=values["root_cause"],
                    workaround=values["workaround"], permanent_fix=values["permanent_fix"], version=p.version),
                    f"{p.ref} saved")

        self.app.push_screen(FieldsModal(f"{p.ref}: edit", [
            ("title", "Title", p.title), ("root_cause", "Root cause", p.root_cause),
            ("workaround", "Workaround (shown on matching incidents once a known error)", p.workaround),
            ("permanent_fix", "Permanent fix", p.permanent_fix)]), save)

    def action_status(self) -> None:
        from deskui.services import problems

        if self._need_problem() is None:
            return
        p = self.detail.problem
        allowed = sorted(problems.TRANSITIONS[problems.ProblemStatus(p.status)] - {problems.ProblemStatus.RESOLVED})
        if not allowed:
            self.notify(f"{p.ref} is {p.status}: closed is final.", markup=False)
            return

        def chosen(status) -> None:
            if status is not None:
                self._run(lambda engine, actor: problems.set_status(engine, actor, p.id, status, version=p.version),
                          f"{p.ref} is now {STATUS_LABELS[status]}")

        self.app.push_screen(ChoiceModal(f"{p.ref}: status (now {STATUS_LABELS[p.status]})",
                                         [(s.value, STATUS_LABELS[s.value]) for s in allowed],
                                         hint="x resolves (with its incidents)"), chosen)

    def action_resolve(self) -> None:
        from deskui.services import problems

        if self._need_problem() is None:
            return
        p = self.detail.problem
        open_ids = self.detail.open_incident_ids

        def with_fix(fix: str | None) -> None:
            if fix is None:
                return
            if not open_ids:
                finish(fix, False, "")
                return
            self.app.push_screen(ChoiceModal(
                f"{p.ref}: also resolve its {len(open_ids)} open incident(s)?",
                [(True, "Yes, resolve them with a note"), (False, "No, leave them open")],
                hint=", ".join(f"#{t}" for t in open_ids)), lambda yes: ask_note(fix, yes))

        def ask_note(fix: str, yes) -> None:
            if yes is None:
                return
            if not yes:
                finish(fix, False, "")
                return
            self.app.push_screen(PromptModal("Resolution note for the incidents",
                                             value=f"Fixed by {p.ref}: {fix}"[:200]), lambda note: note and finish(
                                                 fix, True, note))

        def finish(fix: str, incidents: bool, note: str) -> None:
            self._run(lambda engine, actor: problems.resolve_problem(
                engine, actor, p.id, permanent_fix=fix, resolve_incidents=incidents, note=note, version=p.version),
                lambda out: f"{p.ref} resolved" + (f"; resolved {len(out.resolved_incidents)} incident(s)"
                                                    if out.resolved_incidents else "")
                + (f"; {len(out.failed)} not resolved" if out.failed else ""))

        self.app.push_screen(PromptModal(f"{p.ref}: permanent fix", value=p.permanent_fix,
                                         hint="Resolving records the permanent fix"), with_fix)
