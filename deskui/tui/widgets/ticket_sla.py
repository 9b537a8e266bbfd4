"""Both SLA targets as progress bars coloured by state, and the explanation timeline."""

from __future__ import annotations

import re

from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual
from textual.widget import Widget
from textual.widgets import Static

from deskui.domain.sla import SlaStatus, TargetStatus, format_business_duration
from deskui.tui.widgets.ticket_format import SLA_STATE_LABELS, sla_style, when

STATES = ("ok", "at_risk", "breached", "paused", "met")


def target_detail(target: TargetStatus) -> str:
    """What an analyst needs next to the bar: when it is due and how much is left."""
    state = target.state.value
    if state == "met":
        return f"met {when(target.stopped_at)}"
    if state == "breached":
        if target.is_stopped:
            return f"breached {when(target.breached_at)}"
        return f"breached {when(target.breached_at)} · {format_business_duration(-target.remaining_seconds)} over"
    if state == "paused":
        return f"on hold · {format_business_duration(target.remaining_seconds)} left"
    return f"due {when(target.due_at)} · {format_business_duration(target.remaining_seconds)} left"


class SlaBar(Widget):
    """One target on one line: name, bar, share, state and due time (UTC).

    State colours are the theme's SLA colours ($sla-ok, $sla-at-risk, ... as the
    queue uses them), falling back to $success/$warning/$error outside DeskApp.
    """

    DEFAULT_CSS = """
    SlaBar { height: 1; padding: 0 1; }
    """

    def __init__(self, label: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.label = label
        self.target: TargetStatus | None = None
        self.note = "no SLA policy"
        self.detail_width = 0  # set by SlaBars so both bars line up

    def show(self, target: TargetStatus | None, note: str = "no SLA policy", detail_width: int = 0) -> None:
        self.target = target
        self.note = note
        self.detail_width = detail_width
        for state in STATES:
            self.set_class(target is not None and target.state.value == state, f"-{state}")
        self.refresh()

    def render(self) -> Content:
        # In Content styles $text-muted resolves to full contrast ("auto" colour);
        # $foreground-muted is the muted colour on dark and light themes alike.
        label = (f"{self.label:<11}", "$foreground-muted")
        target = self.target
        if target is None:
            return Content.assemble(label, (self.note, "$foreground-muted"))
        state = target.state.value
        style = sla_style(self.app, state)
        share = target.share
        tail = f" {share:>4.0%} "
        verdict = f"{SLA_STATE_LABELS[state]:<9}"
        detail = target_detail(target)
        width = self.content_region.width or self.size.width
        bar_width = max(8, min(48, width - 11 - len(tail) - len(verdict) - max(len(detail), self.detail_width) - 2))
        filled = bar_width if share >= 1 else int(round(share * bar_width))
        if 0 < share < 1:
            filled = max(1, min(bar_width - 1, filled))
        return Content.assemble(
            label,
            ("█" * filled, style),
            ("░" * (bar_width - filled), "$foreground 25%"),
            tail,
            (verdict, style),
            " ",
            detail,
        )


class SlaBars(Widget):
    """Response and resolution bars, one line each."""

    DEFAULT_CSS = """
    SlaBars { height: auto; }
    """

    def compose(self):
        yield SlaBar("Response", id="sla-response")
        yield SlaBar("Resolution", id="sla-resolution")

    def show(self, status: SlaStatus | None, note: str = "no SLA policy") -> None:
        width = max((len(target_detail(t)) for t in status.targets), default=0) if status else 0
        self.query_one("#sla-response", SlaBar).show(status.response if status else None, note, width)
        self.query_one("#sla-resolution", SlaBar).show(status.resolution if status else None, note, width)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# "Fri 2026-10-09 17:13 BST" as deskui.domain.sla.explain writes it (zone optional).
_STAMP = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2})(?: (?:[A-Z]{2,5}|[+-]\d{2,4}))?")
_SAME_DAY = re.compile(r"(\w{3} \d{2} \w{3}) (\d{2}:\d{2}) -> \1 (\d{2}:\d{2})")


