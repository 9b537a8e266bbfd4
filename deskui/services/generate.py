"""A realistic synthetic ticket history (``deskui generate``), fast enough for a million tickets.

Every generated ticket is what the services would have written had analysts worked
it: the history is planned as use-case calls (open, take, reply, pending, escalate,
resolve, reopen, close...), cut at ``end``, and *replayed* through a small mirror of
``deskui.services.tickets`` that writes the same TicketEvents, comments, counters and
timestamps. The SLA cache is then computed from those events with
``deskui.services.sla.clock_events`` + ``deskui.domain.sla.evaluate`` as of ``end``,
and a breach event is written once per breached target (at the breach instant, as
the sweep would).

Shape of the history (see ``generate_data`` for the numbers): arrivals follow a
weekday x hour profile in the requesters' time zones (Monday-morning peak, lunch dip,
quiet nights and weekends); type, channel, priority (through the impact x urgency
matrix) and category (Zipf-like) are drawn from fixed shares; response and resolution
times are log-normal, scaled to each policy's targets, in the policy's business time;
a share of tickets is escalated, reassigned, put on hold, reopened, cancelled or
answered in a CSAT survey. Tickets whose life runs past ``end`` stay open.

Speed: tickets are generated in fixed chunks of consecutive hours. A chunk's content
depends only on (seed, chunk index, the organisation). For large runs two worker
processes each build a chunk and then write it through their own connection, taking
turns in chunk order, so both cores work, nothing is pickled back, and the database
content (event ids included) is the same whatever the number of workers. Rows are
written with raw DBAPI ``executemany`` (SQLite) or ``COPY`` (PostgreSQL), one
transaction per chunk, ids preassigned: ticket ids are dense and follow creation
time; comment ids are reserved per chunk (a chunk leaves a gap after its last one).
On SQLite the full-text trigger on ``tickets`` is dropped inside each chunk's
transaction and the chunk indexed with one ``INSERT ... SELECT`` before it is
recreated (three times faster than the trigger row by row), so a crash leaves both
consistent. The SLA arithmetic runs on ``WindowCalendar``, an exact table-driven
copy of the business calendar over the history's window.

Idempotence: running generate twice APPENDS a second history (new ticket numbers);
requesters are matched by email and reused.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import random
import re
import time
import tomllib
import zlib
from collections import deque, namedtuple
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence
from zoneinfo import ZoneInfo

from deskui.services import generate_data as data

# Tickets per chunk: the unit of work for a worker, of a transaction and of determinism
# (bigger transactions rewrite fewer index pages).
CHUNK_TICKETS = 10000
# Generate in worker processes from this many tickets on (below, in-process).
PARALLEL_FROM = 20000
# Comment ids reserved per ticket (the planner never writes more).
MAX_COMMENTS_PER_TICKET = 16
# How often the CI field is filled in (the description names the CI anyway): shared CIs
# (servers, printers) recur by nature, so they are recorded less often.
SHARED_CI_RECORDED = 0.15
PERSONAL_CI_RECORDED = 0.6
# Requesters: one per this many tickets, within bounds.
TICKETS_PER_REQUESTER = 8
MIN_REQUESTERS, MAX_REQUESTERS = 40, 20000
# Default history length: 90 days, longer when a day would hold more than this.
MAX_TICKETS_PER_DAY = 2000

ProgressCallback = Callable[[int, int], None]


# ====================================================================== public API

@dataclass(frozen=True)
class GenerateSummary:
    tickets: int
    first_id: int | None
    last_id: int | None
    open_tickets: int
    comments: int
    events: int
    surveys: int
    requesters_created: int
    start: datetime
    end: datetime
    seconds: float
    workers: int

    @property
    def tickets_per_second(self) -> float:
        return self.tickets / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        numbers = f"#{self.first_id}-#{self.last_id}" if self.first_id is not None else "none"
        return (
            f"{self.tickets:,} tickets ({numbers}, {self.open_tickets:,} still open) from "
            f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d %H:%M}, {self.comments:,} comments, "
            f"{self.events:,} events, {self.surveys:,} surveys, {self.requesters_created:,} new requesters "
            f"in {self.seconds:.1f} s ({self.tickets_per_second:,.0f} tickets/s)"
        )


def default_days(tickets: int) -> int:
    """90 days, or longer so that a day holds at most ~2,000 tickets."""
    return max(90, math.ceil(tickets / MAX_TICKETS_PER_DAY))


def generate_history(
    engine,
    *,
    tickets: int,
    seed: int = 42,
    days: int | None = None,
    end: datetime | None = None,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    templates: Path | None = None,
) -> GenerateSummary:
    """Append ``tickets`` synthetic tickets created over the ``days`` before ``end``.

    ``end`` (naive UTC, default ``clock.now()``) is the instant the history is
    observed at: SLA states are as of then and later events are not written.
    ``workers``: generator processes (default: none below 20,000 tickets, else up
    to 2); the content does not depend on it. ``templates``: a ticket_templates.toml
    (default: the shipped sample_data one when present).
    """
    from deskui import clock
    from deskui.errors import ValidationError

    if isinstance(tickets, bool) or not isinstance(tickets, int) or tickets < 1:
        raise ValidationError(f"tickets: must be a whole number >= 1, got {tickets!r}")
    if days is None:
        days = default_days(tickets)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValidationError(f"days: must be a whole number >= 1, got {days!r}")
    end = (end or clock.now()).replace(microsecond=0)
    if end.tzinfo is not None:
        raise ValidationError("end: must be a naive UTC datetime")
    start = end - timedelta(days=days)
    started = time.perf_counter()

    org = load_org(engine, seed, templates)
    pool = requester_pool(random.Random(f"{seed}:requesters"), requester_count(tickets), org.regions, org.email_domain)
    plan = arrival_plan(random.Random(f"{seed}:arrivals"), tickets, start, end, org.regions, _holiday_calendars(org))
    if workers is None:
        workers = 0 if tickets < PARALLEL_FROM else min(2, os.cpu_count() or 1)
    writer = _writer_for(engine)
    if writer.sqlite and engine.url.database in (None, "", ":memory:"):
        workers = 0  # another process cannot see an in-memory database
    totals = ChunkCounts(0, 0, 0, 0, 0)
    try:
        requester_ids, created_requesters = writer.upsert_requesters(pool)
        context = ChunkContext.build(org, pool, requester_ids, plan, seed=seed, start=start, end=end,
                                     sqlite=writer.sqlite)
        first_id, first_comment_id = writer.reserve_ids(tickets, tickets * MAX_COMMENTS_PER_TICKET)
        specs = chunk_specs(plan, first_id, first_comment_id)
        if workers > 0 and len(specs) > 1:
            url = engine.url.render_as_string(hide_password=False)
            done = _run_in_workers(context, specs, workers, url, writer)
        else:
            workers = 0
            done = _run_here(context, specs, writer)
        for counts in done:
            totals = ChunkCounts(*(a + b for a, b in zip(totals, counts)))
            if progress:
                progress(totals.tickets, tickets)
    finally:
        writer.close()
    return GenerateSummary(
        tickets=totals.tickets, first_id=first_id if totals.tickets else None,
        last_id=first_id + totals.tickets - 1 if totals.tickets else None, open_tickets=totals.open,
        comments=totals.comments, events=totals.events, surveys=totals.surveys,
        requesters_created=created_requesters, start=start, end=end,
        seconds=time.perf_counter() - started, workers=workers,
    )


# ====================================================================== the organisation

@dataclass(frozen=True)
class Template:
    category_id: int
    category_path: str
    group_id: int | None  # routing group (own, else parent's)
    parent_group_id: int | None
    type: str
    subjects: tuple[str, ...]
    description: str
    cis: tuple[str, ...]
    resolution: str
    weight: float
    personal_ci: bool


@dataclass(frozen=True)
class Org:
    groups: dict[int, tuple[str, int]]  # id -> (name, tier)
    members: dict[int, tuple[int, ...]]  # group id -> analyst indexes
    analysts: tuple[tuple[int, str, str], ...]  # (id, username, name)
    tier1_group: int | None
    policies: dict[tuple[int, str], tuple[int, str, int, int, float, int]]  # -> (id, name, resp s, res s, warn, calendar id)
    calendars: dict[int, tuple[str, str, str, str, str]]  # id -> (name, tz, weekly json, holidays json, country)
    matrix: dict[tuple[str, str], int]
    templates: tuple[Template, ...]
    regions: tuple[tuple[str, float], ...]  # (time zone, share of requesters)
    region_calendars: dict[str, int]  # time zone -> a calendar id with its holidays
    email_domain: str


def load_org(engine, seed: int, templates_path: Path | None = None) -> Org:
    """Read the organisation the history is generated for; fail clearly when it is missing."""
    from sqlalchemy import select

    from deskui.errors import ValidationError
    from deskui.services.tickets import priority_matrix
    from deskui.store.db import session_scope
    from deskui.store.models import Analyst, Calendar, Category, Group, GroupMember, SlaPolicy

    with session_scope(engine) as session:
        groups = {g.id: (g.name, g.tier) for g in session.scalars(select(Group).order_by(Group.id))}
        analysts_rows = session.scalars(select(Analyst).where(Analyst.active.is_(True)).order_by(Analyst.id)).all()
        categories = session.scalars(select(Category).order_by(Category.id)).all()
        members_rows = session.execute(select(GroupMember.group_id, GroupMember.analyst_id)
                                       .order_by(GroupMember.group_id, GroupMember.analyst_id)).all()
        policies_rows = session.scalars(select(SlaPolicy).order_by(SlaPolicy.id)).all()
        calendars = {c.id: (c.name, c.timezone, c.weekly_hours, c.holidays, c.holiday_country)
                     for c in session.scalars(select(Calendar).order_by(Calendar.id))}
        matrix = priority_matrix(session)
    if not analysts_rows:
        raise ValidationError("generate: no analysts in the database; seed the organisation first (deskui seed demo)")
    if not categories:
        raise ValidationError("generate: no categories in the database; seed the organisation first (deskui seed demo)")
    analysts = tuple((a.id, a.username, a.name) for a in analysts_rows)
    index_of = {a.id: i for i, a in enumerate(analysts_rows)}
    members: dict[int, list[int]] = {gid: [] for gid in groups}
    for group_id, analyst_id in members_rows:
        if analyst_id in index_of:
            members[group_id].append(index_of[analyst_id])
    tier1 = [gid for gid, (_, tier) in groups.items() if tier == 1 and members.get(gid)]
    policies: dict[tuple[int, str], tuple] = {}
    for ticket_type in ("incident", "request"):
        for priority in (1, 2, 3, 4):
            rows = [p for p in policies_rows if p.priority == priority and p.ticket_type in (ticket_type, "")]
            if rows:
                p = sorted(rows, key=lambda r: r.ticket_type == "")[0]
                policies[(priority, ticket_type)] = (p.id, p.name, p.response_minutes * 60, p.resolution_minutes * 60,
                                                     p.warn_share, p.calendar_id)
    by_id = {c.id: c for c in categories}

    def routing(c) -> int | None:
        if c.group_id is not None:
            return c.group_id
        parent = by_id.get(c.parent_id)
        return parent.group_id if parent is not None else None

    cats = [(c.id, c.path, routing(c), routing(by_id[c.parent_id]) if c.parent_id in by_id else None,
             c.parent_id is None and any(o.parent_id == c.id for o in categories)) for c in categories]
    templates = _load_templates(templates_path, cats, seed)
    regions, region_calendars = _regions(calendars)
    domains = [a.email.rsplit("@", 1)[1].lower() for a in analysts_rows if "@" in (a.email or "")]
    domain = max(set(domains), key=lambda d: (domains.count(d), d)) if domains else "example.com"
    return Org(
        groups=groups, members={g: tuple(m) for g, m in members.items()}, analysts=analysts,
        tier1_group=tier1[0] if tier1 else None, policies=policies, calendars=calendars,
        matrix={(i.value, u.value): p for (i, u), p in matrix.cells.items()},
        templates=templates, regions=regions, region_calendars=region_calendars, email_domain=domain,
    )


def _regions(calendars: dict[int, tuple]) -> tuple[tuple[tuple[str, float], ...], dict[str, int]]:
    """Requester time zones: those of the business calendars (the first is home, ~65%)."""
    zones: list[str] = []
    with_holidays: dict[str, int] = {}
    for cid, (_name, tz, _weekly, holidays, country) in calendars.items():
        if tz in ("UTC", "Etc/UTC"):
            continue
        if tz not in zones:
            zones.append(tz)
        # Public holidays (a country) say more about arrivals than a company's own days off.
        if country and (tz not in with_holidays or not calendars[with_holidays[tz]][4]):
            with_holidays[tz] = cid
        elif holidays not in ("", "[]") and tz not in with_holidays:
            with_holidays[tz] = cid
    if not zones:
        zones = ["Europe/London"]
    if len(zones) == 1:
        return ((zones[0], 1.0),), with_holidays
    rest = 0.35 / (len(zones) - 1)
    return tuple((z, 0.65 if i == 0 else rest) for i, z in enumerate(zones)), with_holidays


def default_templates_path() -> Path | None:
    from deskui.resources import sample_data_dir

    path = sample_data_dir() / "ticket_templates.toml"
    return path if path.is_file() else None


def _load_templates(path: Path | None, cats: list[tuple], seed: int) -> tuple[Template, ...]:
    """Templates for the categories that exist; generic ones where a category or type has none."""
    from deskui.errors import ValidationError

    path = path or default_templates_path()
    entries: list[dict] = []
    if path is not None:
        try:
            entries = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("template", [])
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValidationError(f"{path}: cannot read ticket templates: {exc}") from None
    by_path = {c[1].lower(): c for c in cats}
    leaves = [c for c in cats if not c[4]]  # categories that are not parents of others
    zipf = _zipf_weights([c[1] for c in leaves], seed)
    found: list[Template] = []
    for index, entry in enumerate(entries):
        cat = by_path.get(str(entry.get("category", "")).strip().lower())
        kind = str(entry.get("type", "incident")).strip().lower()
        subjects = tuple(str(s).strip() for s in entry.get("subjects", []) if str(s).strip())
        if cat is None or kind not in ("incident", "request") or not subjects:
            continue
        found.append(Template(
            category_id=cat[0], category_path=cat[1], group_id=cat[2], parent_group_id=cat[3], type=kind,
            subjects=subjects, description=str(entry.get("description", "")).strip(),
            cis=tuple(str(c).strip() for c in entry.get("ci", []) if str(c).strip()),
            resolution=str(entry.get("resolution", "")).strip()
            or (data.GENERIC_INCIDENT_RESOLUTION if kind == "incident" else data.GENERIC_REQUEST_RESOLUTION),
            weight=0.0, personal_ci=cat[1] in data.PERSONAL_CI_CATEGORIES,
        ))
    for kind in ("incident", "request"):
        if not any(t.type == kind for t in found):
            found.extend(_generic_templates(leaves, kind))
    # A category's volume is shared by its templates of the same type.
    share: dict[tuple[int, str], int] = {}
    for t in found:
        share[(t.category_id, t.type)] = share.get((t.category_id, t.type), 0) + 1
    weighted = []
    for t in found:
        base = data.CATEGORY_WEIGHTS.get(t.category_path, zipf.get(t.category_path, 0.5))
        weighted.append(_replace(t, weight=base / share[(t.category_id, t.type)]))
    return tuple(weighted)


def _replace(template: Template, **changes) -> Template:
    from dataclasses import replace

    return replace(template, **changes)


def _zipf_weights(paths: list[str], seed: int) -> dict[str, float]:
    """Zipf-like volume for categories without a known weight, in a seeded order."""
    order = sorted(paths)
    random.Random(f"{seed}:categories").shuffle(order)
    return {p: 6.0 / (rank + 1) ** 0.9 for rank, p in enumerate(order)}


def _generic_templates(leaves: list[tuple], kind: str) -> list[Template]:
    result = []
    for cid, path, group_id, parent_group_id, _ in leaves:
        name = path.split("/")[-1]
        subjects = data.GENERIC_INCIDENT_SUBJECTS if kind == "incident" else data.GENERIC_REQUEST_SUBJECTS
        description = data.GENERIC_INCIDENT_DESCRIPTION if kind == "incident" else data.GENERIC_REQUEST_DESCRIPTION
        result.append(Template(
            category_id=cid, category_path=path, group_id=group_id, parent_group_id=parent_group_id, type=kind,
            subjects=tuple(s.format(name=name) for s in subjects),
            description=description.replace("{category}", name.lower()), cis=(),
            resolution=data.GENERIC_INCIDENT_RESOLUTION if kind == "incident" else data.GENERIC_REQUEST_RESOLUTION,
            weight=0.0, personal_ci=False,
        ))
    return result


# ====================================================================== requesters

Person = namedtuple("Person", "email name first department location vip region")


def requester_count(tickets: int) -> int:
    return max(MIN_REQUESTERS, min(MAX_REQUESTERS, tickets // TICKETS_PER_REQUESTER))


def requester_pool(rng: random.Random, count: int, regions: Sequence[tuple[str, float]], domain: str) -> list[Person]:
    """Believable staff: unique emails, departments by size, locations by region."""
    seen: set[str] = set()
    people: list[Person] = []
    departments = [d for d, _ in data.DEPARTMENTS]
    department_weights = [w for _, w in data.DEPARTMENTS]
    zones = [z for z, _ in regions]
    zone_weights = [w for _, w in regions]
    for _ in range(count):
        first = rng.choice(data.FIRST_NAMES)
        last = rng.choice(data.LAST_NAMES)
        local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
        email, n = f"{local}@{domain}", 1
        while email in seen:
            n += 1
            email = f"{local}{n}@{domain}"
        seen.add(email)
        zone = rng.choices(zones, zone_weights)[0]
        places = data.LOCATIONS.get(zone, data.GENERIC_LOCATIONS)
        location = rng.choices([p for p, _ in places], [w for _, w in places])[0]
        department = rng.choices(departments, department_weights)[0]
        vip = department == "Executive Office" or rng.random() < 0.01
        people.append(Person(email, f"{first} {last}", first, department, location, vip, zones.index(zone)))
    return people


# ====================================================================== arrivals

@dataclass(frozen=True)
class ArrivalPlan:
    start: datetime
    end: datetime
    counts: list[int]  # tickets created in each hour slot [start + i h, start + (i+1) h) ∩ [start, end)
    regions: list[list[float]]  # per slot, the share of each region (time zone) in the arrivals


def arrival_plan(rng: random.Random, tickets: int, start: datetime, end: datetime,
                 regions: Sequence[tuple[str, float]], holiday_calendars: dict | None = None) -> ArrivalPlan:
    """How many tickets arrive in each hour: weekday x hour profile per region, day noise, busy days."""
    hours = math.ceil((end - start).total_seconds() / 3600)
    zones = [ZoneInfo(z) for z, _ in regions]
    day_noise: dict[int, float] = {}
    weights: list[float] = []
    shares: list[list[float]] = []
    for i in range(hours):
        slot = start + timedelta(hours=i)
        length = min(3600.0, (end - slot).total_seconds()) / 3600.0
        ordinal = slot.toordinal()
        noise = day_noise.get(ordinal)
        if noise is None:
            noise = rng.lognormvariate(0.0, 0.15) * (1.7 if rng.random() < 0.02 else 1.0)
            day_noise[ordinal] = noise
        parts = []
        for (zone_name, share), zone in zip(regions, zones):
            local = slot.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
            weekday, hour = local.weekday(), local.hour
            w = data.WEEKDAY_WEIGHT[weekday] * data.HOUR_WEIGHT[hour]
            if weekday == 0 and 8 <= hour < 12:
                w *= data.MONDAY_MORNING_BOOST
            if _is_holiday(zone_name, local.date(), holiday_calendars):
                w *= 0.15
            parts.append(share * w)
        total = sum(parts)
        weights.append(total * noise * length)
        shares.append([p / total for p in parts] if total else [1.0 / len(parts)] * len(parts))
    counts = _multinomial_sorted(rng, tickets, weights)
    return ArrivalPlan(start, end, counts, shares)


def _is_holiday(zone: str, day, holiday_calendars: dict | None) -> bool:
    if not holiday_calendars:
        return False
    calendar = holiday_calendars.get(zone)
    return calendar is not None and calendar.holiday_name(day) is not None


def _multinomial_sorted(rng: random.Random, n: int, weights: list[float]) -> list[int]:
    """Counts per slot of n i.i.d. draws with the given weights, in O(n + slots):
    ascending uniform order statistics walked against the cumulative weights."""
    total = sum(weights)
    counts = [0] * len(weights)
    if total <= 0:
        counts[-1] = n
        return counts
    slot, upper = 0, weights[0] / total
    x = 1.0
    for i in range(n, 0, -1):
        x *= rng.random() ** (1.0 / i)
        u = 1.0 - x  # ascending
        while u >= upper and slot < len(weights) - 1:
            slot += 1
            upper += weights[slot] / total
        counts[slot] += 1
    return counts


@dataclass(frozen=True)
class ChunkSpec:
    index: int
    first_slot: int
    counts: tuple[int, ...]
    first_ticket_id: int
    first_comment_id: int

    @property
    def tickets(self) -> int:
        return sum(self.counts)


def chunk_specs(plan: ArrivalPlan, first_ticket_id: int, first_comment_id: int) -> list[ChunkSpec]:
    specs: list[ChunkSpec] = []
    slot, ticket_id, comment_id = 0, first_ticket_id, first_comment_id
    while slot < len(plan.counts):
        begin, n = slot, 0
        while slot < len(plan.counts) and (n == 0 or n + plan.counts[slot] <= CHUNK_TICKETS):
            n += plan.counts[slot]
            slot += 1
        if n:
            specs.append(ChunkSpec(len(specs), begin, tuple(plan.counts[begin:slot]), ticket_id, comment_id))
            ticket_id += n
            comment_id += n * MAX_COMMENTS_PER_TICKET
    return specs


# ====================================================================== chunk generation

TICKET_COLUMNS = (
    "id", "type", "subject", "description", "requester_id", "channel", "category_id", "impact", "urgency",
    "priority", "priority_reason", "status", "pending_reason", "group_id", "assignee_id", "first_assignee_id",
    "tier", "ci", "problem_id", "created_at", "updated_at", "first_response_at", "resolved_at", "closed_at",
    "resolution_code", "resolution_notes", "external_ref", "sla_policy_id", "response_due_at", "resolution_due_at",
    "response_warn_at", "resolution_warn_at", "response_state", "resolution_state", "sla_breach_recorded", "reopen_count", "reassignment_count",
    "escalation_count", "external_made_sla", "updated_by", "version",
)
COMMENT_COLUMNS = ("id", "ticket_id", "author_id", "author_name", "visibility", "body", "created_at")
EVENT_COLUMNS = ("ticket_id", "at", "actor_id", "actor", "kind", "field", "old", "new", "detail", "comment_id")
SURVEY_COLUMNS = ("ticket_id", "score", "comment", "created_at")


@dataclass
class ChunkRows:
    tickets: list[tuple] = field(default_factory=list)
    comments: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    surveys: list[tuple] = field(default_factory=list)
    open: int = 0
    first_ticket_id: int = 0

    def counts(self) -> ChunkCounts:
        return ChunkCounts(len(self.tickets), self.open, len(self.comments), len(self.events), len(self.surveys))


@dataclass(frozen=True)
class ChunkContext:
    """Everything a chunk needs, picklable for worker processes."""

    org: Org
    people: tuple[tuple[int, str, str, bool, int], ...]  # (requester id, name, first name, vip, region)
    plan: ArrivalPlan
    seed: int
    start: datetime
    end: datetime
    sqlite: bool

    @classmethod
    def build(cls, org: Org, pool: list[Person], ids: list[int], plan: ArrivalPlan, *, seed: int, start: datetime,
              end: datetime, sqlite: bool) -> "ChunkContext":
        people = tuple((rid, p.name, p.first, p.vip, p.region) for rid, p in zip(ids, pool))
        return cls(org, people, plan, seed, start, end, sqlite)


ChunkCounts = namedtuple("ChunkCounts", "tickets open comments events surveys")


def _run_here(context: ChunkContext, specs: list[ChunkSpec], writer) -> Iterator[ChunkCounts]:
    """Generate and write chunk after chunk in this process."""
    generator = _ChunkGenerator(context)
    writer.begin_bulk()
    for spec in specs:
        rows = generator.chunk(spec)
        writer.write(rows)
        yield rows.counts()


# Worker processes: each generates a chunk, then waits for its turn (chunks are
# written in order, so event ids are dense and the content is the same as in one
# process) and writes it through its own connection.
_WORKER: dict = {}


def _worker_init(context: ChunkContext, url: str, turn, abort, condition) -> None:
    from deskui.store.db import make_engine

    writer = _writer_for(make_engine(url))
    writer.begin_bulk()
    _WORKER.update(generator=_ChunkGenerator(context), writer=writer, turn=turn, abort=abort, condition=condition)


def _worker_chunk(spec: ChunkSpec) -> ChunkCounts:
    rows = _WORKER["generator"].chunk(spec)
    turn, abort, condition = _WORKER["turn"], _WORKER["abort"], _WORKER["condition"]
    with condition:
        while turn.value != spec.index:
            if abort.value:
                raise RuntimeError("generate: stopped because another chunk failed")
            condition.wait(0.5)
    _WORKER["writer"].write(rows)
    with condition:
        turn.value = spec.index + 1
        condition.notify_all()
    return rows.counts()


def _run_in_workers(context: ChunkContext, specs: list[ChunkSpec], workers: int, url: str,
                    writer) -> Iterator[ChunkCounts]:
    """Chunks built and written by `workers` processes, reported in order. If the
    processes cannot start (e.g. a script without the ``if __name__ == "__main__":``
    guard that "spawn" needs), nothing has been written yet and this process does it."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    mp = multiprocessing.get_context("spawn")
    turn, abort = mp.RawValue("q", specs[0].index), mp.RawValue("b", 0)
    condition = mp.Condition()
    executor = ProcessPoolExecutor(workers, mp_context=mp, initializer=_worker_init,
                                   initargs=(context, url, turn, abort, condition))
    written = 0
    try:
        in_flight: deque = deque()
        todo = iter(specs)
        for spec in todo:  # a bounded look-ahead keeps memory flat
            in_flight.append(executor.submit(_worker_chunk, spec))
            if len(in_flight) >= workers * 2:
                break
        while in_flight:
            counts = in_flight.popleft().result()
            written += 1
            spec = next(todo, None)
            if spec is not None:
                in_flight.append(executor.submit(_worker_chunk, spec))
            yield counts
        executor.shutdown(wait=True)
    except BrokenProcessPool:
        executor.shutdown(wait=True, cancel_futures=True)
        if written or turn.value != specs[0].index:
            raise
        yield from _run_here(context, specs, writer)
    except BaseException:
        with condition:
            abort.value = 1
            condition.notify_all()
        executor.shutdown(wait=True, cancel_futures=True)
        raise


