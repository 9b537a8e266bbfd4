"""Seeding the desk from TOML files: idempotent upserts, all or nothing.

Each loader reads the whole file, validates every entry, and writes them in one
transaction; a bad file changes nothing and the error names file, line and field.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskui.domain.calendar import BusinessCalendar
from deskui.domain.enums import Role, TicketType, allowed
from deskui.domain.permissions import Action
from deskui.domain.priority import PriorityMatrix
from deskui.domain.text import clean_text, is_email
from deskui.errors import ValidationError
from deskui.services.actors import SYSTEM, Actor, require
from deskui.services.files import CONFIG_LIMIT, load_toml, read_bytes
from deskui.store.db import write_session
from deskui.store.models import (
    Analyst, Calendar, CannedResponse, Category, Group, GroupMember, Setting, SlaPolicy,
)

KINDS = ("groups", "categories", "analysts", "calendar", "sla", "canned")

# The keys each kind of entry accepts; anything else is refused (a typo must not pass silently).
GROUP_KEYS = frozenset({"name", "tier", "description", "email"})
CATEGORY_KEYS = frozenset({"path", "group"})
ANALYST_KEYS = frozenset({"username", "name", "email", "role", "tier", "away", "groups"})
CALENDAR_KEYS = frozenset({"name", "timezone", "hours", "holidays", "holiday_country"})
POLICY_KEYS = frozenset({"name", "type", "calendar", "warn_share", "response_minutes", "resolution_minutes",
                         "priority"})
RESPONSE_KEYS = frozenset({"name", "body"})


def unknown_key(key: str, accepted) -> str:
    """``unknown key 'group' (did you mean 'groups'?); accepted keys: ...``"""
    close = difflib.get_close_matches(key, sorted(accepted), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown key {key!r}{hint}; accepted keys: {', '.join(sorted(accepted))}"


@dataclass
class SeedSummary:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    names: list[str] = field(default_factory=list)


class SeedSource:
    """A parsed TOML file that can say on which line an entry or field stands."""

    def __init__(self, path: Path):
        self.path = path
        self.text, self.data = load_toml(path, "a seed file")
        self.lines = self.text.splitlines()

    def entries(self, table: str, *also: str) -> list[dict]:
        """The ``[[table]]`` entries; any other top-level key (but ``also``) is refused."""
        accepted = (table, *also)
        for key in self.data:
            if key not in accepted:
                raise ValidationError(f"{self.path}:{self.line_of_top(key)}: {unknown_key(key, accepted)}")
        value = self.data.get(table)
        if value is None:
            raise ValidationError(f"{self.path}: no [[{table}]] entries found")
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ValidationError(f"{self.path}: {table} must be an array of tables ([[{table}]])")
        return value

    def line_of(self, table: str, index: int, key: str | None = None) -> int:
        header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
        seen = -1
        for number, line in enumerate(self.lines, start=1):
            if header.match(line):
                seen += 1
                if seen == index:
                    if key is None:
                        return number
                    key_re = re.compile(rf"^\s*{re.escape(key)}\s*=")
                    for offset, inner in enumerate(self.lines[number:], start=number + 1):
                        if re.match(r"^\s*\[", inner):
                            break
                        if key_re.match(inner):
                            return offset
                    return number
        return 1

    def line_of_top(self, key: str) -> int:
        """The line of a top-level key or table."""
        name = re.escape(key)
        pattern = re.compile(rf"""^\s*(?:\[\[?\s*["']?{name}["']?\s*[\].]|["']?{name}["']?\s*=)""")
        return next((number for number, line in enumerate(self.lines, start=1) if pattern.match(line)), 1)

    def error(self, table: str, index: int, key: str | None, message: str) -> ValidationError:
        where = f"{self.path}:{self.line_of(table, index, key)}"
        return ValidationError(f"{where}: {table}[{index + 1}]" + (f".{key}" if key else "") + f": {message}")

    def check_keys(self, table: str, index: int, entry: dict, accepted) -> None:
        """Refuse the entry's first key that is not ``accepted``, naming the accepted ones."""
        for key in entry:
            if key not in accepted:
                raise self.error(table, index, key, unknown_key(key, accepted))


class _CsvSource(SeedSource):
    """A CSV file with one entry per row; columns are the TOML keys.

    List fields (an analyst's groups, a calendar's holidays) are separated by ';'.
    Whole numbers and true/false are converted so the loaders see TOML-like values.
    """

    LIST_FIELDS = {"groups", "holidays"}

    def __init__(self, path: Path):
        import csv

        self.path = path
        raw = read_bytes(path, CONFIG_LIMIT, "a seed file")
        try:
            self.text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ValidationError(f"{path}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
        self.lines = self.text.splitlines()
        reader = csv.DictReader(self.text.splitlines(keepends=True), strict=True)
        self.rows: list[dict] = []
        self.row_lines: list[int] = []
        try:
            for row in reader:
                if None in row:
                    raise ValidationError(f"{path}:{reader.line_num}: more cells than the header has columns")
                self.rows.append({k.strip(): self._value(k.strip(), v) for k, v in row.items() if v not in (None, "")})
                self.row_lines.append(reader.line_num)
        except csv.Error as exc:
            raise ValidationError(f"{path}:{reader.line_num}: malformed CSV: {exc}") from None
        self.header = [h.strip() for h in (reader.fieldnames or [])]
        self.data = {}

    def _value(self, key: str, value: str):
        value = value.strip()
        if key in self.LIST_FIELDS:
            return [v.strip() for v in value.split(";") if v.strip()]
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        if value.lstrip("-").isdigit():
            return int(value)
        return value

    def entries(self, table: str, *also: str) -> list[dict]:
        if not self.rows:
            raise ValidationError(f"{self.path}: no rows found (expected a header and one row per {table})")
        return self.rows

    def line_of(self, table: str, index: int, key: str | None = None) -> int:
        return self.row_lines[index] if index < len(self.row_lines) else 1

    def check_keys(self, table: str, index: int, entry: dict, accepted) -> None:
        # A column is a key: an unknown one is refused at the header, whatever the rows hold.
        for column, key in enumerate(self.header, start=1):
            if key not in accepted:
                raise ValidationError(f"{self.path}:1:{column}: {key}: {unknown_key(key, accepted)}")

    def error(self, table: str, index: int, key: str | None, message: str) -> ValidationError:
        where = f"{self.path}:{self.line_of(table, index, key)}"
        if key and key in self.header:
            where += f":{self.header.index(key) + 1}"
        return ValidationError(f"{where}: " + (f"{key}: " if key else "") + message)


def _open_source(path: Path) -> SeedSource:
    return _CsvSource(path) if path.suffix.lower() == ".csv" else SeedSource(path)


def _req_str(src: SeedSource, table: str, i: int, entry: dict, key: str, *, default: str | None = None) -> str:
    value = entry.get(key, default)
    if value is None:
        raise src.error(table, i, None, f"missing required field {key!r}")
    if not isinstance(value, str):
        raise src.error(table, i, key, f"must be a string, got {type(value).__name__}")
    return clean_text(value).strip()


def _email(src: SeedSource, table: str, i: int, entry: dict, key: str = "email") -> str:
    value = _req_str(src, table, i, entry, key, default="")
    if value and not is_email(value):
        raise src.error(table, i, key, f"{value!r} is not an e-mail address (name@domain)")
    return value


def _req_int(src: SeedSource, table: str, i: int, entry: dict, key: str, choices: range | None = None,
             default: int | None = None) -> int:
    value = entry.get(key, default)
    if value is None:
        raise src.error(table, i, None, f"missing required field {key!r}")
    if not isinstance(value, int) or isinstance(value, bool):
        raise src.error(table, i, key, f"must be a whole number, got {value!r}")
    if choices is not None and value not in choices:
        raise src.error(table, i, key, f"{value!r} is not one of {', '.join(map(str, choices))}")
    return value


def _upsert(session: Session, model, key: dict, values: dict, summary: SeedSummary):
    row = session.scalars(select(model).filter_by(**key)).first()
    if row is None:
        row = model(**key, **values)
        session.add(row)
        summary.created += 1
    else:
        changed = False
        for name, value in values.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        summary.updated += changed
        summary.unchanged += not changed
    session.flush()
    return row


# ------------------------------------------------------------------ loaders

def seed_groups(session: Session, src: SeedSource, summary: SeedSummary) -> None:
    for i, e in enumerate(src.entries("group")):
        src.check_keys("group", i, e, GROUP_KEYS)
        name = _req_str(src, "group", i, e, "name")
        values = dict(
            tier=_req_int(src, "group", i, e, "tier", range(1, 4), default=1),
            description=_req_str(src, "group", i, e, "description", default=""),
            email=_email(src, "group", i, e),
        )
        _upsert(session, Group, {"name": name}, values, summary)
        summary.names.append(name)


def _group_id(session: Session, src: SeedSource, table: str, i: int, name: str) -> int:
    group = session.scalars(select(Group).where(Group.name == name)).first()
    if group is None:
        known = ", ".join(session.scalars(select(Group.name).order_by(Group.name)).all()) or "none (seed groups first)"
        raise src.error(table, i, "group" if table == "category" else "groups", f"unknown group {name!r}; groups: {known}")
    return group.id


def seed_categories(session: Session, src: SeedSource, summary: SeedSummary) -> None:
    for i, e in enumerate(src.entries("category")):
        src.check_keys("category", i, e, CATEGORY_KEYS)
        path = _req_str(src, "category", i, e, "path")
        parts = [p.strip() for p in path.split("/")]
        if len(parts) > 2 or not all(parts):
            raise src.error("category", i, "path", f"{path!r} must be 'Name' or 'Parent/Name' (two levels)")
        parent_id = None
        if len(parts) == 2:
            parent = session.scalars(select(Category).where(Category.path == parts[0])).first()
            if parent is None:
                raise src.error("category", i, "path", f"parent {parts[0]!r} must be listed before {path!r}")
            parent_id = parent.id
        group_name = _req_str(src, "category", i, e, "group", default="")
        group_id = _group_id(session, src, "category", i, group_name) if group_name else None
        _upsert(session, Category, {"path": "/".join(parts)},
                dict(name=parts[-1], parent_id=parent_id, group_id=group_id), summary)
        summary.names.append(path)


def seed_analysts(session: Session, src: SeedSource, summary: SeedSummary) -> None:
    for i, e in enumerate(src.entries("analyst")):
        src.check_keys("analyst", i, e, ANALYST_KEYS)
        username = _req_str(src, "analyst", i, e, "username")
        if not re.fullmatch(r"[a-z0-9._-]{1,64}", username):
            raise src.error("analyst", i, "username", f"{username!r} must be lowercase letters, digits, . _ -")
        role = _req_str(src, "analyst", i, e, "role", default="analyst")
        if role not in {r.value for r in Role}:
            raise src.error("analyst", i, "role", f"{role!r} is not one of {allowed(Role)}")
        away = e.get("away", False)
        if not isinstance(away, bool):
            raise src.error("analyst", i, "away", "must be true or false")
        groups = e.get("groups", [])
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise src.error("analyst", i, "groups", "must be a list of group names")
        group_ids = [_group_id(session, src, "analyst", i, g) for g in groups]
        analyst = _upsert(session, Analyst, {"username": username}, dict(
            name=_req_str(src, "analyst", i, e, "name"),
            email=_email(src, "analyst", i, e),
            role=role, tier=_req_int(src, "analyst", i, e, "tier", range(1, 4), default=1), away=away,
        ), summary)
        current = set(session.scalars(select(GroupMember.group_id).where(GroupMember.analyst_id == analyst.id)).all())
        if current != set(group_ids):
            session.execute(delete(GroupMember).where(GroupMember.analyst_id == analyst.id))
            for gid in dict.fromkeys(group_ids):
                session.add(GroupMember(group_id=gid, analyst_id=analyst.id))
            session.flush()
        summary.names.append(username)


def seed_calendars(session: Session, src: SeedSource, summary: SeedSummary) -> None:
    for i, e in enumerate(src.entries("calendar")):
        src.check_keys("calendar", i, e, CALENDAR_KEYS)
        name = _req_str(src, "calendar", i, e, "name")
        hours = e.get("hours", {})
        holidays = e.get("holidays", [])
        country = _req_str(src, "calendar", i, e, "holiday_country", default="")
        timezone = _req_str(src, "calendar", i, e, "timezone", default="UTC")
        holidays = [h.isoformat() if hasattr(h, "isoformat") else h for h in holidays]
        try:
            calendar = BusinessCalendar.from_config(name=name, timezone=timezone, weekly_hours=hours,
                                                    holidays=holidays, holiday_country=country)
        except ValueError as exc:
            key = next((k for k in ("timezone", "hours", "holidays", "holiday_country") if k in str(exc)), None)
            raise src.error("calendar", i, key, str(exc)) from None
        config = calendar.to_json_dict()
        _upsert(session, Calendar, {"name": name}, dict(
            timezone=timezone, weekly_hours=json.dumps(config["weekly_hours"], sort_keys=True),
            holidays=json.dumps(sorted(holidays)), holiday_country=country,
        ), summary)
        summary.names.append(name)


def seed_sla(session: Session, src: SeedSource, summary: SeedSummary) -> None:
    if "matrix" in src.data:
        try:
            PriorityMatrix.from_rows(src.data["matrix"])
        except (ValueError, AttributeError) as exc:
            raise ValidationError(f"{src.path}:{_line_of_key(src, 'matrix')}: {exc}") from None
        _upsert(session, Setting, {"key": "priority_matrix"}, {"value": json.dumps(src.data["matrix"], sort_keys=True)},
                SeedSummary("matrix"))
    types = ("", *[t.value for t in TicketType])
    for i, e in enumerate(src.entries("policy", "matrix")):
        src.check_keys("policy", i, e, POLICY_KEYS)
        name = _req_str(src, "policy", i, e, "name")
        ticket_type = _req_str(src, "policy", i, e, "type", default="")
        if ticket_type not in types:
            raise src.error("policy", i, "type", f"{ticket_type!r} is not one of \"\", {allowed(TicketType)}")
        calendar_name = _req_str(src, "policy", i, e, "calendar")
        calendar = session.scalars(select(Calendar).where(Calendar.name == calendar_name)).first()
        if calendar is None:
            known = ", ".join(session.scalars(select(Calendar.name)).all()) or "none (seed calendar first)"
            raise src.error("policy", i, "calendar", f"unknown calendar {calendar_name!r}; calendars: {known}")
        warn = e.get("warn_share", 0.75)
        if not isinstance(warn, (int, float)) or not 0 < warn < 1:
            raise src.error("policy", i, "warn_share", f"{warn!r} must be a number between 0 and 1")
        response = _req_int(src, "policy", i, e, "response_minutes")
        resolution = _req_int(src, "policy", i, e, "resolution_minutes")
        if response <= 0 or resolution <= 0:
            raise src.error("policy", i, "response_minutes", "targets must be positive minutes")
        priority = _req_int(src, "policy", i, e, "priority", range(1, 5))
        existing = session.scalars(select(SlaPolicy).where(SlaPolicy.priority == priority,
                                                            SlaPolicy.ticket_type == ticket_type)).first()
        if existing is not None and existing.name != name:
            existing.name = name  # the (priority, type) pair is the identity; a rename is an update
            session.flush()
        _upsert(session, SlaPolicy, {"priority": priority, "ticket_type": ticket_type}, dict(
            name=name, response_minutes=response, resolution_minutes=resolution,
            warn_share=float(warn), calendar_id=calendar.id,
        ), summary)
        summary.names.append(name)


def seed_canned(session: Session, src: SeedSource, summary: SeedSummary) -> None:
    for i, e in enumerate(src.entries("response")):
        src.check_keys("response", i, e, RESPONSE_KEYS)
        name = _req_str(src, "response", i, e, "name")
        body = _req_str(src, "response", i, e, "body")
        _upsert(session, CannedResponse, {"name": name}, {"body": body}, summary)
        summary.names.append(name)


def _line_of_key(src: SeedSource, key: str) -> int:
    for number, line in enumerate(src.lines, start=1):
        if re.match(rf"^\s*\[\s*{re.escape(key)}", line):
            return number
    return 1


LOADERS: dict[str, Callable[[Session, SeedSource, SeedSummary], None]] = {
    "groups": seed_groups,
    "categories": seed_categories,
    "analysts": seed_analysts,
    "calendar": seed_calendars,
    "sla": seed_sla,
    "canned": seed_canned,
}


def seed_file(engine: Engine, kind: str, path: str | Path, *, actor: Actor = SYSTEM) -> SeedSummary:
    """Upsert ``kind`` from a TOML file (admins: the CLI passes the acting analyst)."""
    if kind not in LOADERS:
        raise ValidationError(f"seed: {kind!r} is not one of {', '.join(KINDS)}")
    require(actor, Action.SEED, kind)
    src = _open_source(Path(path))
    summary = SeedSummary(kind)
    with write_session(engine) as session:
        LOADERS[kind](session, src, summary)
    return summary


# The demo organisation, in dependency order.
DEMO_FILES = (
    ("groups", "groups.toml"),
    ("categories", "categories.toml"),
    ("analysts", "analysts.toml"),
    ("calendar", "calendars.toml"),
    ("sla", "sla.toml"),
    ("canned", "canned.toml"),
)


def seed_demo_org(engine: Engine, folder: Path, *, actor: Actor = SYSTEM) -> list[SeedSummary]:
    require(actor, Action.SEED, "the demo organisation")
    return [seed_file(engine, kind, folder / name, actor=actor) for kind, name in DEMO_FILES if (folder / name).exists()]
