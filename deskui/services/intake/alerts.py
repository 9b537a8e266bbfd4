"""``deskui intake alerts FILE|-``: monitoring alerts as JSON Lines.

One alert a line: ``{"source": "nagios", "host": "db01", "service": "disk /var",
"state": "CRITICAL", "message": "91% used", "time": "2026-11-16T09:00:00Z"}``
(``service``, ``source``, ``message`` and ``time`` may be left out; ``time`` is ISO
8601 or seconds since the epoch; a time without an offset is UTC). An alert's
fingerprint is (source, host, service), case ignored. Each alert is one
transaction:

- a problem (WARNING, CRITICAL, UNKNOWN, DOWN, UNREACHABLE) with no open
  incident for its fingerprint opens one: channel monitoring, configuration
  item ``host/service`` (or ``host``), priority from the state (DOWN and
  CRITICAL: impact high x urgency medium; WARNING and UNREACHABLE: medium x
  medium; UNKNOWN: low x medium), the requester ``<source>@monitoring.invalid``;
- a problem while one is open adds an internal note ("repeat") instead;
- a recovery (OK, UP) adds a note and resolves the open incident (code solved);
  with none open it is counted and ignored;
- flapping is held back: when the fingerprint changed between problem and
  recovery ``flap_changes`` times or more within ``flap_window_minutes``
  (counting this alert), a recovery only adds a note ("held back: flapping")
  and leaves the incident open for an analyst, and a problem shortly after a
  resolution reopens that incident instead of opening another one;
- the same alert twice (same fingerprint, state, time and message) is taken
  once, so feeding a file again is safe.

Every state change is recorded on the incident as a ``field`` event
(``alert_state``, old -> new): that history is what flapping is counted from.
A file is read and checked whole before any alert is taken (at most 64 MiB, a
line at most 1 MiB): a bad line stops the intake with ``file:line:column`` and
nothing taken, or with ``skip_bad`` is counted and written to the rejects file
(one JSON object a line: ``_line``, ``_error``, ``_raw``) and the good lines are
taken. Standard input (a pipe from a monitor) is taken as it arrives.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable, Iterator

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui import clock
from deskui.domain.enums import ACTIVE_STATUSES, Status
from deskui.domain.text import clean_text
from deskui.domain.permissions import Action
from deskui.errors import ValidationError
from deskui.services.actors import SYSTEM, Actor, require, system_actor
from deskui.services.files import ALERTS_LIMIT, LINE_LIMIT, MAX_NESTING, too_deep
from deskui.services.importers.common import TextLines, open_source
from deskui.services.importers.values import slug
from deskui.services.intake import ops
from deskui.services.intake.runner import take_each
from deskui.services.directory import group_by_name
from deskui.store.db import session_scope
from deskui.store.models import Comment, Ticket, TicketEvent

ACTOR = system_actor("intake:alerts")
PROBLEMS = ("WARNING", "CRITICAL", "UNKNOWN", "DOWN", "UNREACHABLE")
RECOVERIES = ("OK", "UP")
SEVERITY = {"DOWN": ("high", "medium"), "CRITICAL": ("high", "medium"), "WARNING": ("medium", "medium"),
            "UNREACHABLE": ("medium", "medium"), "UNKNOWN": ("low", "medium")}
STATE_FIELD = "alert_state"
ACTIVE = tuple(s.value for s in ACTIVE_STATUSES)


@dataclass(frozen=True)
class AlertOptions:
    dry_run: bool = False
    skip_bad: bool = False
    rejects_path: Path | None = None
    group: str | None = None
    flap_changes: int = 3  # this many problem <-> recovery changes ...
    flap_window_minutes: int = 30  # ... within this many minutes is flapping


@dataclass
class AlertSummary:
    source: str
    dry_run: bool = False
    alerts_read: int = 0
    incidents_opened: int = 0
    notes_added: int = 0
    resolved: int = 0
    reopened: int = 0
    held_back: int = 0
    ignored: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    rejects_file: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "source": self.source, "dry_run": self.dry_run, "alerts_read": self.alerts_read,
            "incidents_opened": self.incidents_opened, "notes_added": self.notes_added, "resolved": self.resolved,
            "reopened": self.reopened, "held_back": self.held_back, "ignored": dict(sorted(self.ignored.items())),
            "skipped": dict(sorted(self.skipped.items())), "rows_skipped": sum(self.skipped.values()),
            "rejects_file": self.rejects_file, "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Alert:
    line: int
    source: str
    host: str
    service: str
    state: str
    message: str
    at: datetime

    @property
    def fingerprint(self) -> str:
        return f"{self.source}|{self.host}|{self.service}".lower()

    @property
    def ci(self) -> str:
        return f"{self.host}/{self.service}" if self.service else self.host

    @property
    def is_problem(self) -> bool:
        return self.state in PROBLEMS

    @property
    def ref_prefix(self) -> str:
        return f"alert:{hashlib.sha1(self.fingerprint.encode()).hexdigest()[:12]}:"

    @property
    def identity(self) -> str:
        key = f"{self.fingerprint}|{self.state}|{self.at.isoformat()}|{self.message}"
        return hashlib.sha1(key.encode()).hexdigest()[:20]


class BadAlert(Exception):
    def __init__(self, column: int, message: str, reason: str):
        super().__init__(message)
        self.column = column
        self.message = message
        self.reason = reason


# ----------------------------------------------------------------- reading

def parse_alert(text: str, line: int, now: datetime) -> Alert:
    deep = too_deep(text)
    if deep is not None:
        raise BadAlert(deep[1], f"not valid JSON: arrays or objects nested more than {MAX_NESTING} deep", "bad JSON")
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadAlert(1, f"not valid JSON: nested more than {MAX_NESTING} deep", "bad JSON") from None
    except json.JSONDecodeError as exc:
        raise BadAlert(exc.colno, f"not valid JSON: {exc.msg}", "bad JSON") from None
    if not isinstance(data, dict):
        raise BadAlert(1, f"expected a JSON object, got {type(data).__name__}", "bad JSON")

    def col(key: str) -> int:
        at = text.find(f'"{key}"')
        return at + 1 if at >= 0 else 1

    def string(key: str, required: bool = False, default: str = "", limit: int = 200) -> str:
        value = data.get(key)
        if value is None:
            if required:
                raise BadAlert(col(key) if key in data else 1, f"{key}: is required", f"missing {key}")
            return default
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise BadAlert(col(key), f"{key}: must be text, not {type(value).__name__}", f"bad {key}")
        cleaned = clean_text(str(value), single_line=True)
        if required and not cleaned:
            raise BadAlert(col(key), f"{key}: must not be empty", f"missing {key}")
        return cleaned[:limit]

    host = string("host", required=True, limit=120)
    service = string("service", limit=79)
    source = string("source", default="monitoring", limit=60) or "monitoring"
    state = string("state", required=True).upper()
    if state not in PROBLEMS + RECOVERIES:
        raise BadAlert(col("state"), f"state: {data.get('state')!r} is not one of {', '.join(RECOVERIES + PROBLEMS)}",
                       "bad state")
    message = clean_text(str(data.get("message") or ""))[:4000].strip()
    return Alert(line, source, host, service, state, message, _time(data.get("time"), col("time"), now))


def _time(value, column: int, now: datetime) -> datetime:
    if value is None or value == "":
        return now
    if isinstance(value, bool):
        raise BadAlert(column, f"time: {value!r} is not a time", "bad time")
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        try:
            at = datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            raise BadAlert(column, f"time: {value!r} is out of range", "bad time") from None
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise BadAlert(column, f"time: {value!r} is not ISO 8601 (2026-11-16T09:00:00Z) or epoch seconds",
                           "bad time") from None
        at = parsed.astimezone(timezone.utc).replace(tzinfo=None) if parsed.tzinfo else parsed
    else:
        raise BadAlert(column, f"time: must be text or a number, not {type(value).__name__}", "bad time")
    return min(at.replace(microsecond=0), now)


# ----------------------------------------------------------------- taking alerts in

def intake_alerts(engine: Engine, path: Path | str, options: AlertOptions = AlertOptions(),
                  progress: Callable[[AlertSummary], None] | None = None, *, actor: Actor = SYSTEM) -> AlertSummary:
    """Take in a JSON Lines file of alerts, or standard input for ``-`` (each alert is
    committed as it arrives, so a pipe from a monitor works)."""
    require(actor, Action.INTAKE, "(alerts)")
    if options.flap_changes < 2:
        raise ValidationError("--flap-changes: must be at least 2")
    if options.flap_window_minutes < 1:
        raise ValidationError("--flap-window: must be at least 1 minute")
    with session_scope(engine) as session:
        if options.group:
            group_by_name(session, options.group)
    stream, name, _size = open_source(path, limit=ALERTS_LIMIT, what="an alerts file", line_limit=LINE_LIMIT,
                                      stdin_limit=None)
    summary = AlertSummary(source=name, dry_run=options.dry_run)
    timer = time.perf_counter()
    rejects = None
    try:
        lines = TextLines(stream, name, skip_bad=options.skip_bad)
        if options.skip_bad:
            rejects = _Rejects(options.rejects_path
                               or Path(f"{name if name != '<stdin>' else 'stdin'}.rejects.jsonl"))

        def done(outcome: tuple[str, ...]) -> None:
            _count(summary, outcome)
            if progress:
                progress(summary)

        alerts: Iterable[Alert] = _alerts(lines, name, summary, rejects, whole=name != "<stdin>")
        if name != "<stdin>":
            alerts = list(alerts)  # a file is checked whole before anything is taken: a bad line changes nothing
        take_each(engine, alerts, lambda session, alert: _take(session, alert, options),
                  done, dry_run=options.dry_run)
    finally:
        if name != "<stdin>":
            stream.close()
        if rejects is not None:
            rejects.close()
            summary.rejects_file = str(rejects.path) if rejects.count else None
        summary.seconds = time.perf_counter() - timer
    return summary


class _Rejects:
    def __init__(self, path: Path):
        self.path = path
        self.count = 0
        self._file = None

    def write(self, line: int, raw: str, error: str) -> None:
        if self._file is None:
            try:
                self._file = self.path.open("w", encoding="utf-8")
            except OSError as exc:
                raise ValidationError(f"--rejects: cannot write {self.path}: {exc.strerror}") from None
        self._file.write(json.dumps({"_line": line, "_error": error, "_raw": raw.rstrip("\r\n")},
                                    ensure_ascii=False) + "\n")
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


def _alerts(lines: TextLines, name: str, summary: AlertSummary, rejects: _Rejects | None, *,
            whole: bool) -> Iterator[Alert]:
    for text in lines:
        line = lines.line
        if not text.strip():
            continue
        summary.alerts_read += 1
        try:
            bad = lines.bad_between(line, line)
            if bad:
                raise BadAlert(1, bad, "bad encoding")
            yield parse_alert(text, line, clock.now())
        except BadAlert as error:
            where = f"{name}:{line}:{error.column}: {error.message}"
            if rejects is None:
                if whole:
                    tail = " (nothing taken; fix the line, or pass --skip-bad to take the good lines)"
                else:
                    tail = " (alerts before it are taken; or pass --skip-bad)" if summary.alerts_read > 1 else ""
                raise ValidationError(where + tail) from None
            summary.skipped[error.reason] += 1
            rejects.write(line, text, where)


def _count(summary: AlertSummary, outcome: tuple[str, ...]) -> None:
    kind = outcome[0]
    if kind == "ignored":
        summary.ignored[outcome[1]] += 1
        return
    if kind == "opened":
        summary.incidents_opened += 1
    if kind in ("noted", "resolved", "held", "reopened"):
        summary.notes_added += 1
    if kind == "resolved":
        summary.resolved += 1
    if kind == "held":
        summary.held_back += 1
    if kind == "reopened":
        summary.reopened += 1


def _take(session: Session, alert: Alert, options: AlertOptions) -> tuple[str, ...]:
    open_ref = alert.ref_prefix + alert.identity
    note_id = f"<alert:{alert.identity}>"
    if session.scalar(select(Ticket.id).where(Ticket.external_ref == open_ref)) is not None or \
            session.scalar(select(Comment.id).where(Comment.message_id == note_id)) is not None:
        return ("ignored", "duplicate")
    incidents = _incidents(session, alert)
    current = next((t for t in incidents if t.status in ACTIVE), None)
    last_state, flips = _state_history(session, alert, incidents, options)
    changed = last_state != alert.state
    flip = (last_state in PROBLEMS) != alert.is_problem
    flips += int(flip)
    flapping = flips >= options.flap_changes
    window = options.flap_window_minutes
    text = f"{alert.state} {alert.ci}" + (f": {alert.message}" if alert.message else "")

    if alert.is_problem:
        if current is not None:
            at = max(alert.at, current.created_at)
            what = f"{last_state} -> {alert.state}" if changed and last_state else "repeat"
            ops.add_comment(session, ACTOR, current, f"Alert ({what}): {text}", internal=True,
                            author_name=alert.source, message_id=note_id, at=at)
            if changed:
                _state(session, current, last_state, alert, at)
            return ("noted",)
        recent = next((t for t in incidents if t.status == Status.RESOLVED.value and t.resolved_at is not None
                       and t.resolved_at >= alert.at - timedelta(minutes=window)), None)
        if flapping and recent is not None:
            at = max(alert.at, recent.resolved_at)
            ops.add_comment(session, ACTOR, recent, f"Alert again while flapping ({flips} state changes in {window} "
                            f"min): {text}. Reopened instead of opening a new incident.", internal=True,
                            author_name=alert.source, message_id=note_id, at=at)
            ops.reopen(session, ACTOR, recent, f"monitoring: {alert.state} again while flapping", at)
            _state(session, recent, last_state, alert, at)
            return ("reopened",)
        impact, urgency = SEVERITY[alert.state]
        ticket = ops.open_ticket(
            session, ACTOR, subject=f"{alert.state}: {alert.ci}" + (f" - {alert.message}" if alert.message else ""),
            requester=f"{slug(alert.source)}@monitoring.invalid", requester_name=f"{alert.source} monitoring",
            description=_description(alert), channel="monitoring", impact=impact, urgency=urgency, ci=alert.ci,
            group=options.group, external_ref=open_ref, at=alert.at,
        )
        _state(session, ticket, last_state, alert, alert.at)
        return ("opened",)

    if current is None:
        return ("ignored", "recovery without an open incident")
    at = max(alert.at, current.created_at)
    if flapping:
        ops.add_comment(session, ACTOR, current, f"Recovery held back: flapping ({flips} state changes in {window} "
                        f"min); resolve by hand once it is stable. {text}", internal=True,
                        author_name=alert.source, message_id=note_id, at=at)
        _state(session, current, last_state, alert, at)
        return ("held",)
    ops.add_comment(session, ACTOR, current, f"Recovered: {text}", internal=True, author_name=alert.source,
                    message_id=note_id, at=at)
    _state(session, current, last_state, alert, at)
    ops.resolve(session, ACTOR, current, code="solved", notes=f"Recovered automatically ({text}).", at=at)
    return ("resolved",)


def _description(alert: Alert) -> str:
    lines = [f"Monitoring alert from {alert.source}", f"Host: {alert.host}"]
    if alert.service:
        lines.append(f"Service: {alert.service}")
    lines += [f"State: {alert.state}", f"Time: {alert.at.isoformat()}Z"]
    if alert.message:
        lines += ["", alert.message]
    return "\n".join(lines)


def _incidents(session: Session, alert: Alert) -> list[Ticket]:
    """This fingerprint's incidents, newest first (found by CI, the indexed column,
    then told apart by the fingerprint in their external reference)."""
    rows = session.scalars(select(Ticket).where(Ticket.ci == alert.ci[:200], Ticket.channel == "monitoring")
                           .order_by(Ticket.id.desc()).limit(200)).all()
    prefix = alert.ref_prefix
    return [t for t in rows if (t.external_ref or "").startswith(prefix)]


def _state_history(session: Session, alert: Alert, incidents: list[Ticket],
                   options: AlertOptions) -> tuple[str, int]:
    """(last known state, problem <-> recovery changes within the flap window)."""
    if not incidents:
        return "", 0
    since = alert.at - timedelta(minutes=options.flap_window_minutes)
    rows = session.execute(
        select(TicketEvent.at, TicketEvent.old, TicketEvent.new)
        .where(TicketEvent.ticket_id.in_([t.id for t in incidents[:20]]), TicketEvent.field == STATE_FIELD)
        .order_by(TicketEvent.at, TicketEvent.id)).all()
    rows = [r for r in rows if r.at <= alert.at]
    last = rows[-1].new if rows else ""
    flips = sum(1 for r in rows if r.at >= since and (r.old in PROBLEMS) != (r.new in PROBLEMS))
    return last, flips


def _state(session: Session, ticket: Ticket, old: str, alert: Alert, at: datetime) -> None:
    with ops.noting_on(session, ACTOR, ticket) as plan:
        plan.field(at, STATE_FIELD, old, alert.state, alert.message[:200])