_Ev = namedtuple("_Ev", "at kind actor old new detail")

# Event kinds (the values of deskui.domain.enums.EventKind).
CREATED, STATUS, ASSIGNED, GROUP, PRIORITY, COMMENT, ESCALATED = (
    "created", "status", "assigned", "group", "priority", "comment", "escalated")
RESOLVED, REOPENED, CLOSED, FIRST_RESPONSE, SLA_BREACH = "resolved", "reopened", "closed", "first_response", "sla_breach"
_CLOCK_KINDS = frozenset({CREATED, FIRST_RESPONSE, RESOLVED, REOPENED, STATUS})
_ACTIVE = frozenset({"new", "open", "pending"})

# Planned operations (replayed in time order).
OP_TAKE, OP_REASSIGN, OP_PRIORITY, OP_REPLY, OP_NOTE, OP_REQUESTER, OP_PENDING, OP_RESUME = range(8)
OP_ESCALATE, OP_RESOLVE, OP_REOPEN, OP_CLOSE, OP_CANCEL = range(8, 13)

_DIGITS = re.compile(r"^(.*?)(\d+)(\D*)$")


class _ChunkGenerator:
    """Builds the rows of one chunk. Deterministic in (seed, chunk index, context)."""

    def __init__(self, context: ChunkContext):
        from deskui.domain.calendar import BusinessCalendar
        from deskui.domain.sla import SlaTargets, evaluate
        from deskui.services.sla import clock_events

        self.ctx = context
        org = context.org
        self.evaluate = evaluate
        self.clock_events = clock_events
        self.end = context.end
        self.calendars = {
            cid: BusinessCalendar.from_config(name=name, timezone=tz, weekly_hours=json.loads(weekly),
                                              holidays=json.loads(holidays), holiday_country=country)
            for cid, (name, tz, weekly, holidays, country) in org.calendars.items()
        }
        self.always = BusinessCalendar.always_open()
        # Exact table-driven arithmetic over the history's window (see WindowCalendar).
        window = (context.start - timedelta(days=2), context.end + timedelta(days=WINDOW_DAYS_AFTER_END))
        self.calendars = {cid: WindowCalendar(cal, *window) for cid, cal in self.calendars.items()}
        self.always = WindowCalendar(self.always, *window)
        # (priority, type) -> (policy id, name, targets, calendar)
        self.policies = {
            key: (pid, name, SlaTargets(resp, res, warn), self.calendars[cal])
            for key, (pid, name, resp, res, warn, cal) in org.policies.items()
        }
        self.analysts = org.analysts
        self.members = org.members
        self.groups = org.groups
        self.tier1 = org.tier1_group
        self.tier1_members = org.members.get(org.tier1_group, ()) if org.tier1_group else ()
        self.all_analysts = tuple(range(len(org.analysts)))
        self.by_tier = {t: [g for g, (_, tier) in org.groups.items() if tier == t and org.members.get(g)] for t in (1, 2, 3)}
        self.cells: dict[int, list[tuple[str, str]]] = {}
        for (impact, urgency), p in sorted(org.matrix.items()):
            self.cells.setdefault(p, []).append((impact, urgency))
        self.templates = {kind: [t for t in org.templates if t.type == kind] for kind in ("incident", "request")}
        self.template_cum = {kind: _cumulative([t.weight for t in ts]) for kind, ts in self.templates.items()}
        monitorable = [t for t in self.templates["incident"] if t.cis and not t.personal_ci]
        self.monitor_templates = monitorable or self.templates["incident"]
        self.ci_parts = {}
        for ts in self.templates.values():
            for t in ts:
                for ci in t.cis:
                    match = _DIGITS.match(ci)
                    self.ci_parts[ci] = (match[1], len(match[2]), match[3], zlib.crc32(match[1].encode())) if match else None
        regions = max((p[4] for p in context.people), default=0) + 1
        self.people_by_region: list[list[tuple]] = [[] for _ in range(regions)]
        for person in context.people:
            self.people_by_region[person[4]].append(person)
        for i in range(regions):
            if not self.people_by_region[i]:
                self.people_by_region[i] = list(context.people)
        # Some people raise far more tickets than others.
        self.people_cum = [_cumulative([1.0 / (rank + 25) ** 0.6 for rank in range(len(ps))]) for ps in self.people_by_region]
        self.zones = [ZoneInfo(z) for z, _ in org.regions]
        self.channels = [c for c, _ in data.CHANNELS]
        self.channel_cum = _cumulative([w for _, w in data.CHANNELS])
        self.pending_reasons = [r for r, _ in data.PENDING_REASONS]
        self.pending_cum = _cumulative([w for _, w in data.PENDING_REASONS])
        self.codes = {k: ([c for c, _ in v], _cumulative([w for _, w in v])) for k, v in data.RESOLUTION_CODES.items()}
        self.score_cum = _cumulative(data.SCORE_WEIGHTS)
        self.score_bad_cum = _cumulative(data.SCORE_WEIGHTS_BAD)
        self.fmt = _sqlite_dt if context.sqlite else _same
        self.plan = context.plan

    # ------------------------------------------------------------------ chunk

    def chunk(self, spec: ChunkSpec) -> ChunkRows:
        rng = random.Random(f"{self.ctx.seed}:chunk:{spec.index}")
        rows = ChunkRows(first_ticket_id=spec.first_ticket_id)
        ticket_id = spec.first_ticket_id
        comment_id = spec.first_comment_id
        start = self.ctx.start
        end = self.end
        shares = self.plan.regions
        for offset, count in enumerate(spec.counts):
            if not count:
                continue
            slot = spec.first_slot + offset
            slot_start = start + timedelta(hours=slot)
            length = int(min(3600, (end - slot_start).total_seconds()))
            seconds = sorted(rng.randrange(max(length, 1)) for _ in range(count))
            region_cum = _cumulative(shares[slot])
            for s in seconds:
                region = bisect.bisect_right(region_cum, rng.random() * region_cum[-1])
                region = min(region, len(region_cum) - 1)
                created = slot_start + timedelta(seconds=s)
                comment_id = self._ticket(rng, rows, ticket_id, comment_id, created, region)
                ticket_id += 1
        return rows

    # ------------------------------------------------------------------ one ticket

    def _ticket(self, rng: random.Random, rows: ChunkRows, ticket_id: int, comment_id: int,
                created: datetime, region: int) -> int:
        rand = rng.random
        # --- what it is
        channel = self.channels[bisect.bisect_right(self.channel_cum, rand() * self.channel_cum[-1])]
        if channel == "monitoring":
            kind = "incident"
            template = self.monitor_templates[int(rand() * len(self.monitor_templates))]
        else:
            kind = "request" if rand() < 0.26 else "incident"
            cum = self.template_cum[kind]
            template = self.templates[kind][bisect.bisect_right(cum, rand() * cum[-1])]
        people = self.people_by_region[region]
        pcum = self.people_cum[region]
        person = people[min(bisect.bisect_right(pcum, rand() * pcum[-1]), len(people) - 1)]
        requester_id, requester_name, first_name, vip = person[0], person[1], person[2], person[3]
        weights = data.PRIORITY_WEIGHTS["monitoring" if channel == "monitoring" else kind]
        priority = 1 + _pick(rand, weights)
        if vip and priority > 2 and rand() < 0.3:
            priority -= 1
        impact, urgency, priority = self._cell(rand, priority)
        ci, ci_text = self._ci(rand, template, requester_id, channel)
        local = created.replace(tzinfo=_UTC).astimezone(self.zones[min(region, len(self.zones) - 1)])
        weekday = data.WEEKDAY_NAMES[(local.weekday() - (0 if rand() < 0.6 else 1)) % 7]
        if channel == "monitoring":
            alert = data.MONITORING_ALERTS[int(rand() * len(data.MONITORING_ALERTS))]
            subject = f"[{ci}] {alert}"
            description = (f"Alert raised by monitoring at {created:%H:%M} UTC: {alert} on {ci}.\n"
                           f"Threshold exceeded for 3 consecutive checks; ticket opened automatically.")
        else:
            subject = template.subjects[int(rand() * len(template.subjects))]
            description = (template.description.replace("{requester.name}", requester_name)
                           .replace("{weekday}", weekday).replace("{ci}", ci_text or "my device"))
        policy = self.policies.get((priority, kind))
        calendar = policy[3] if policy else self.always
        resp_target = policy[2].response_seconds if policy else 4 * 3600
        res_target = policy[2].resolution_seconds if policy else 3 * 86400

        # --- who first
        first_contact = channel in ("phone", "chat", "walk_in") and self.tier1 is not None
        if first_contact:
            group = self.tier1
            creator = self.tier1_members[int(rand() * len(self.tier1_members))]
        else:
            group = template.group_id if template.group_id in self.groups else (self.tier1 or template.group_id)
            creator = None
        intake = {"email": "intake:email", "portal": "portal", "monitoring": "monitoring"}.get(channel, "intake:email")
        replies_via = "portal" if channel == "portal" else "intake:email"

        # --- timing (business seconds on the policy calendar)
        if first_contact:
            response = rng.randint(60, 900)
        else:
            response = max(60, int(rng.lognormvariate(math.log(0.2 * resp_target), 0.95)))
        quick_fix = first_contact and rand() < 0.4
        if quick_fix:
            resolution = response + rng.randint(120, 1800)
        else:
            share = 0.2 if kind == "incident" else 0.28
            resolution = max(response + 300, int(rng.lognormvariate(math.log(share * res_target), 1.05)))
        span = resolution - response

        ops: list[tuple] = []  # (offset or None, wall or None, seq, op, args)
        seq = 0

        def plan(offset, op, *args):
            nonlocal seq
            seq += 1
            ops.append((offset, seq, op, args))

        cancel = rand() < 0.02
        if not first_contact:
            plan(int(response * (0.05 + 0.75 * rand())), OP_TAKE, None)
            if rand() < 0.04 and priority > 1 and ops[-1][0] < 0.5 * resp_target:
                plan(ops[-1][0], OP_PRIORITY, self._other_cell(rand, priority))
        thing = ci_text or subject.lower()
        first_reply_kind = "phone" if first_contact else "first"
        if not (quick_fix and rand() < 0.3):
            plan(response, OP_REPLY, first_reply_kind, thing)
        pause = None
        no_response = False
        if not quick_fix and priority > 1 and rand() < 0.22:
            p = response + int(span * (0.1 + 0.6 * rand()))
            reason = self.pending_reasons[bisect.bisect_right(self.pending_cum, rand() * self.pending_cum[-1])]
            if reason == "awaiting_requester":
                plan(p, OP_REPLY, "ask", thing)
                hold = rng.lognormvariate(math.log(18 * 3600), 1.0)
                no_response = rand() < 0.3
            else:
                plan(p, OP_NOTE, "vendor", thing)
                hold = rng.lognormvariate(math.log((3 if reason == "awaiting_vendor" else 4) * 86400), 0.7)
            plan(p, OP_PENDING, reason)
            pause = (p, reason, hold)
        escalated = False
        if not quick_fix:
            target = self._escalation_target(rand, group, template, first_contact)
            if target is not None:
                e = response + int(span * (0.05 + 0.45 * rand()))
                if pause is not None and e == pause[0]:
                    e += 1
                reason = data.ESCALATION_REASONS[int(rand() * len(data.ESCALATION_REASONS))]
                target_group, target_tier = target
                name = self.groups[target_group][0] if target_group else "tier 3"
                plan(e, OP_NOTE, "escalate", reason.replace("{group}", name))
                plan(e, OP_ESCALATE, target_group, target_tier, reason.replace("{group}", name))
                plan(e + int(rng.lognormvariate(math.log(1800), 0.8)), OP_TAKE, None)
                escalated = True
            if rand() < 0.1:
                plan(response + int(span * (0.1 + 0.8 * rand())), OP_REASSIGN)
        # 0-6 comments in all: the first reply, hold and escalation notes, then extras.
        planned = sum(1 for o in ops if o[2] in (OP_REPLY, OP_NOTE)) + 2
        extra = min(_pick(rand, (40, 30, 18, 8, 4)), max(0, 6 - planned))
        for _ in range(extra if not quick_fix else 0):
            at = response + int(span * rand())
            roll = rand()
            if roll < 0.4:
                plan(at, OP_NOTE, "note", thing)
            elif roll < 0.75:
                plan(at, OP_REPLY, "update", thing)
            else:
                plan(at, OP_REQUESTER, "reply")
        if cancel:
            plan(int(resolution * rand()), OP_CANCEL)
        code_names, code_cum = self.codes[kind]
        code = code_names[bisect.bisect_right(code_cum, rand() * code_cum[-1])]
        notes = template.resolution
        if not no_response:
            if rand() < 0.75:
                plan(resolution, OP_REPLY, "resolution", notes)
            plan(resolution, OP_RESOLVE, code, notes)

        # --- wall times: business offsets on the calendar, pending holds in wall time
        add = calendar.add_business_seconds
        walls: dict[int, datetime] = {}
        resume_wall = None
        if pause is not None:
            p, reason, hold = pause
            pause_wall = add(created, p)
            resume_wall = pause_wall + timedelta(seconds=int(hold))
            if reason != "awaiting_requester":
                resume_wall = add(resume_wall, 60)  # analysts act in business hours

        def wall(offset: int) -> datetime:
            at = walls.get(offset)
            if at is None:
                if pause is not None and offset > pause[0]:
                    at = add(resume_wall, offset - pause[0])
                else:
                    at = add(created, offset) if offset else created
                walls[offset] = at
            return at

        timeline = []
        for offset, s, op, args in ops:
            if no_response and offset > pause[0]:
                continue  # the requester never answered: the ticket is resolved from the hold
            timeline.append((wall(offset), s, op, args))
        if pause is not None:
            p, reason, hold = pause
            if no_response:
                closing = add(resume_wall, 60)
                timeline.append((closing, seq + 1, OP_REPLY, ("no_response", "")))
                timeline.append((closing, seq + 2, OP_RESOLVE, ("no_response", "No reply from the requester after reminders.")))
            elif reason == "awaiting_requester":
                timeline.append((resume_wall, seq + 1, OP_REQUESTER, ("reply",)))
                timeline.append((resume_wall, seq + 2, OP_RESUME, (replies_via,)))
            else:
                timeline.append((resume_wall, seq + 1, OP_RESUME, (None,)))
        seq += 3
        timeline.sort()  # (at, seq) are unique: args are never compared
        resolved_wall = None
        for at, _, op, _args in timeline:
            if op == OP_RESOLVE:
                resolved_wall = at
        reopened = False
        if resolved_wall is not None and not cancel and rand() < 0.055:
            reopen_at = resolved_wall + timedelta(seconds=int(rng.lognormvariate(math.log(20 * 3600), 0.9)))
            again = add(reopen_at, int(rng.lognormvariate(math.log(0.08 * res_target), 0.8)) + 300)
            timeline.append((reopen_at, seq + 1, OP_REQUESTER, ("reopen",)))
            timeline.append((reopen_at, seq + 2, OP_REOPEN, (replies_via,)))
            timeline.append((again, seq + 3, OP_REPLY, ("resolution", notes)))
            timeline.append((again, seq + 4, OP_RESOLVE, (code, notes)))
            resolved_wall = again
            reopened = True
            seq += 4
        if resolved_wall is not None and not cancel:
            closing = resolved_wall + timedelta(days=5, seconds=rng.randrange(7200))
            timeline.append((closing, seq + 1, OP_CLOSE, ()))
        if reopened or not cancel:
            timeline.sort()  # (at, seq) are unique: args are never compared

        # --- replay as the services would have written it, up to `end`
        return self._replay(rng, rows, ticket_id, comment_id, created, timeline, dict(
            kind=kind, channel=channel, subject=subject, description=description, requester_id=requester_id,
            requester_name=requester_name, first_name=first_name, template=template, impact=impact, urgency=urgency,
            priority=priority, group=group, creator=creator, intake=intake, ci=ci, policy=policy, calendar=calendar,
            escalated=escalated,
        ))

    # ------------------------------------------------------------------ replay

    def _replay(self, rng, rows: ChunkRows, ticket_id: int, comment_id: int, created: datetime,
                timeline: list, t: dict) -> int:
        """Apply the planned calls in time order, as deskui.services.tickets would, up to
        `end`; append the ticket's rows; return the next free comment id."""
        rand = rng.random
        end = self.end
        fmt = self.fmt
        analysts = self.analysts
        groups = self.groups
        members = self.members
        events: list[tuple] = []  # output rows, in time order
        comments = rows.comments
        clock: list[_Ev] = []
        stamp_of = [None, None]  # the last datetime formatted, and its text

        def event(at, actor_id, actor, kind, fld="", old="", new="", detail="", comment=None):
            if at is not stamp_of[0]:
                stamp_of[0], stamp_of[1] = at, fmt(at)
            events.append((ticket_id, stamp_of[1], actor_id, actor, kind, fld, old, new, detail, comment))
            if kind in _CLOCK_KINDS:
                clock.append(_Ev(at, kind, actor, old, new, detail))

        def comment(at, author_id, author_name, visibility, body) -> int:
            nonlocal comment_id
            if at is not stamp_of[0]:
                stamp_of[0], stamp_of[1] = at, fmt(at)
            comments.append((comment_id, ticket_id, author_id, author_name, visibility, body, stamp_of[1]))
            comment_id += 1
            return comment_id - 1

        status = "new"
        group = t["group"]
        tier = groups[group][1] if group in groups else 1
        assignee = first_assignee = None
        priority, impact, urgency = t["priority"], t["impact"], t["urgency"]
        priority_reason = _reason(impact, urgency, priority)
        pending_reason = code = notes = ""
        first_response = resolved_at = closed_at = None
        reopens = reassignments = escalations = 0
        version = 1
        creator = t["creator"]
        if creator is not None:
            cid, cname = analysts[creator][0], analysts[creator][1]
        else:
            cid, cname = None, t["intake"]
        updated_at, updated_by = created, cname
        event(created, cid, cname, CREATED, detail=f"via {t['channel']}")
        if creator is not None:  # logged by the analyst on the call: open_ticket(assignee=...)
            event(created, cid, cname, STATUS, "status", "new", "open")
            event(created, cid, cname, ASSIGNED, "assignee", "", cname)
            status, assignee, first_assignee = "open", creator, creator
        first = t["first_name"]
        requester_name = t["requester_name"]
        requester_actor = "portal" if t["channel"] == "portal" else "intake:email"

        def worker() -> int:
            """Who acts for the desk now: the assignee, else someone in the group."""
            if assignee is not None:
                return assignee
            pool = members.get(group) or self.all_analysts
            return pool[int(rand() * len(pool))]

        for at, _, op, args in timeline:
            if at > end:
                break
            if status == "cancelled" or status == "closed":
                break  # final: nothing happens to the ticket any more
            if op == OP_REPLY or op == OP_NOTE:
                aid, user, name = analysts[worker()]
                body = self._text(rand, op, args, first, name)
                visibility = "public" if op == OP_REPLY else "internal"
                new_id = comment(at, aid, name, visibility, body)
                event(at, aid, user, COMMENT, visibility, detail=body[:120], comment=new_id)
                if visibility == "public" and first_response is None:
                    first_response = at
                    version += 1
                    updated_at, updated_by = at, user
                    event(at, aid, user, FIRST_RESPONSE, detail=f"comment {new_id}")
                continue
            if op == OP_REQUESTER:
                texts = data.REOPEN_REPLIES if args[0] == "reopen" else data.REQUESTER_REPLIES
                body = texts[int(rand() * len(texts))]
                new_id = comment(at, None, requester_name, "public", body)
                event(at, None, requester_actor, COMMENT, "public", detail=body[:120], comment=new_id)
                continue
            if op == OP_TAKE:
                if status not in _ACTIVE:
                    continue
                pool = members.get(group) or self.all_analysts
                choice = pool[int(rand() * len(pool))]
                if choice == assignee:
                    continue
                aid, user, _ = analysts[choice]
                old_user = analysts[assignee][1] if assignee is not None else ""
                if assignee is not None:
                    reassignments += 1
                if status == "new":
                    event(at, aid, user, STATUS, "status", "new", "open")
                    status = "open"
                event(at, aid, user, ASSIGNED, "assignee", old_user, user)
                assignee = choice
                if first_assignee is None:
                    first_assignee = choice
            elif op == OP_REASSIGN:
                pool = [m for m in members.get(group, ()) if m != assignee]
                if status not in _ACTIVE or assignee is None or not pool:
                    continue
                choice = pool[int(rand() * len(pool))]
                aid, user, _ = analysts[assignee]
                reassignments += 1
                event(at, aid, user, ASSIGNED, "assignee", user, analysts[choice][1])
                assignee = choice
            elif op == OP_PRIORITY:
                if status not in _ACTIVE:
                    continue
                aid, user, _ = analysts[worker()]
                old = priority
                impact, urgency, priority = args[0]
                priority_reason = _reason(impact, urgency, priority)
                event(at, aid, user, PRIORITY, "priority", f"P{old}", f"P{priority}", priority_reason)
            elif op == OP_PENDING:
                if status != "new" and status != "open":
                    continue
                aid, user, _ = analysts[worker()]
                event(at, aid, user, STATUS, "status", status, "pending", args[0])
                status, pending_reason = "pending", args[0]
            elif op == OP_RESUME:
                if status != "pending":
                    continue
                if args[0] is None:
                    aid, user, _ = analysts[worker()]
                else:
                    aid, user = None, args[0]
                event(at, aid, user, STATUS, "status", "pending", "open")
                status, pending_reason = "open", ""
            elif op == OP_ESCALATE:
                if status not in _ACTIVE:
                    continue
                target_group, target_tier, reason = args
                aid, user, _ = analysts[worker()]
                old_tier = tier
                if target_group is not None and target_group != group:
                    event(at, aid, user, GROUP, "group", groups[group][0] if group in groups else "",
                          groups[target_group][0])
                    group = target_group
                    if assignee is not None and assignee not in members.get(group, ()):
                        event(at, aid, user, ASSIGNED, "assignee", analysts[assignee][1], "")
                        assignee = None
                tier = target_tier if target_tier is not None else max(tier, groups[target_group][1])
                escalations += 1
                event(at, aid, user, ESCALATED, "tier", str(old_tier), str(tier), reason)
            elif op == OP_RESOLVE:
                if status not in _ACTIVE:
                    continue
                aid, user, _ = analysts[worker()]
                code, notes = args
                event(at, aid, user, RESOLVED, "status", status, "resolved", f"{code}: {notes}")
                status, pending_reason, resolved_at = "resolved", "", at
            elif op == OP_REOPEN:
                if status != "resolved":
                    continue
                user = args[0]
                event(at, None, user, REOPENED, "status", "resolved", "open", "requester replied: still not fixed")
                status, resolved_at = "open", None
                reopens += 1
            elif op == OP_CLOSE:
                if status != "resolved":
                    continue
                user = "rule:auto-close"
                event(at, None, user, CLOSED, "status", "resolved", "closed")
                status, closed_at = "closed", at
            elif op == OP_CANCEL:
                if status not in _ACTIVE:
                    continue
                aid, user, name = analysts[worker()]
                reason = data.CANCEL_REASONS[int(rand() * len(data.CANCEL_REASONS))]
                new_id = comment(at, aid, name, "internal", reason)
                event(at, aid, user, COMMENT, "internal", detail=reason[:120], comment=new_id)
                event(at, aid, user, STATUS, "status", status, "cancelled")
                status, pending_reason = "cancelled", ""
            # Every use case above is one _mutate: version + 1, updated_at/by.
            version += 1
            updated_at, updated_by = at, user

        # --- SLA cache as of `end`, exactly as deskui.services.sla.refresh computes it
        policy = t["policy"]
        breach_recorded = False
        if policy is not None and t["priority"] != priority:
            policy = self.policies.get((priority, t["kind"]))
        if policy is not None:
            policy_id, policy_name, targets, calendar = policy
            sla = self.evaluate(self.clock_events(clock), targets, calendar, end, detail=False)
            response_due, resolution_due = sla.response.due_at, sla.resolution.due_at
            response_warn, resolution_warn = sla.response.warn_at, sla.resolution.warn_at
            response_state, resolution_state = sla.response.state.value, sla.resolution.state.value
            for target in (sla.response, sla.resolution):
                if target.breached_at is not None:
                    # The sweep writes it once, at the breach (after what happened at that instant).
                    breach_recorded = True
                    row = (ticket_id, fmt(min(target.breached_at, end)), None, "sla-sweep", SLA_BREACH, target.name,
                           "", "", f"{target.name} target of {policy_name} breached", None)
                    bisect.insort_right(events, row, key=_event_time)
        else:
            policy_id = response_due = resolution_due = response_warn = resolution_warn = None
            response_state = resolution_state = "ok"
        rows.events.extend(events)

        template = t["template"]
        rows.tickets.append((
            ticket_id, t["kind"], t["subject"], t["description"], t["requester_id"], t["channel"],
            template.category_id, impact, urgency, priority, priority_reason, status, pending_reason, group,
            analysts[assignee][0] if assignee is not None else None,
            analysts[first_assignee][0] if first_assignee is not None else None,
            tier, t["ci"], None, fmt(created), fmt(updated_at), _fmt_opt(fmt, first_response),
            _fmt_opt(fmt, resolved_at), _fmt_opt(fmt, closed_at), code, notes, None, policy_id,
            _fmt_opt(fmt, response_due), _fmt_opt(fmt, resolution_due), _fmt_opt(fmt, response_warn),
            _fmt_opt(fmt, resolution_warn), response_state, resolution_state,
            _bool(breach_recorded, self.ctx.sqlite), reopens, reassignments, escalations, None, updated_by, version,
        ))
        if status in _ACTIVE:
            rows.open += 1
        # --- CSAT: about a quarter of resolved tickets get an answer
        if status in ("resolved", "closed") and rand() < 0.25:
            answered = resolved_at + timedelta(seconds=int(rng.lognormvariate(math.log(5 * 3600), 1.0)))
            if answered <= end:
                cum = self.score_bad_cum if breach_recorded or reopens else self.score_cum
                score = min(5, 1 + bisect.bisect_right(cum, rand() * cum[-1]))
                remark = ""
                if rand() < 0.3:
                    choices = data.CSAT_COMMENTS[score]
                    remark = choices[int(rand() * len(choices))]
                rows.surveys.append((ticket_id, score, remark, fmt(answered)))
        return comment_id

    # ------------------------------------------------------------------ pieces

    def _cell(self, rand, priority: int) -> tuple[str, str, int]:
        cells = self.cells.get(priority)
        if not cells:  # a configured matrix without this priority: any cell
            impact, urgency = _LEVEL_PAIRS[int(rand() * len(_LEVEL_PAIRS))]
            return impact, urgency, self.ctx.org.matrix[(impact, urgency)]
        impact, urgency = cells[int(rand() * len(cells))]
        return impact, urgency, priority

    def _other_cell(self, rand, priority: int) -> tuple[str, str, int]:
        """Triage re-rates a ticket one step (P2-P4: the same business calendar)."""
        target = priority + (1 if priority < 4 and (priority == 2 or rand() < 0.5) else -1)
        target = min(4, max(2, target))
        return self._cell(rand, target)

    def _ci(self, rand, template: Template, requester_id: int, channel: str) -> tuple[str, str]:
        """(the ticket's CI field, the CI the description mentions)."""
        if not template.cis:
            return "", ""
        if template.personal_ci:
            base = template.cis[requester_id % len(template.cis)]
            parts = self.ci_parts.get(base)
            if parts is None:
                return base, base
            prefix, width, suffix, salt = parts
            number = (requester_id * 2654435761 + salt) % (10 ** width)
            ci = f"{prefix}{number:0{width}d}{suffix}"
            return (ci if rand() < PERSONAL_CI_RECORDED else ""), ci
        ci = template.cis[int(rand() * len(template.cis))]
        recorded = channel == "monitoring" or rand() < SHARED_CI_RECORDED
        return (ci if recorded else ""), ci

    def _escalation_target(self, rand, group: int | None, template: Template, first_contact: bool):
        """(group id or None, tier or None) to escalate to, or None for no escalation."""
        if group is None or group not in self.groups:
            return None
        tier = self.groups[group][1]
        if first_contact and template.group_id not in (None, group) and template.group_id in self.groups:
            return (template.group_id, None) if rand() < 0.45 else None
        if tier == 1:
            if rand() >= 0.12:
                return None
            if template.parent_group_id in self.groups and self.groups[template.parent_group_id][1] > 1:
                return template.parent_group_id, None
            higher = self.by_tier.get(2) or self.by_tier.get(3)
            return (higher[int(rand() * len(higher))], None) if higher else (None, 2)
        if tier == 2:
            if rand() >= 0.1:
                return None
            higher = self.by_tier.get(3)
            if higher and rand() < 0.6:
                return higher[int(rand() * len(higher))], None
            return None, 3
        return None

    def _text(self, rand, op: int, args: tuple, first: str, analyst_name: str) -> str:
        kind = args[0]
        if op == OP_NOTE:
            if kind == "escalate":
                return args[1]
            if kind == "vendor":
                return data.VENDOR_NOTES[int(rand() * len(data.VENDOR_NOTES))]
            return data.INTERNAL_NOTES[int(rand() * len(data.INTERNAL_NOTES))].replace("{thing}", args[1])
        if kind == "resolution":
            texts = data.RESOLUTION_REPLIES
        elif kind == "ask":
            texts = data.ASK_MORE_INFO
        elif kind == "phone":
            texts = data.PHONE_REPLIES
        elif kind == "no_response":
            texts = data.NO_RESPONSE_REPLIES
        elif kind == "update":
            texts = data.ANALYST_UPDATES
        else:
            texts = data.FIRST_REPLIES
        body = texts[int(rand() * len(texts))]
        return (body.replace("{first}", first).replace("{analyst}", analyst_name)
                .replace("{thing}", args[1] if kind != "resolution" else "").replace("{resolution}", args[1]))


