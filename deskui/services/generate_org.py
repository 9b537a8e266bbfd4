"""The organisation a synthetic history is generated for: groups, analysts, SLA
policies, calendars, the priority matrix and the ticket templates per category."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from pathlib import Path

from deskui.services import generate_data as data


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
    from deskui.store.tickets import priority_matrix
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

    path = path or default_templates_path()
    entries: list[dict] = []
    if path is not None:
        from deskui.services.files import load_toml

        entries = load_toml(Path(path), "a ticket templates file")[1].get("template", [])
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
        weighted.append(replace(t, weight=base / share[(t.category_id, t.type)]))
    return tuple(weighted)


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


def holiday_calendars(org: Org) -> dict:
    from deskui.domain.calendar import BusinessCalendar

    result = {}
    for zone, cid in org.region_calendars.items():
        name, tz, weekly, holidays, country = org.calendars[cid]
        result[zone] = BusinessCalendar.from_config(name=name, timezone=tz, weekly_hours=json.loads(weekly),
                                                    holidays=json.loads(holidays), holiday_country=country)
    return result
