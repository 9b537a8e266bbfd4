"""Writing imported rows as tickets and their history, a batch per transaction.

The importers turn each source row into a :class:`SourceRow` (one update of one
ticket, keyed by the source's own number). :class:`TicketWriter` applies a batch
of them the way the ticket use cases would have, but with a handful of
statements per batch instead of a transaction per change:

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
from typing import Mapping, Sequence

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from deskui.domain.enums import ACTIVE_STATUSES, EventKind, SlaState, Status
from deskui.domain.sla import evaluate
from deskui.errors import ConflictError
from deskui.services import sla
from deskui.services.importers.common import BatchStats, RowError
from deskui.services.importers.values import slug
from deskui.services.tickets import priority_matrix
from deskui.store.db import write_session
from deskui.store.models import Analyst, Category, Group, Requester, Ticket, TicketEvent

TICKETS = Ticket.__table__
EVENTS = TicketEvent.__table__
CLOCK_KINDS = tuple(k.value for k in (EventKind.CREATED, EventKind.FIRST_RESPONSE, EventKind.RESOLVED,
                                      EventKind.REOPENED, EventKind.STATUS, EventKind.SLA_BREACH))
REQUESTER_CACHE = 100_000
# Plain strings: reading an enum member's .value costs a descriptor call, and the
# writer does it a few times a row.
(K_CREATED, K_STATUS, K_ASSIGNED, K_GROUP, K_PRIORITY, K_ESCALATED, K_RESOLVED, K_REOPENED, K_CLOSED,
 K_FIRST_RESPONSE, K_SLA_BREACH, K_FIELD, K_IMPORTED) = (
    EventKind.CREATED.value, EventKind.STATUS.value, EventKind.ASSIGNED.value, EventKind.GROUP.value,
    EventKind.PRIORITY.value, EventKind.ESCALATED.value, EventKind.RESOLVED.value, EventKind.REOPENED.value,
    EventKind.CLOSED.value, EventKind.FIRST_RESPONSE.value, EventKind.SLA_BREACH.value, EventKind.FIELD.value,
    EventKind.IMPORTED.value)
NEW, OPEN, PENDING, RESOLVED, CLOSED, CANCELLED = (s.value for s in (
    Status.NEW, Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED, Status.CANCELLED))
ACTIVE = frozenset(s.value for s in ACTIVE_STATUSES)
INACTIVE = frozenset({RESOLVED, CLOSED, CANCELLED})
RETRIES = 3
SQLITE_CACHE_KIB = 65536


@dataclass(slots=True)
class SourceRow:
    """One row of a source, parsed and sanitised. ``None`` means the source does not
    have the column (keep what the ticket has); ``""`` means the cell is empty."""

    line: int
    cells: Sequence[str]
    columns: Mapping[str, int]  # field -> 1-based column, for error messages
    external_ref: str
    created_at: datetime
    version: str = ""
    updated_at: datetime | None = None
    subject: str | None = None
    default_subject: str = ""  # the subject of a new ticket when the source has none
    description: str | None = None
    type: str | None = None
    status: str | None = None
    pending_reason: str = ""
    impact: str | None = None
    urgency: str | None = None
    priority: int | None = None
    priority_source: str = ""
    channel: str | None = None
    requester_email: str | None = None
    requester_name: str = ""
    location: str = ""
    group: str | None = None
    assignee: str | None = None
    category: str | None = None
    ci: str | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    first_response_at: datetime | None = None
    resolution_code: str | None = None
    resolution_notes: str | None = None
    made_sla: bool | None = None
    reopen_count: int | None = None
    reassignment_count: int | None = None
    note: str = ""

    def error(self, field_name: str, message: str, reason: str) -> RowError:
        return RowError(message, field=field_name, column=self.columns.get(field_name, 0), reason=reason)


class BadRow(Exception):
    """A row the writer could not take; carries the row for its line number."""

    def __init__(self, row: SourceRow, error: RowError):
        super().__init__(error.message)
        self.row = row
        self.error = error


@dataclass(frozen=True)
class RowDefaults:
    type: str = "incident"
    channel: str = "portal"
    resolution_code: str = "solved"
    impact: str = "medium"
    urgency: str = "medium"


@dataclass(slots=True)
class Ev:
    kind: str
    at: datetime
    field: str = ""
    old: str = ""
    new: str = ""
    detail: str = ""
    actor: str = ""


@dataclass(slots=True)
class _Work:
    """One ticket touched by the batch."""

    ref: str
    state: dict
    is_new: bool
    seen_version: int = 0
    ticket_id: int | None = None
    old_events: list = field(default_factory=list)
    events: list[Ev] = field(default_factory=list)
    last_version: str = ""
    last_time: datetime | None = None
    changed: bool = False
    rows: int = 0


# ----------------------------------------------------------------- directory

class Directory:
    """Groups, analysts and categories by name, loaded once per import.

    Names created during a batch are forgotten again if the batch rolls back.
    """

    def __init__(self, create_missing: bool, source_title: str, created: set | None = None):
        self.create_missing = create_missing
        self.source_title = source_title
        self.loaded = False
        self.groups: dict[str, tuple[int, str, int]] = {}
        self.group_names: dict[int, tuple[str, int]] = {}
        self.analysts: dict[str, tuple[int, str]] = {}
        self.usernames: dict[int, str] = {}
        self.categories: dict[str, tuple[int, int | None]] = {}
        self.category_paths: dict[int, str] = {}
        self.created: set[tuple[str, str]] = created if created is not None else set()
        self._undo: list = []

    def load(self, session: Session) -> None:
        if self.loaded:
            return
        for g in session.execute(select(Group.id, Group.name, Group.tier)):
            self._add_group(g.id, g.name, g.tier)
        for a in session.execute(select(Analyst.id, Analyst.username, Analyst.name, Analyst.email).order_by(Analyst.id)):
            self._add_analyst(a.id, a.username, a.name, a.email)
        rows = session.execute(select(Category.id, Category.path, Category.parent_id, Category.group_id)).all()
        own = {c.id: c.group_id for c in rows}
        for c in rows:
            routing = c.group_id if c.group_id is not None else own.get(c.parent_id)
            self._add_category(c.id, c.path, routing)
        self._undo.clear()
        self.loaded = True

    def commit(self) -> None:
        self._undo.clear()

    def rollback(self) -> None:
        for mapping, key in reversed(self._undo):
            mapping.pop(key, None)
        self._undo.clear()

    def _put(self, mapping: dict, key, value) -> None:
        if key not in mapping:
            mapping[key] = value
            self._undo.append((mapping, key))

    def _add_group(self, gid: int, name: str, tier: int) -> None:
        self._put(self.groups, name.strip().lower(), (gid, name, tier))
        self._put(self.group_names, gid, (name, tier))

    def _add_analyst(self, aid: int, username: str, name: str, email: str) -> None:
        for key in (username, name, email):
            if key:
                self._put(self.analysts, key.strip().lower(), (aid, username))
        self._put(self.usernames, aid, username)

    def _add_category(self, cid: int, path: str, routing: int | None) -> None:
        self._put(self.categories, path.lower(), (cid, routing))
        self._put(self.category_paths, cid, path)

    # -- lookups: (id, ...) or a RowError

    def group(self, session: Session, row: SourceRow, name: str) -> tuple[int, str, int]:
        found = self.groups.get(name.lower())
        if found is not None:
            return found
        if not self.create_missing:
            raise row.error("group", f"{name!r} is not a deskui group; groups: {self._some(self.groups)} "
                            "(map it in a mapping's [values.group] table, or pass --create-missing)", "unknown group")
        if len(name) > 80:
            raise row.error("group", f"{name[:40]!r}... is longer than 80 characters", "bad value")
        gid = session.execute(insert(Group).values(
            name=name, tier=1, description=f"Created by the {self.source_title} import.", email="",
        ).returning(Group.id)).scalar_one()
        self._add_group(gid, name, 1)
        self.created.add(("groups", name.lower()))
        return self.groups[name.lower()]

    def analyst(self, session: Session, row: SourceRow, name: str) -> tuple[int, str]:
        found = self.analysts.get(name.lower())
        if found is not None:
            return found
        if not self.create_missing:
            raise row.error("assignee", f"{name!r} is not a deskui analyst (username, name or email); analysts: "
                            f"{self._some(self.analysts)} (map it in [values.assignee], or pass --create-missing)",
                            "unknown analyst")
        username = base = slug(name)[:60]
        taken = set(self.usernames.values())
        n = 1
        while username in taken:
            n += 1
            username = f"{base}.{n}"
        aid = session.execute(insert(Analyst).values(
            username=username, name=name[:120], email="", role="analyst", tier=1, away=False, active=False,
        ).returning(Analyst.id)).scalar_one()
        self._add_analyst(aid, username, name, "")
        self.created.add(("analysts", username))
        return self.analysts[name.lower()]

    def category(self, session: Session, row: SourceRow, path: str) -> tuple[int, int | None]:
        found = self.categories.get(path.lower())
        if found is not None:
            return found
        if not self.create_missing:
            tops = sorted(p for p in self.category_paths.values() if "/" not in p)
            shown = ", ".join(tops[:12]) + (", ..." if len(tops) > 12 else "") or "none defined"
            raise row.error("category", f"{path!r} is not a deskui category; top-level categories: {shown} "
                            "(subcategories as Parent/Child; map it in [values.category], or pass --create-missing)",
                            "unknown category")
        parts = [p.strip() for p in path.split("/") if p.strip()]
        if len(path) > 170 or any(len(p) > 80 for p in parts):
            raise row.error("category", f"{path[:40]!r}... is too long (80 characters a name, 170 a path)", "bad value")
        parent_id = None
        routing = None
        for depth in range(len(parts)):
            sub = "/".join(parts[: depth + 1])
            known = self.categories.get(sub.lower())
            if known is None:
                cid = session.execute(insert(Category).values(
                    name=parts[depth], parent_id=parent_id, path=sub, group_id=None,
                ).returning(Category.id)).scalar_one()
                self._add_category(cid, sub, routing)
                self.created.add(("categories", sub.lower()))
                known = self.categories[sub.lower()]
            parent_id, routing = known
        return self.categories[path.lower()]

    @staticmethod
    def _some(mapping: dict, limit: int = 10) -> str:
        names = sorted({v[1] if isinstance(v, tuple) and isinstance(v[1], str) else k for k, v in mapping.items()})
        return (", ".join(names[:limit]) + (", ..." if len(names) > limit else "")) or "none defined"


# ----------------------------------------------------------------- writer

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
        self.sqlite = engine.dialect.name == "sqlite"
        self._insert = sqlite_insert if self.sqlite else pg_insert

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
        if self.sqlite:
            # A bigger page cache for this connection: index inserts stop re-reading pages.
            session.connection().exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
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
        self._flush(session, list(touched.values()), stats)

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
                session.execute(self._insert(Requester.__table__).on_conflict_do_nothing(index_elements=["email"]),
                                values)
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
                works[state["external_ref"]] = _Work(ref=state["external_ref"], state=state, is_new=False,
                                                     seen_version=state["version"], ticket_id=tid,
                                                     last_time=state["updated_at"])
        if not works:
            return works
        by_id = {w.ticket_id: w for w in works.values()}
        ids = list(by_id)
        clock_kinds = set(CLOCK_KINDS)
        imported = K_IMPORTED
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
            "sla_breach_recorded": False, "reopen_count": 0, "reassignment_count": 0, "escalation_count": 0,
            "external_made_sla": None, "updated_by": self.actor, "version": 1,
        }
        work = _Work(ref=row.external_ref, state=state, is_new=True)
        work.events.append(Ev(K_CREATED, row.created_at, detail=f"via {channel}"))
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
        created = s["created_at"]
        at = row.updated_at or work.last_time or created
        if at < created:
            at = created
        first = work.is_new and not work.rows
        before = None if (row.version or first) else dict(s)
        mark = len(work.events)
        ev = work.events.append
        ev(Ev(K_IMPORTED, at, "source_version", work.last_version, row.version, row.note))
        group, assignee, category = names
        d = self.directory

        for name, value in (("subject", row.subject), ("type", row.type), ("channel", row.channel), ("ci", row.ci)):
            if value is not None and value != s[name] and (value or name == "ci"):
                ev(Ev(K_FIELD, at, name, s[name], value))
                s[name] = value
        if row.description is not None and row.description != s["description"]:
            ev(Ev(K_FIELD, at, "description", detail="description changed"))
            s["description"] = row.description
        if row.requester_email is not None:
            rid = requester_ids.get(row.requester_email)
            if rid is not None and rid != s["requester_id"]:
                ev(Ev(K_FIELD, at, "requester", "", row.requester_email))
                s["requester_id"] = rid
        if row.category is not None:
            cid = category[0] if category else None
            if cid != s["category_id"]:
                ev(Ev(K_FIELD, at, "category", d.category_paths.get(s["category_id"], ""),
                      d.category_paths.get(cid, "")))
                s["category_id"] = cid

        impact, urgency = row.impact or s["impact"], row.urgency or s["urgency"]
        priority, reason = self._priority(row, impact, urgency)
        for name, value in (("impact", impact), ("urgency", urgency)):
            if value != s[name]:
                if priority == s["priority"]:
                    ev(Ev(K_FIELD, at, name, s[name], value))
                s[name] = value
        if priority != s["priority"]:
            ev(Ev(K_PRIORITY, at, "priority", f"P{s['priority']}", f"P{priority}", reason))
            s["priority"] = priority
        s["priority_reason"] = reason

        if row.group is not None and not (first and not row.group):  # routing chose the first group
            gid = group[0] if group else None
            if gid != s["group_id"]:
                old_name = d.group_names[s["group_id"]][0] if s["group_id"] is not None else ""
                ev(Ev(K_GROUP, at, "group", old_name, group[1] if group else ""))
                s["group_id"] = gid
                if group and group[2] > s["tier"]:
                    ev(Ev(K_ESCALATED, at, "tier", str(s["tier"]), str(group[2]),
                          f"moved to {group[1]} in {self.title}"))
                    s["tier"] = group[2]
                    s["escalation_count"] += 1

        status_first = s["status"] == NEW
        if status_first:
            self._status(work, row, at)
        if row.assignee is not None:
            aid = assignee[0] if assignee else None
            if aid != s["assignee_id"]:
                if s["assignee_id"] is not None and aid is not None:
                    s["reassignment_count"] += 1
                if aid is not None and s["first_assignee_id"] is None:
                    s["first_assignee_id"] = aid
                ev(Ev(K_ASSIGNED, at, "assignee", d.usernames.get(s["assignee_id"], ""),
                      assignee[1] if assignee else ""))
                s["assignee_id"] = aid

        if not status_first:
            self._status(work, row, at)
        self._first_response(work, row, at)

        if row.made_sla is not None:
            s["external_made_sla"] = row.made_sla
        if row.reopen_count is not None:
            s["reopen_count"] = row.reopen_count
        if row.reassignment_count is not None:
            s["reassignment_count"] = row.reassignment_count

        if before is not None and len(work.events) == mark + 1 and before == s:
            del work.events[mark:]  # a version-less row that changes nothing
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
        s = work.state
        ev = work.events.append
        old = s["status"]
        new = row.status or self._derived_status(work, row)
        if new == NEW and old != NEW:
            new = OPEN  # a ticket cannot go back to new
        reason = row.pending_reason if new == PENDING else ""
        if old == new:
            if new == PENDING and reason and reason != s["pending_reason"]:
                ev(Ev(K_FIELD, at, "pending_reason", s["pending_reason"], reason))
                s["pending_reason"] = reason
            return
        if old == RESOLVED and new == CLOSED:
            self._close(work, row, at)
            return
        if old in INACTIVE:
            ev(Ev(K_REOPENED, at, "status", old, OPEN, f"reopened in {self.title}"))
            s.update(status=OPEN, resolved_at=None, closed_at=None)
            s["reopen_count"] += 1
            old = OPEN
            if new == old:
                return
        if new in ACTIVE or new == CANCELLED:
            ev(Ev(K_STATUS, at, "status", old, new, reason))
            s["status"] = new
            s["pending_reason"] = reason
        elif new == RESOLVED:
            self._resolve(work, row, at)
        elif new == CLOSED:
            self._resolve(work, row, at)
            self._close(work, row, at)

    def _first_response(self, work: _Work, row: SourceRow, at: datetime) -> None:
        """The source's first response time; or, with ``response_from_work``, the first
        row where the ticket is assigned or leaves new (the source has no replies)."""
        s = work.state
        if s["first_response_at"] is not None:
            return
        if row.first_response_at is not None:
            when, detail = row.first_response_at, f"first response in {self.title}"
        elif self.response_from_work and (s["assignee_id"] is not None or s["status"] != NEW):
            when, detail = min(at, s["resolved_at"] or at), f"first worked in {self.title} (assigned or moved on from new)"
        else:
            return
        when = max(when, s["created_at"])
        work.events.append(Ev(K_FIRST_RESPONSE, when, detail=detail))
        s["first_response_at"] = when

    def _derived_status(self, work: _Work, row: SourceRow) -> str:
        if not work.is_new or work.rows:
            return work.state["status"]
        if row.closed_at is not None:
            return CLOSED
        if row.resolved_at is not None:
            return RESOLVED
        return NEW

    def _resolve(self, work: _Work, row: SourceRow, at: datetime) -> None:
        s = work.state
        when = max(row.resolved_at or row.closed_at or at, s["created_at"])
        code = row.resolution_code or self.defaults.resolution_code
        notes = row.resolution_notes or f"Resolved in {self.title}."
        work.events.append(Ev(K_RESOLVED, when, "status", s["status"], RESOLVED,
                              f"{code}: {notes}"))
        s.update(status=RESOLVED, pending_reason="", resolved_at=when, resolution_code=code,
                 resolution_notes=notes)

    def _close(self, work: _Work, row: SourceRow, at: datetime) -> None:
        s = work.state
        when = max(row.closed_at or at, s["resolved_at"] or s["created_at"])
        work.events.append(Ev(K_CLOSED, when, "status", RESOLVED, CLOSED))
        s.update(status=CLOSED, closed_at=when)

    # -- SLA cache, as deskui.services.sla.refresh computes it

    def _policy(self, session: Session, priority: int, ticket_type: str):
        key = (priority, ticket_type)
        if key not in self._policies:
            self._policies[key] = sla.policy_for(session, priority, ticket_type)
        return self._policies[key]

    def _refresh_sla(self, session: Session, work: _Work) -> None:
        s = work.state
        info = self._policy(session, s["priority"], s["type"])
        if info is None:
            s.update(sla_policy_id=None, response_due_at=None, resolution_due_at=None, response_warn_at=None,
                     resolution_warn_at=None, response_state=SlaState.OK.value, resolution_state=SlaState.OK.value)
            return
        history = [*work.old_events, *work.events]
        status = evaluate(sla.clock_events(history), info.targets, info.calendar, self.now, detail=False)
        s.update(sla_policy_id=info.policy_id, response_due_at=status.response.due_at,
                 resolution_due_at=status.resolution.due_at, response_warn_at=status.response.warn_at,
                 resolution_warn_at=status.resolution.warn_at, response_state=status.response.state.value,
                 resolution_state=status.resolution.state.value)
        recorded = {e.field for e in history if e.kind == K_SLA_BREACH}
        for target in (status.response, status.resolution):
            if target.breached_at is not None and target.name not in recorded:
                work.events.append(Ev(K_SLA_BREACH, min(target.breached_at, self.now), target.name,
                                      detail=f"{target.name} target of {info.name} breached"))
                s["sla_breach_recorded"] = True

    # -- writing

    def _flush(self, session: Session, works: list[_Work], stats: BatchStats) -> None:
        new = [w for w in works if w.is_new]
        old = [w for w in works if not w.is_new]
        if new:
            self._insert_tickets(session, new)
            stats.tickets_created += len(new)
        if old:
            columns = [c.name for c in TICKETS.columns if c.name not in ("id", "external_ref", "created_at")]
            stmt = (update(TICKETS)
                    .where(TICKETS.c.id == bindparam("k_id"), TICKETS.c.version == bindparam("k_seen"))
                    .values({name: bindparam(f"v_{name}") for name in columns}))
            params = []
            for work in old:
                work.state["version"] = work.seen_version + 1
                params.append({"k_id": work.ticket_id, "k_seen": work.seen_version,
                               **{f"v_{name}": work.state[name] for name in columns}})
            result = session.connection().execute(stmt, params)
            if result.rowcount != len(params):
                raise ConflictError("a ticket being imported was changed by someone else; retrying the batch")
            stats.tickets_updated += len(old)
        stamp = _sqlite_time if self.sqlite else _same
        actor = self.actor
        events = [
            (work.ticket_id, stamp(e.at), None, e.actor or actor, e.kind, e.field, (e.old or "")[:300],
             (e.new or "")[:300], e.detail, None)
            for work in works for e in work.events
        ]
        if events:
            # The driver's executemany straight away: the rows are plain tuples already
            # (times pre-formatted the way SQLAlchemy stores them on SQLite).
            mark = "?" if self.sqlite else "%s"
            session.connection().exec_driver_sql(
                f"INSERT INTO ticket_events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join([mark] * len(EVENT_COLUMNS))})",
                events)
        stats.events_written += len(events)

    def _insert_tickets(self, session: Session, works: list[_Work]) -> None:
        if not self.sqlite:
            result = session.execute(
                insert(TICKETS).returning(TICKETS.c.id, sort_by_parameter_order=True), [w.state for w in works])
            for work, (tid,) in zip(works, result.all()):
                work.ticket_id = tid
            return
        # SQLite: one plain INSERT a ticket on the driver's cursor; lastrowid is the number.
        columns = [c.name for c in TICKETS.columns if c.name != "id"]
        sql = f"INSERT INTO tickets ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        cursor = session.connection().connection.dbapi_connection.cursor()
        try:
            for work in works:
                state = work.state
                cursor.execute(sql, [_sqlite_value(state[c]) for c in columns])
                work.ticket_id = cursor.lastrowid
        finally:
            cursor.close()


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


EVENT_COLUMNS = ("ticket_id", "at", "actor_id", "actor", "kind", "field", "old", "new", "detail", "comment_id")


def _sqlite_time(value: datetime) -> str:
    # How SQLAlchemy's DateTime stores a value on SQLite (always six fraction digits), so
    # imported rows compare and sort exactly like rows written through the ORM.
    return value.isoformat(" ", "microseconds")


def _same(value):
    return value


def _sqlite_value(value):
    return _sqlite_time(value) if isinstance(value, datetime) else value