_UTC = ZoneInfo("UTC")
_EPOCH = datetime(1970, 1, 1)
_ONE_US = timedelta(microseconds=1)
# Due times of tickets still open at `end` can lie weeks after it.
WINDOW_DAYS_AFTER_END = 400


class WindowCalendar:
    """A BusinessCalendar's arithmetic over a fixed window, by bisection over its
    precomputed open intervals: the same answers (whole microseconds), ~10x faster.
    Outside the window it asks the calendar itself. ``evaluate`` only needs
    ``business_microseconds`` and ``add_business_microseconds``."""

    def __init__(self, calendar, lo: datetime, hi: datetime):
        from deskui.domain.calendar import to_us

        self.calendar = calendar
        self.name = calendar.name
        self.timezone = calendar.timezone
        self.lo, self.hi = to_us(lo), to_us(hi)
        starts, ends, before, through = [], [], [], []
        total = 0
        for s, e in calendar.open_intervals(lo, hi):
            s, e = to_us(s), to_us(e)
            starts.append(s)
            ends.append(e)
            before.append(total)
            total += e - s
            through.append(total)
        self.starts, self.ends, self.before, self.through = starts, ends, before, through

    def _position(self, t: int) -> int:
        """Business microseconds from the window's start to t."""
        i = bisect.bisect_right(self.starts, t) - 1
        if i < 0:
            return 0
        return self.before[i] + min(t, self.ends[i]) - self.starts[i]

    def business_microseconds(self, start: datetime, end: datetime) -> int:
        a, b = (start - _EPOCH) // _ONE_US, (end - _EPOCH) // _ONE_US
        if b <= a:
            return 0
        if a < self.lo or b > self.hi:
            return self.calendar.business_microseconds(start, end)
        return self._position(b) - self._position(a)

    def add_business_microseconds(self, start: datetime, us: int) -> datetime:
        if us <= 0:
            return self.calendar.add_business_microseconds(start, us)
        t = (start - _EPOCH) // _ONE_US
        if t < self.lo:
            return self.calendar.add_business_microseconds(start, us)
        target = self._position(t) + us
        j = bisect.bisect_left(self.through, target)
        if t > self.hi or j >= len(self.through):
            return self.calendar.add_business_microseconds(start, us)
        return _EPOCH + timedelta(microseconds=self.starts[j] + target - self.before[j])

    def add_business_seconds(self, start: datetime, seconds: float) -> datetime:
        return self.add_business_microseconds(start, round(seconds * 1_000_000))
