"""Writing imported rows as tickets and their history, a batch per transaction.

The importers turn each source row into a :class:`SourceRow` (one update of one
ticket, keyed by the source's own number). :class:`TicketWriter` applies a batch
of them the way the ticket use cases would have -- each row's changes are planned
by the same history planner (``deskui.domain.history``; what only an import does,
following its source, in ``deskui.domain.history_import``) -- but flushes a batch
in a handful of statements (``deskui.store.bulk_import``) instead of a transaction
per change:

- the first row of a number opens the ticket (a ``created`` event at the
  source's creation time, ``via <channel>``);
- every row applied writes an ``imported`` event (``field="source_version"``,
  the row's version in ``new``, the source fields kept in ``detail``) followed by
  the events its changes imply, with the row's own timestamps: ``group`` (and
  ``escalated`` when the new group is of a higher tier), ``priority``,
  ``assigned``, ``status``, ``resolved`` (at the source's resolution time),
  ``closed``, ``reopened``, ``first_response``, ``field`` for the rest;
- the SLA cache (policy, due times, states, breach events) is computed from the
  resulting history with the same pure clock ``deskui.services.sla`` uses, as
  of now, so an imported ticket looks like one worked in deskui and swept;
- the source's counters (reopens, reassignments) and SLA verdict are kept.

Idempotency: a row whose version (the source's update counter and update time)
is not newer than the last version imported for its ticket changes nothing,
so importing the same file again writes nothing. Rows without a version apply
when they change something.

Unknown names (groups, analysts, categories) are errors unless
``create_missing`` is set: then groups are created at tier 1, categories (and
their parent) without routing, analysts inactive (they are people from the
old tool's history, not necessarily current staff; an admin can activate
them). Requesters are created on first sight, as mail intake does.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from deskui.domain.enums import EventKind, SlaState
from deskui.domain.history import CLOSED, COLUMN_FIELDS, NEW, RESOLVED, SLA_BREACH, HistoryPlan, TicketState
from deskui.domain.history_import import follow_group, follow_priority, follow_status, keep_source_counters
from deskui.errors import ConflictError
from deskui.services import sla
from deskui.services.importers.common import BatchStats, RowError
from deskui.services.importers.directory import Directory
from deskui.services.importers.rows import BadRow, RowDefaults, SourceRow
from deskui.store.tickets import priority_matrix
from deskui.store.bulk_import import TICKETS, ImportFlush
from deskui.store.db import write_session
from deskui.store.models import Requester, TicketEvent

EVENTS = TicketEvent.__table__
CLOCK_KINDS = tuple(k.value for k in (EventKind.CREATED, EventKind.FIRST_RESPONSE, EventKind.RESOLVED,
                                      EventKind.REOPENED, EventKind.STATUS, EventKind.SLA_BREACH, EventKind.PRIORITY))
REQUESTER_CACHE = 100_000
RETRIES = 3
SQLITE_CACHE_KIB = 65536


@dataclass(slots=True)
class _Work:
    """One ticket touched by the batch: its columns, and its history planned so far."""

    ref: str
    state: dict  # the ticket's columns but the history fields, which are the plan's
    plan: HistoryPlan
    is_new: bool
    seen_version: int = 0
    ticket_id: int | None = None
    old_events: list = field(default_factory=list)
    last_version: str = ""
    last_time: datetime | None = None
    changed: bool = False
    rows: int = 0


class TicketWriter:
    """Applies batches of :class:`SourceRow` (see the module docstring)."""

    def __init__(self, engine: Engine, *, label: str, title: str, now: datetime, create_missing: bool = False,
                 skip_bad: bool = False, dry_run: bool = False, defaults: RowDefaults = RowDefaults(),
                 unknown_requester: str = "unknown@imported.invalid", response_from_work: bool = False):
        self.engine = engine
        self.response_from_work = response_from_work
        self.unknown_requester = unknown_requester
        self.actor = f"import:{label}"[:80]
        self.title = title
        self.now = now
        self.skip_bad = skip_bad
        self.dry_run = dry_run
        self.defaults = defaults
        self.directory = Directory(create_missing, title)
        self.requesters: OrderedDict[str, int] = OrderedDict()
        self._policies: dict = {}
        self._matrix = None
        self.flush = ImportFlush(engine)

    # -- the transaction

    def write_batch(self, rows: Sequence[SourceRow]) -> BatchStats:
        for attempt in range(RETRIES):
            stats = BatchStats()
            new_requesters: dict[str, int] = {}
            try:
                with write_session(self.engine) as session:
                    self._write(session, rows, stats, new_requesters)
                    if self.dry_run:
                        session.rollback()
            except ConflictError:
                self.directory.rollback()
                if attempt == RETRIES - 1:
                    raise
                continue
            except IntegrityError as exc:
                # Someone else (another import, an admin) created the same number, group or
                # analyst meanwhile: read the names again and retry; the rows then match.
                self.directory = Directory(self.directory.create_missing, self.title, self.directory.created)
                if attempt == RETRIES - 1:
                    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                    raise ConflictError(f"import: the batch kept clashing with concurrent changes ({reason}); "
                                        "import again") from None
                continue
            except BaseException:
                self.directory.rollback()
                raise
            if self.dry_run:
                self.directory.rollback()
            else:
                self.directory.commit()
                self._remember_requesters(new_requesters)
            return stats
        raise AssertionError("unreachable")

    def _write(self, session: Session, rows: Sequence[SourceRow], stats: BatchStats, new_requesters: dict) -> None:
        self.flush.begin(session, SQLITE_CACHE_KIB)
        self.directory.load(session)
        if self._matrix is None:
            self._matrix = priority_matrix(session)
        accepted: list[tuple[SourceRow, tuple]] = []
        for row in rows:
            try:
                accepted.append((row, self._resolve_names(session, row)))
            except RowError as error:
                if not self.skip_bad:
                    raise BadRow(row, error) from None
                stats.rejected.append((row, error))
        accepted = _in_version_order(accepted)
        requester_ids = self._requester_ids(session, [r for r, _ in accepted], new_requesters)
        works = self._load(session, {row.external_ref for row, _ in accepted})
        touched: dict[str, _Work] = {}
        for row, names in accepted:
            work = works.get(row.external_ref)
            if work is None:
                work = works[row.external_ref] = self._new_work(row, names, requester_ids)
            if self._apply(work, row, names, requester_ids):
                stats.rows_applied += 1
                touched[work.ref] = work
            else:
                stats.rows_unchanged += 1
        for work in touched.values():
            self._refresh_sla(session, work)
            verdict = work.state["external_made_sla"]
            if verdict is not None:
                stats.source_sla[verdict] += 1
            if work.plan.resolution_time_unknown and work.plan.status in (RESOLVED, CLOSED):
                stats.resolution_unknown += 1
        self._write_out(session, list(touched.values()), stats)

    # -- names

    def _resolve_names(self, session: Session, row: SourceRow) -> tuple:
        d = self.directory
        group = d.group(session, row, row.group) if row.group else None
        assignee = d.analyst(session, row, row.assignee) if row.assignee else None
        category = d.category(session, row, row.category) if row.category else None
        return group, assignee, category

    def _requester_ids(self, session: Session, rows: Sequence[SourceRow], new: dict) -> dict[str, int]:
        wanted: dict[str, SourceRow] = {}
        found: dict[str, int] = {}
        for row in rows:
            email = row.requester_email if row.requester_email is not None else self.unknown_requester
            if email in found or email in wanted:
                continue
            cached = self.requesters.get(email)
            if cached is not None:
                self.requesters.move_to_end(email)
                found[email] = cached
            else:
                wanted[email] = row
        if wanted:
            found.update(self._select_requesters(session, list(wanted)))
            missing = [e for e in wanted if e not in found]
            if missing:
                values = []
                for email in missing:
                    row = wanted[email]
                    if email == self.unknown_requester:
                        name = "Unknown requester"
                    else:
                        name = row.requester_name or email.split("@")[0].replace(".", " ").title()
                    values.append({"email": email, "name": name[:120], "department": "",
                                   "location": row.location[:120], "vip": False})
                self.flush.insert_requesters(session, values)
                created = self._select_requesters(session, missing)
                found.update(created)
                new.update(created)
            for email in wanted:
                if email in found and email not in new:
                    new[email] = found[email]
        return found

    @staticmethod
    def _select_requesters(session: Session, emails: list[str]) -> dict[str, int]:
        result: dict[str, int] = {}
        for start in range(0, len(emails), 2000):
            chunk = emails[start:start + 2000]
            result.update(session.execute(select(Requester.email, Requester.id).where(Requester.email.in_(chunk))).all())
        return result

    def _remember_requesters(self, new: dict[str, int]) -> None:
        for email, rid in new.items():
            self.requesters[email] = rid
        while len(self.requesters) > REQUESTER_CACHE:
            self.requesters.popitem(last=False)

    # -- loading what exists

    def _load(self, session: Session, refs: set[str]) -> dict[str, _Work]:
        works: dict[str, _Work] = {}
        ordered = sorted(refs)
        for start in range(0, len(ordered), 2000):
            chunk = ordered[start:start + 2000]
            for row in session.execute(select(TICKETS).where(TICKETS.c.external_ref.in_(chunk))).mappings():
                state = dict(row)
                tid = state.pop("id")
                works[state["external_ref"]] = _Work(ref=state["external_ref"], state=state,
                                                     plan=self._plan(tid, state), is_new=False,
                                                     seen_version=state["version"], ticket_id=tid,
                                                     last_time=state["updated_at"])
        if not works:
            return works
        by_id = {w.ticket_id: w for w in works.values()}
        ids = list(by_id)
        clock_kinds = set(CLOCK_KINDS)
        imported = EventKind.IMPORTED.value
        for start in range(0, len(ids), 2000):
            chunk = ids[start:start + 2000]
            # Filtered here, not in SQL: a condition on kind would tempt SQLite into the
            # kind index (a scan of every event) instead of the (ticket_id, id) one.
            events = session.execute(
                select(EVENTS.c.ticket_id, EVENTS.c.kind, EVENTS.c.at, EVENTS.c.field, EVENTS.c.old, EVENTS.c.new,
                       EVENTS.c.detail, EVENTS.c.actor)
                .where(EVENTS.c.ticket_id.in_(chunk)).order_by(EVENTS.c.ticket_id, EVENTS.c.id))
            for e in events:
                work = by_id[e.ticket_id]
                if e.kind in clock_kinds:
                    work.old_events.append(e)
                elif e.kind == imported and e.field == "source_version" and (e.new or "") > work.last_version:
                    work.last_version = e.new
        return works

    # -- applying rows

    def _plan(self, ticket_id: int | None, state: dict) -> HistoryPlan:
        """The history plan of a ticket whose columns are ``state`` (its history fields move into the plan)."""
        d = self.directory
        gid, aid = state["group_id"], state["assignee_id"]
        history = TicketState(ticket_id=ticket_id, group=d.group_names.get(gid, ("",))[0] if gid is not None else "",
                              assignee=d.usernames.get(aid, "") if aid is not None else "",
                              **{name: state.pop(name) for name in COLUMN_FIELDS})
        return HistoryPlan(history, None, self.actor)

    def _new_work(self, row: SourceRow, names: tuple, requester_ids: dict[str, int]) -> _Work:
        group, _assignee, category = names
        d = self.defaults
        group_id = group[0] if group else (category[1] if category else None)
        tier = self.directory.group_names[group_id][1] if group_id is not None else 1
        impact, urgency = row.impact or d.impact, row.urgency or d.urgency
        priority, reason = self._priority(row, impact, urgency)
        channel = row.channel or d.channel
        state = {
            "type": row.type or d.type, "subject": row.subject or row.default_subject or row.external_ref,
            "description": row.description or "",
            "requester_id": requester_ids.get(row.requester_email or self.unknown_requester),
            "channel": channel, "category_id": category[0] if category else None,
            "impact": impact, "urgency": urgency, "priority": priority, "priority_reason": reason,
            "status": NEW, "pending_reason": "", "group_id": group_id, "assignee_id": None,
            "first_assignee_id": None, "tier": tier, "ci": row.ci or "", "problem_id": None,
            "created_at": row.created_at, "updated_at": row.created_at, "first_response_at": None,
            "resolved_at": None, "closed_at": None, "resolution_code": "", "resolution_notes": "",
            "external_ref": row.external_ref, "sla_policy_id": None, "response_due_at": None,
            "resolution_due_at": None, "response_warn_at": None, "resolution_warn_at": None,
            "response_state": SlaState.OK.value, "resolution_state": SlaState.OK.value,
            "sla_breach_recorded": False, "resolution_time_unknown": False, "reopen_count": 0, "reassignment_count": 0, "escalation_count": 0,
            "external_made_sla": None, "updated_by": self.actor, "version": 1,
        }
        work = _Work(ref=row.external_ref, state=state, plan=self._plan(None, state), is_new=True)
        work.plan.create(row.created_at, channel)
        return work

    def _priority(self, row: SourceRow, impact: str, urgency: str) -> tuple[int, str]:
        if row.priority is not None:
            return row.priority, f"{self.title} priority {row.priority_source or row.priority}"[:300]
        return self._matrix.priority(impact, urgency), self._matrix.reason(impact, urgency)

    def _apply(self, work: _Work, row: SourceRow, names: tuple, requester_ids: dict[str, int]) -> bool:
        """Apply one row; False when it changes nothing (already imported)."""
        if row.version and row.version <= work.last_version:
            return False
        s = work.state
        plan = work.plan
        created = plan.created_at
        at = row.updated_at or work.last_time or created
        if at < created:
            at = created
        first = work.is_new and not work.rows
        before = None if (row.version or first) else (dict(s), plan.state())
        mark = len(plan.events)
        plan.imported(at, work.last_version, row.version, row.note)
        group, assignee, category = names
        d = self.directory

        for name, value in (("subject", row.subject), ("type", row.type), ("channel", row.channel), ("ci", row.ci)):
            if value is not None and value != s[name] and (value or name == "ci"):
                plan.field(at, name, s[name], value)
                s[name] = value
        if row.description is not None and row.description != s["description"]:
            plan.field(at, "description", detail="description changed")
            s["description"] = row.description
        if row.requester_email is not None:
            rid = requester_ids.get(row.requester_email)
            if rid is not None and rid != s["requester_id"]:
                plan.field(at, "requester", "", row.requester_email)
                s["requester_id"] = rid
        if row.category is not None:
            cid = category[0] if category else None
            if cid != s["category_id"]:
                plan.field(at, "category", d.category_paths.get(s["category_id"], ""), d.category_paths.get(cid, ""))
                s["category_id"] = cid

        impact, urgency = row.impact or plan.impact, row.urgency or plan.urgency
        follow_priority(plan, at, impact, urgency, *self._priority(row, impact, urgency))
        if row.group is not None and not (first and not row.group):  # routing chose the first group
            follow_group(plan, at, group[0] if group else None, group[1] if group else "", group[2] if group else 1,
                         self.title)
        status_first = plan.status == NEW
        if status_first:
            self._status(work, row, at)
        if row.assignee is not None:  # the source's status says whether it is open: no new -> open
            plan.assign(at, assignee[0] if assignee else None, assignee[1] if assignee else "", opens=False)
        if not status_first:
            self._status(work, row, at)
        self._first_response(work, row, at)

        if row.made_sla is not None:
            s["external_made_sla"] = row.made_sla
        keep_source_counters(plan, row.reopen_count, row.reassignment_count)

        if before is not None and len(plan.events) == mark + 1 and before == (s, plan.state()):
            del plan.events[mark:]  # a version-less row that changes nothing
            return False
        if at > s["updated_at"]:
            s["updated_at"] = at
        s["updated_by"] = self.actor
        work.last_version = row.version or work.last_version
        work.last_time = at
        work.changed = True
        work.rows += 1
        return True

    def _status(self, work: _Work, row: SourceRow, at: datetime) -> None:
        follow_status(work.plan, at, row.status or self._derived_status(work, row), row.pending_reason,
                      title=self.title, resolved_at=row.resolved_at, closed_at=row.closed_at,
                      first_seen=work.is_new and not work.rows,
                      code=row.resolution_code or self.defaults.resolution_code,
                      notes=row.resolution_notes or f"Resolved in {self.title}.")

    def _first_response(self, work: _Work, row: SourceRow, at: datetime) -> None:
        """The source's first response time; or, with ``response_from_work``, the first
        row where the ticket is assigned or leaves new (the source has no replies)."""
        plan = work.plan
        if plan.first_response_at is not None:
            return
        if row.first_response_at is not None:
            when, detail = row.first_response_at, f"first response in {self.title}"
        elif self.response_from_work and (plan.assignee_id is not None or plan.status != NEW):
            when = min(at, plan.resolved_at or at)
            detail = f"first worked in {self.title} (assigned or moved on from new)"
        else:
            return
        plan.first_response(max(when, plan.created_at), detail)

    def _derived_status(self, work: _Work, row: SourceRow) -> str:
        if not work.is_new or work.rows:
            return work.plan.status
        if row.closed_at is not None:
            return CLOSED
        if row.resolved_at is not None:
            return RESOLVED
        return NEW

    # -- SLA cache, as deskui.services.sla.refresh computes it

    def _policy(self, session: Session, priority: int, ticket_type: str):
        key = (priority, ticket_type)
        if key not in self._policies:
            self._policies[key] = sla.policy_for(session, priority, ticket_type)
        return self._policies[key]

    def _refresh_sla(self, session: Session, work: _Work) -> None:
        s, plan = work.state, work.plan
        info = self._policy(session, plan.priority, s["type"])
        if info is None:
            s.update(sla_policy_id=None, response_due_at=None, resolution_due_at=None, response_warn_at=None,
                     resolution_warn_at=None, response_state=SlaState.OK.value, resolution_state=SlaState.OK.value)
            return
        history = [*work.old_events, *plan.events]
        measured = sla.evaluate_history(history, plan.priority, lambda p: self._policy(session, p, s["type"]),
                                        self.now, detail=False)
        if measured is None:  # no clock yet (awaiting approval): as before, nothing is due
            return
        status = measured[0]
        s.update(sla_policy_id=info.policy_id, response_due_at=status.response.due_at,
                 resolution_due_at=status.resolution.due_at, response_warn_at=status.response.warn_at,
                 resolution_warn_at=status.resolution.warn_at, response_state=status.response.state.value,
                 resolution_state=status.resolution.state.value)
        recorded = {e.field for e in history if e.kind == SLA_BREACH}
        for target in (status.response, status.resolution):
            if target.breached_at is not None and target.name not in recorded:
                plan.sla_breach(min(target.breached_at, self.now), target.name, info.name)

    # -- writing

    def _write_out(self, session: Session, works: list[_Work], stats: BatchStats) -> None:
        for work in works:  # the planned history fields back among the ticket's columns
            plan, state = work.plan, work.state
            for name in COLUMN_FIELDS:
                state[name] = getattr(plan, name)
        new = [w for w in works if w.is_new]
        old = [w for w in works if not w.is_new]
        if new:
            for work, tid in zip(new, self.flush.insert_tickets(session, [w.state for w in new])):
                work.ticket_id = tid
            stats.tickets_created += len(new)
        if old:
            for work in old:
                work.state["version"] = work.seen_version + 1
            updated = self.flush.update_tickets(session, [(w.ticket_id, w.seen_version, w.state) for w in old])
            if updated != len(old):
                raise ConflictError("a ticket being imported was changed by someone else; retrying the batch")
            stats.tickets_updated += len(old)
        stats.events_written += self.flush.insert_events(
            session, [(work.ticket_id, e) for work in works for e in work.plan.events])


def _in_version_order(accepted: list[tuple[SourceRow, tuple]]) -> list[tuple[SourceRow, tuple]]:
    """A number's rows in the batch, oldest version first: an export sorted newest first
    (ServiceNow lists often are) still replays its history in order. Numbers keep the
    order they first appear in."""
    by_ref: dict[str, list[tuple[SourceRow, tuple]]] = {}
    for item in accepted:
        by_ref.setdefault(item[0].external_ref, []).append(item)
    ordered: list[tuple[SourceRow, tuple]] = []
    for items in by_ref.values():
        if len(items) > 1 and all(row.version for row, _ in items):
            items.sort(key=lambda item: item[0].version)
        ordered.extend(items)
    return ordered