def compact_line(line: str) -> str:
    """``Fri 2026-10-09 17:13 BST -> Fri 2026-10-09 20:55 BST`` becomes ``Fri 09 Oct 17:13 → 20:55``
    so an interval fits a side column; the calendar line above names the zone.
    A line in any other shape is left as it is."""

    def stamp(m: re.Match) -> str:
        month = int(m.group(3))
        return f"{m.group(1)} {m.group(4)} {_MONTHS[month - 1] if 1 <= month <= 12 else m.group(3)} {m.group(5)}"

    line = _STAMP.sub(stamp, line)
    line = _SAME_DAY.sub(r"\1 \2 → \3", line)
    return line.replace(" -> ", " → ")


class HangingLines(Visual):
    """Lines that wrap with a hanging indent: the continuation of a line starts ``hang``
    cells right of the line's own text, so every interval reads as one block instead
    of a wrapped tail that looks like a line of its own."""

    MIN_TAIL = 16  # narrower than this, continuations are not indented

    def __init__(self, lines: list[Content], hang: int = 2) -> None:
        self.lines = lines
        self.hang = hang
        self._wrapped: tuple[int, Content] | None = None

    @property
    def plain(self) -> str:
        return "\n".join(line.plain for line in self.lines)

    def wrapped(self, width: int) -> Content:
        """The lines cut to ``width`` cells, continuations indented."""
        if self._wrapped is not None and self._wrapped[0] == width:
            return self._wrapped[1]
        out: list[Content] = []
        for line in self.lines:
            text = line.plain
            indent = len(text) - len(text.lstrip(" ")) + self.hang
            pieces = line.wrap(width) if width > 0 else [line]
            if len(pieces) <= 1 or width - indent < self.MIN_TAIL:
                out.extend(pieces or [line])
                continue
            first = pieces[0]
            rest = line[len(first.plain):]
            rest = rest[len(rest.plain) - len(rest.plain.lstrip(" ")):]
            out.append(first)
            out.extend(Content(" " * indent) + piece for piece in rest.wrap(width - indent))
        content = Content("\n").join(out)
        self._wrapped = (width, content)
        return content

    def render_strips(self, width: int, height: int | None, style: Style, options: RenderOptions) -> list[Strip]:
        return self.wrapped(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules, container_width: int) -> int:
        return max((line.cell_length for line in self.lines), default=0)

    def get_height(self, rules, width: int) -> int:
        return len(self.wrapped(width).plain.split("\n")) if self.lines else 0


def timeline_lines(lines: list[str] | tuple[str, ...], app=None) -> list[Content]:
    """The step-by-step explanation from ``deskui.services.sla.explain_ticket``, one Content a line."""
    breached, at_risk, paused = (sla_style(app, s) for s in ("breached", "at_risk", "paused"))
    parts: list[Content] = []
    for line in lines:
        stripped = line.strip()
        if not line.startswith(" "):
            style = "bold"
            if ": BREACHED" in line:
                style = breached
            elif ": at risk" in line:
                style = at_risk
        elif stripped.startswith("breached at"):
            style = breached
        elif "not counted: paused" in stripped:
            style = paused
        elif "not counted" in stripped:
            style = "$foreground-muted"
        else:
            style = ""
        shown = compact_line(line)
        parts.append(Content.styled(shown, style) if style else Content(shown))
    return parts


class SlaTimeline(Static):
    """Every interval of both SLA clocks: counted, outside business hours, paused, and why."""

    DEFAULT_CSS = """
    SlaTimeline { height: auto; padding: 0 1; }
    """

    def show(self, lines: list[str] | tuple[str, ...]) -> None:
        self.update(HangingLines(timeline_lines(lines, self.app)))