_LEVEL_PAIRS = tuple((i, u) for i in ("high", "medium", "low") for u in ("high", "medium", "low"))


def _event_time(row: tuple):
    return row[1]


def _reason(impact: str, urgency: str, priority: int) -> str:
    return f"matrix: impact {impact} x urgency {urgency} = P{priority}"


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rand, weights: Sequence[float]) -> int:
    """Index drawn with the given weights."""
    roll = rand() * sum(weights)
    for i, w in enumerate(weights):
        roll -= w
        if roll < 0:
            return i
    return len(weights) - 1


def _sqlite_dt(at: datetime) -> str:
    # The exact text SQLAlchemy's SQLite DateTime type writes and reads back
    # ("2026-11-16 09:00:00.000000"); this spelling is the fastest.
    text = at.isoformat(" ")
    return text if at.microsecond else text + ".000000"


def _same(at):
    return at


def _fmt_opt(fmt, at):
    return None if at is None else fmt(at)


def _bool(value: bool, sqlite: bool):
    return int(value) if sqlite else value


def _holiday_calendars(org: Org) -> dict:
    from deskui.domain.calendar import BusinessCalendar

    result = {}
    for zone, cid in org.region_calendars.items():
        name, tz, weekly, holidays, country = org.calendars[cid]
        result[zone] = BusinessCalendar.from_config(name=name, timezone=tz, weekly_hours=json.loads(weekly),
                                                    holidays=json.loads(holidays), holiday_country=country)
    return result


