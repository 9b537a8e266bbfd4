"""Import mappings: a TOML file that says which source column is which deskui field,
how source values map to deskui values, and how to read the source (see
:mod:`deskui.services.importers.csv_mapped` for the file's format)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from deskui.domain.enums import Channel, ResolutionCode, TicketType, allowed
from deskui.errors import ValidationError
from deskui.services.files import load_toml
from deskui.services.importers.common import check_encoding
from deskui.services.importers.rows import RowDefaults
from deskui.services.importers.values import DEFAULT_MISSING, parse_level, zone_for

# field -> kind. Kinds decide how a cell is read and what "missing" means.
FIELDS: dict[str, str] = {
    "external_ref": "ref", "subject": "subject", "description": "body", "type": "type", "status": "status",
    "pending_reason": "pending_reason", "impact": "level", "urgency": "level", "priority": "priority",
    "channel": "channel", "requester": "requester", "requester_name": "name", "location": "name",
    "group": "name", "assignee": "name", "category": "name", "subcategory": "name", "ci": "ci",
    "created_at": "date", "updated_at": "date", "resolved_at": "date", "closed_at": "date",
    "first_response_at": "date", "updated_by": "name", "version": "count", "resolution_code": "resolution",
    "resolution_notes": "body", "made_sla": "bool", "reopen_count": "count", "reassignment_count": "count",
}
REQUIRED = ("external_ref", "created_at")
SOURCE_KEYS = {"name", "title", "ref_prefix", "dayfirst", "first_response_from_work", "timezone", "date_formats",
               "delimiter", "encoding", "missing", "subject_fallback", "keep"}
DEFAULT_KEYS = {"type", "channel", "resolution_code", "unknown_resolution_code", "impact", "urgency"}

def norm(value: str) -> str:
    """How value-map keys and column names are compared: case and spacing ignored."""
    return " ".join(value.split()).lower()


@dataclass(frozen=True)
class Mapping:
    name: str
    title: str
    columns: dict[str, tuple[str, ...]]
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    defaults: RowDefaults = RowDefaults()
    unknown_resolution_code: str = ""
    missing: frozenset[str] = DEFAULT_MISSING
    date_formats: tuple[str, ...] = ()
    dayfirst: bool = False
    timezone: str = "UTC"
    delimiter: str = ","
    encoding: str = "utf-8"
    ref_prefix: str = ""
    subject_fallback: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    first_response_from_work: bool = False
    origin: str = "built-in"
    # The [source] settings a mapping file gave explicitly (what an overlay replaces).
    overrides: dict = field(default_factory=dict, compare=False)

    def overlaid(self, other: "Mapping") -> "Mapping":
        """This mapping with another's columns, value maps and explicit source settings on
        top (``deskui import servicenow --map`` adds to the built-in ServiceNow mapping)."""
        values = {k: dict(v) for k, v in self.values.items()}
        for key, table in other.values.items():
            values.setdefault(key, {}).update(table)
        return replace(self, columns={**self.columns, **other.columns}, values=values, origin=other.origin,
                       **other.overrides)


# ----------------------------------------------------------------- loading a mapping file

def load_mapping(path: Path | str, *, partial: bool = False) -> Mapping:
    """Read and check a mapping file; errors name the file and the key. ``partial``
    mappings (added on top of a built-in one) need not name the required columns."""
    path = Path(path)
    if not path.exists():
        raise ValidationError(f"--map: {path}: file not found")
    text, data = load_toml(path, "a mapping file")
    return mapping_from_dict(data, str(path), lines=text.splitlines(), partial=partial)


def _line_of(lines: list[str], table: str, key: str | None = None) -> str:
    in_table = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.strip("[] ").replace('"', "") == table
            if in_table and key is None:
                return f":{number}"
            continue
        if in_table and key is not None and stripped.split("=")[0].strip().strip('"').lower() == key.lower():
            return f":{number}"
    return ""


def mapping_from_dict(data: dict, origin: str, *, lines: list[str] | None = None, partial: bool = False) -> Mapping:
    lines = lines or []

    def fail(table: str, key: str | None, message: str) -> ValidationError:
        where = _line_of(lines, table, key)
        return ValidationError(f"{origin}{where}: [{table}]" + (f".{key}" if key else "") + f": {message}")

    unknown_tables = set(data) - {"source", "columns", "values", "defaults"}
    if unknown_tables:
        name = sorted(unknown_tables)[0]
        raise fail(name, None, "unknown table; a mapping has [source], [columns], [values.FIELD] and [defaults]")
    source = data.get("source", {})
    for key in source:
        if key not in SOURCE_KEYS:
            raise fail("source", key, f"unknown key; keys: {', '.join(sorted(SOURCE_KEYS))}")
    overrides = {}
    for key in sorted(SOURCE_KEYS - {"name"}):
        if key in source:
            overrides[key] = _source_value(key, source[key], lambda m, k=key: fail("source", k, m))
    columns: dict[str, tuple[str, ...]] = {}
    for key, value in data.get("columns", {}).items():
        if key not in FIELDS:
            raise fail("columns", key, f"unknown field; fields: {', '.join(FIELDS)}")
        names = (value,) if isinstance(value, str) else tuple(value) if isinstance(value, list) else None
        if not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise fail("columns", key, "must be a column name or a list of column names")
        columns[key] = names
    values: dict[str, dict[str, str]] = {}
    for key, table in data.get("values", {}).items():
        if key not in FIELDS:
            raise fail(f"values.{key}", None, f"unknown field; fields: {', '.join(FIELDS)}")
        if not isinstance(table, dict):
            raise fail(f"values.{key}", None, "must be a table of source value = deskui value")
        converted = {}
        for raw, target in table.items():
            if isinstance(target, bool) or not isinstance(target, (str, int)):
                raise fail(f"values.{key}", raw, "the deskui value must be text or a number")
            converted[norm(raw)] = str(target).strip()
        values[key] = converted
    defaults_data = data.get("defaults", {})
    for key in defaults_data:
        if key not in DEFAULT_KEYS:
            raise fail("defaults", key, f"unknown key; keys: {', '.join(sorted(DEFAULT_KEYS))}")
    defaults = RowDefaults(
        type=_checked(defaults_data.get("type", "incident"), TicketType, lambda m: fail("defaults", "type", m)),
        channel=_checked(defaults_data.get("channel", "portal"), Channel, lambda m: fail("defaults", "channel", m)),
        resolution_code=_checked(defaults_data.get("resolution_code", "solved"), ResolutionCode,
                                 lambda m: fail("defaults", "resolution_code", m)),
        impact=_level_default(defaults_data.get("impact", "medium"), lambda m: fail("defaults", "impact", m)),
        urgency=_level_default(defaults_data.get("urgency", "medium"), lambda m: fail("defaults", "urgency", m)),
    )
    unknown_code = defaults_data.get("unknown_resolution_code", "")
    if unknown_code:
        unknown_code = _checked(unknown_code, ResolutionCode, lambda m: fail("defaults", "unknown_resolution_code", m))
    name = str(source.get("name", Path(origin).stem if origin != "built-in" else "csv"))
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name):
        raise fail("source", "name", "use letters, digits, dot, dash or underscore (at most 40)")
    if not partial:
        for key in REQUIRED:
            if key not in columns:
                raise fail("columns", None, f"{key} is required (the source column holding it)")
        if "subject" not in columns and not source.get("subject_fallback"):
            raise fail("columns", None, "subject is required (or give [source].subject_fallback)")
    return Mapping(
        name=name, columns=columns, values=values, defaults=defaults, unknown_resolution_code=unknown_code,
        origin=origin, overrides=overrides, **{"title": name, **overrides},
    )


def _checked(value, enum, fail: Callable[[str], ValidationError]) -> str:
    text = str(value).strip().lower()
    if text not in {m.value for m in enum}:
        raise fail(f"{value!r} is not one of {allowed(enum)}")
    return text


def _level_default(value, fail) -> str:
    try:
        return parse_level(str(value))
    except ValueError as exc:
        raise fail(str(exc)) from None


def _source_value(key: str, value, fail):
    if key in ("dayfirst", "first_response_from_work"):
        if not isinstance(value, bool):
            raise fail("must be true or false")
        return value
    if key in ("date_formats", "missing", "subject_fallback", "keep"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("must be a list of strings")
        return frozenset(v.strip().lower() for v in value) if key == "missing" else tuple(value)
    if not isinstance(value, str):
        raise fail("must be a string")
    if key == "delimiter" and len(value) != 1:
        raise fail("must be one character, e.g. \",\" or \";\" or \"\\t\"")
    if key == "timezone":
        zone_for(value)
    if key == "encoding":
        try:
            check_encoding(value)
        except ValidationError as exc:
            raise fail(str(exc).removeprefix("--encoding: ")) from None
    return value