# ====================================================================== writers

def _writer_for(engine):
    return _SqliteWriter(engine) if engine.dialect.name == "sqlite" else _PostgresWriter(engine)


# Connection settings while loading, restored after: the default 2 MB page cache
# thrashes on the tickets table's dozen indexes at a million rows, and the generated
# rows reference only rows that exist (tests run PRAGMA foreign_key_check), so the
# per-row foreign-key lookups are skipped on this connection.
BULK_PRAGMAS = (("cache_size", -262144), ("temp_store", 2), ("foreign_keys", 0), ("wal_autocheckpoint", 50000))


class _SqliteWriter:
    """Raw sqlite3 executemany in BEGIN IMMEDIATE transactions, ids preassigned."""

    sqlite = True

    def __init__(self, engine):
        self.engine = engine
        self.raw = None
        self.trigger_sql: str | None = None
        self.saved_pragmas: dict[str, object] = {}

    def _connection(self):
        if self.raw is None:
            self.raw = self.engine.raw_connection()
        return self.raw.driver_connection

    def upsert_requesters(self, pool: list[Person]) -> tuple[list[int], int]:
        con = self._connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            existing = dict(con.execute("SELECT email, id FROM requesters"))
            new = [p for p in pool if p.email not in existing]
            con.executemany(
                "INSERT INTO requesters (email, name, department, location, vip) VALUES (?, ?, ?, ?, ?)",
                [(p.email, p.name, p.department, p.location, int(p.vip)) for p in new],
            )
            ids = dict(con.execute("SELECT email, id FROM requesters"))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return [ids[p.email] for p in pool], len(new)

    def reserve_ids(self, tickets: int, comments: int) -> tuple[int, int]:
        con = self._connection()
        self.first_ticket = (con.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]) + 1
        self.first_comment = (con.execute("SELECT coalesce(max(id), 0) FROM comments").fetchone()[0]) + 1
        return self.first_ticket, self.first_comment

    def begin_bulk(self) -> None:
        con = self._connection()
        row = con.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'tickets_fts_ai'").fetchone()
        self.trigger_sql = row[0] if row else None
        for pragma, value in BULK_PRAGMAS:
            self.saved_pragmas[pragma] = con.execute(f"PRAGMA {pragma}").fetchone()[0]
            con.execute(f"PRAGMA {pragma} = {value}")

    def write(self, rows: ChunkRows) -> None:
        from deskui.errors import ConflictError

        con = self._connection()
        first = rows.first_ticket_id
        last = first + len(rows.tickets) - 1
        first_comment = rows.comments[0][0] if rows.comments else None
        con.execute("BEGIN IMMEDIATE")
        try:
            # Ids were preassigned: another writer taking one of them would collide.
            top = con.execute("SELECT coalesce(max(id), 0) FROM tickets").fetchone()[0]
            top_comment = con.execute("SELECT coalesce(max(id), 0) FROM comments").fetchone()[0]
            if top >= first or (first_comment is not None and top_comment >= first_comment):
                raise ConflictError(f"generate: another process wrote tickets or comments while generating; "
                                    f"stopped before ticket #{first} (the tickets before it are complete)")
            if self.trigger_sql:
                con.execute("DROP TRIGGER tickets_fts_ai")
            con.executemany(_insert_sql("tickets", TICKET_COLUMNS), rows.tickets)
            con.executemany(_insert_sql("comments", COMMENT_COLUMNS), rows.comments)
            con.executemany(_insert_sql("ticket_events", EVENT_COLUMNS), rows.events)
            con.executemany(_insert_sql("surveys", SURVEY_COLUMNS), rows.surveys)
            if self.trigger_sql:
                con.execute(
                    "INSERT INTO tickets_fts(rowid, subject, description, resolution_notes) "
                    "SELECT id, subject, description, resolution_notes FROM tickets WHERE id BETWEEN ? AND ?",
                    (first, last),
                )
                con.execute(self.trigger_sql)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Refresh the planner's statistics (sampled: quick even at a million tickets),
        restore the connection's settings and give it back."""
        if self.raw is None:
            return
        con = self.raw.driver_connection
        try:
            limit = con.execute("PRAGMA analysis_limit").fetchone()[0]
            con.execute("PRAGMA analysis_limit = 1000")
            con.execute("ANALYZE")
            con.execute(f"PRAGMA analysis_limit = {int(limit)}")
            for pragma, value in self.saved_pragmas.items():
                con.execute(f"PRAGMA {pragma} = {value}")
            con.execute("PRAGMA wal_checkpoint(PASSIVE)")  # what the bigger autocheckpoint left
        finally:
            self.raw.close()
            self.raw = None


class _PostgresWriter:
    """COPY in one transaction per batch; ids reserved by moving the sequences past them."""

    sqlite = False

    def __init__(self, engine):
        self.engine = engine
        self.raw = None

    def _connection(self):
        if self.raw is None:
            self.raw = self.engine.raw_connection()
        return self.raw.driver_connection

    def upsert_requesters(self, pool: list[Person]) -> tuple[list[int], int]:
        con = self._connection()
        try:
            with con.cursor() as cur:
                emails = [p.email for p in pool]
                cur.execute("SELECT email FROM requesters WHERE email = ANY(%s)", (emails,))
                existing = {row[0] for row in cur.fetchall()}
                new = [p for p in pool if p.email not in existing]
                cur.executemany(
                    "INSERT INTO requesters (email, name, department, location, vip) VALUES (%s, %s, %s, %s, %s) "
                    "ON CONFLICT (email) DO NOTHING",
                    [(p.email, p.name, p.department, p.location, p.vip) for p in new],
                )
                cur.execute("SELECT email, id FROM requesters WHERE email = ANY(%s)", (emails,))
                ids = dict(cur.fetchall())
                created = len(new)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return [ids[p.email] for p in pool], created

    def reserve_ids(self, tickets: int, comments: int) -> tuple[int, int]:
        con = self._connection()
        firsts = []
        try:
            with con.cursor() as cur:
                for table, count in (("tickets", tickets), ("comments", comments)):
                    # Lock out concurrent creators while the range is claimed.
                    cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
                    cur.execute(f"SELECT pg_get_serial_sequence('{table}', 'id')")
                    sequence = cur.fetchone()[0]
                    cur.execute(f"SELECT greatest((SELECT coalesce(max(id), 0) FROM {table}), "
                                f"(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {sequence}))")
                    first = cur.fetchone()[0] + 1
                    cur.execute("SELECT setval(%s, %s)", (sequence, first + count - 1))
                    firsts.append(first)
            con.commit()
        except BaseException:
            con.rollback()
            raise
        return firsts[0], firsts[1]

    def begin_bulk(self) -> None:
        pass

    def write(self, rows: ChunkRows) -> None:
        con = self._connection()
        try:
            with con.cursor() as cur:
                for table, columns, attr in (("tickets", TICKET_COLUMNS, "tickets"), ("comments", COMMENT_COLUMNS, "comments"),
                                             ("ticket_events", EVENT_COLUMNS, "events"), ("surveys", SURVEY_COLUMNS, "surveys")):
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in getattr(rows, attr):
                            copy.write_row(row)
            con.commit()
        except BaseException:
            con.rollback()
            raise

    def close(self) -> None:
        if self.raw is None:
            return
        try:
            with self.raw.driver_connection.cursor() as cur:
                for table in ("requesters", "tickets", "comments", "ticket_events", "surveys"):
                    cur.execute(f"ANALYZE {table}")
            self.raw.driver_connection.commit()
        finally:
            self.raw.close()
            self.raw = None


def _insert_sql(table: str, columns: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
