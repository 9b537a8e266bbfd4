"""``deskui import csv FILE --map MAPPING.toml``: any tool's CSV export, described by a mapping.

A mapping is a TOML file (examples in ``sample_data/mappings/``)::

    [source]
    name = "jira"                 # events are written by "import:jira"
    title = "Jira"                # used in notes ("Jira priority High")
    ref_prefix = "jira:"          # external_ref = prefix + key, so tools never collide
    dayfirst = false              # 03/04/2024 is 4 March when true
    timezone = "Europe/London"    # zone of times without an offset (default UTC)
    date_formats = ["%d/%b/%y %I:%M %p"]   # extra strptime formats; ISO 8601 always works
    delimiter = ","
    encoding = "utf-8"            # "utf-8" also accepts a byte order mark
    missing = ["", "?", "None"]   # cells meaning "no value"
    first_response_from_work = false  # true: the first row assigned or past "new" is the first response
    subject_fallback = ["Component", "Labels"]  # joined when there is no subject
    keep = ["Sprint", "Labels"]   # source columns kept in each row's history event

    [columns]                     # deskui field = source column (or a list of aliases)
    external_ref = "Issue key"    # required
    created_at = "Created"        # required
    subject = "Summary"           # required unless subject_fallback is given
    ...

    [values.status]               # per field: source value = deskui value ("" = missing)
    "To Do" = "new"
    "Waiting for customer" = "pending:awaiting_requester"

    [defaults]
    type = "incident"
    channel = "portal"
    resolution_code = "solved"          # when a resolved row has no code
    unknown_resolution_code = ""        # "" = an unknown code is an error; "solved" = take it as solved

Fields (see :data:`FIELDS`): external_ref, subject, description, type, status,
pending_reason, impact, urgency, priority, channel, requester (an email, or a
name that becomes ``name@<requester domain>``), requester_name, location, group,
assignee, category, subcategory (``category/subcategory`` is the deskui path),
ci, created_at, updated_at, resolved_at, closed_at, first_response_at,
updated_by, version (an update counter), resolution_code, resolution_notes,
made_sla, reopen_count, reassignment_count.

Value maps are matched ignoring case and repeated spaces; a value not in the
map must then be a deskui value itself (``open``, ``pending:awaiting_vendor``,
``high``, ``2``...), else the row is an error naming its line and column.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from deskui import clock
from deskui.domain.enums import Channel, PendingReason, ResolutionCode, Status, TicketType, allowed
from deskui.domain.text import BODY_MAX_LENGTH
from deskui.domain.permissions import Action
from deskui.errors import ValidationError
from deskui.services.importers.common import (
    ImportOptions, ImportProgress, ImportSummary, ProgressCallback, Rejects, RowError, TextLines, abort,
    batches, cell_text, csv_records, default_rejects_path, open_source, Clock,
)
from deskui.services.importers.values import (
    DateParser, parse_bool, parse_count, parse_level, parse_priority, slug, zone_for,
)
from deskui.services.importers.mapping import (  # noqa: F401 (load_mapping, norm: this module's API too)
    FIELDS, REQUIRED, Mapping, load_mapping, norm,
)
from deskui.services.importers.rows import BadRow, SourceRow
from deskui.services.importers.writer import TicketWriter
from deskui.services.actors import SYSTEM, Actor, require

NOTE_MAX = 2000
CACHED_KINDS = frozenset({"name", "level", "priority", "status", "pending_reason", "type", "channel", "resolution",
                          "bool", "count", "requester"})
CACHE_LIMIT = 20_000
TEXT_KINDS = frozenset({"ref", "subject", "body", "name", "ci"})



# ----------------------------------------------------------------- reading rows

class RowParser:
    """Turns the cells of one record into a :class:`SourceRow`, following a mapping."""

    def __init__(self, mapping: Mapping, header: list[str], source: str, options: ImportOptions):
        self.mapping = mapping
        self.source = source
        self.width = len(header)
        self.domain = options.requester_domain
        self.dates = DateParser(
            dayfirst=mapping.dayfirst if options.dayfirst is None else options.dayfirst,
            tz=options.timezone or mapping.timezone, formats=mapping.date_formats,
        )
        names = [norm(cell_text(h)) for h in header]
        seen: dict[str, int] = {}
        for index, name in enumerate(names):
            if name in seen and name:
                raise ValidationError(f"{source}:1:{index + 1}: column {header[index]!r} appears twice "
                                      f"(also column {seen[name] + 1})")
            seen[name] = index
        self.index: dict[str, int] = {}
        for field_name, candidates in mapping.columns.items():
            for candidate in candidates:
                if norm(candidate) in seen:
                    self.index[field_name] = seen[norm(candidate)]
                    break
        for required in REQUIRED:
            if required not in self.index:
                raise ValidationError(
                    f"{source}:1: no {' or '.join(repr(c) for c in mapping.columns[required])} column "
                    f"(needed for {required}); columns found: {', '.join(h for h in header if h.strip())[:400]}")
        self.fallback = [seen[norm(c)] for c in mapping.subject_fallback if norm(c) in seen]
        if "subject" not in self.index and not mapping.subject_fallback:
            wanted = mapping.columns.get("subject", ()) + mapping.subject_fallback
            raise ValidationError(f"{source}:1: no subject column ({', '.join(repr(c) for c in wanted)}); "
                                  f"columns found: {', '.join(h for h in header if h.strip())[:400]}")
        keep_all = "*" in mapping.keep
        used = set(self.index.values())
        self.keep = [(header[i].strip(), i) for i in range(len(header))
                     if (keep_all and i not in used) or (names[i] in {norm(k) for k in mapping.keep})]
        kept = {i for _, i in self.keep}
        self.ignored = [header[i].strip() for i in range(len(header))
                        if i not in used and i not in kept and i not in self.fallback and header[i].strip()]
        self.columns = {f: i + 1 for f, i in self.index.items()}
        self.missing = mapping.missing
        self.values = mapping.values
        # Most columns repeat a few values (states, groups, levels): each distinct cell is
        # read once per import, then looked up (bounded, so memory stays constant).
        self._plan = [(f, i, FIELDS[f], self.values.get(f), {} if FIELDS[f] in CACHED_KINDS else None)
                      for f, i in self.index.items()]
        self._missing_cells = frozenset(self.missing) | {m.upper() for m in self.missing}
        self._kept_ref, self._kept_cells = "", []

    def parse(self, line: int, cells: list[str]) -> SourceRow:
        if len(cells) != self.width:
            raise RowError(f"the row has {len(cells)} cells but the header has {self.width} columns",
                           column=min(len(cells), self.width) + 1, reason="wrong number of cells")
        got: dict[str, object] = {}
        for field_name, index, kind, vmap, cache in self._plan:
            cell = cells[index]
            if cache is not None:
                hit = cache.get(cell, cache)
                if hit is not cache:
                    got[field_name] = hit
                    continue
            text = cell_text(cell, single_line=kind != "body")
            if vmap is not None:
                mapped = vmap.get(norm(text))
                if mapped is not None:
                    text = mapped
            if text.lower() in self.missing:
                value = "" if kind in TEXT_KINDS else None
            else:
                try:
                    value = self._convert(field_name, kind, text)
                except ValueError as exc:
                    raise RowError(str(exc), field=field_name, column=index + 1,
                                   reason=f"bad {field_name}") from None
            got[field_name] = value
            if cache is not None and len(cache) < CACHE_LIMIT:
                cache[cell] = value
        return self._row(line, cells, got)

    def raw(self, cells: list[str], field_name: str) -> str:
        """A field's cell as written in the file (sanitised), for messages and notes."""
        index = self.index.get(field_name)
        return cell_text(cells[index]) if index is not None else ""

    def _convert(self, field_name: str, kind: str, text: str):
        if kind in ("name", "ref"):
            limit = 120 if kind == "ref" else 170 if field_name == "category" else 120
            if len(text) > limit:
                raise ValueError(f"{text[:30]!r}... is longer than {limit} characters")
            return text
        if kind == "date":
            return self.dates(text)
        if kind == "subject":
            return text[:300]
        if kind == "ci":
            return text[:200]
        if kind == "body":
            if len(text) > BODY_MAX_LENGTH:
                raise ValueError(f"{len(text)} characters is over the limit of {BODY_MAX_LENGTH}")
            return text
        if kind == "level":
            return parse_level(text)
        if kind == "priority":
            return parse_priority(text)
        if kind == "count":
            return parse_count(text)
        if kind == "bool":
            return parse_bool(text)
        if kind == "status":
            return _status(text)
        if kind == "pending_reason":
            return _enum(text, PendingReason, "pending reason")
        if kind == "type":
            return _enum(text, TicketType, "ticket type")
        if kind == "channel":
            return _enum(text, Channel, "channel")
        if kind == "resolution":
            try:
                return _enum(text, ResolutionCode, "resolution code")
            except ValueError:
                if self.mapping.unknown_resolution_code:
                    return UnknownCode(text)
                raise
        if kind == "requester":
            return self._requester(text)
        raise AssertionError(kind)

    def _row(self, line: int, cells: list[str], got: dict) -> SourceRow:
        """Build the row. In ``got`` a text field is None when the file has no such column
        and "" when the cell is empty; other fields are None in both cases."""
        mapping = self.mapping
        g = got.get

        def bad(name: str, message: str, reason: str) -> RowError:
            return RowError(message, field=name, column=self.columns.get(name, 0), reason=reason)

        ref = g("external_ref")
        if not ref:
            raise bad("external_ref", "is empty; every row needs the source's number", "missing number")
        created = g("created_at")
        if created is None:
            raise bad("created_at", "is empty; every row needs its creation time", "missing date")
        updated = g("updated_at")
        resolved, closed = g("resolved_at"), g("closed_at")
        for name, when in (("resolved_at", resolved), ("closed_at", closed)):
            if when is not None and when < created:
                raise bad(name, f"{self.raw(cells, name)!r} is before created_at {self.raw(cells, 'created_at')!r}",
                          "bad date")
        status = g("status")
        pending = ""
        if status and ":" in status:
            status, pending = status.split(":", 1)
        if status == "pending" and not pending:
            pending = g("pending_reason") or PendingReason.AWAITING_REQUESTER.value
        count = g("version")
        version = ""
        if count is not None or updated is not None:
            # Sorts as (update count, update time): fixed-width count, ISO time.
            version = (f"{count:012d}" if count is not None else "") + "|" + (
                updated.isoformat() if updated is not None else "")
        code = g("resolution_code")
        notes = g("resolution_notes")
        if isinstance(code, UnknownCode):
            notes = notes or f"{mapping.title} resolution code: {code.raw}"
            code = mapping.unknown_resolution_code
        email, display = g("requester") or (None, "")
        category = g("category")
        sub = g("subcategory")
        if sub:
            if "/" in sub:  # a value map gave the whole path
                category = sub
            elif category:
                category = f"{category}/{sub}"
        elif category is None and sub is not None:
            category = ""
        subject = g("subject") or None
        default_subject = ""
        if subject is None and ref != self._kept_ref:
            # Only a new ticket needs one: built on a number's first row.
            parts = [cell_text(cells[i]) for i in self.fallback]
            parts = [p for p in parts if p.lower() not in self.missing]
            default_subject = f"{ref} " + " / ".join(parts) if parts else ref
        return SourceRow(
            line=line, cells=cells, columns=self.columns, external_ref=(mapping.ref_prefix + ref)[:120],
            created_at=created, version=version, updated_at=updated, subject=subject,
            default_subject=default_subject,
            description=g("description"), type=g("type"), status=status or None,
            pending_reason=pending, impact=g("impact"), urgency=g("urgency"),
            priority=g("priority"), priority_source=self.raw(cells, "priority") if g("priority") else "", channel=g("channel"),
            requester_email=email, requester_name=g("requester_name") or display, location=g("location") or "",
            group=g("group"), assignee=g("assignee"), category=category, ci=g("ci"),
            resolved_at=resolved, closed_at=closed, first_response_at=g("first_response_at"),
            resolution_code=code or None, resolution_notes=notes or None, made_sla=g("made_sla"),
            reopen_count=g("reopen_count"), reassignment_count=g("reassignment_count"),
            note=self._note(ref, line, cells),
        )

    def _requester(self, value: str) -> tuple[str, str]:
        """(email, display name): an email as it is, a name as name@<requester domain>."""
        if "@" in value and " " not in value.strip():
            return value.strip().lower()[:200], ""
        return f"{slug(value)}@{self.domain}"[:200], value

    def _note(self, ref: str, line: int, cells: list[str]) -> str:
        """The history event's text: the kept source columns -- all of them on a number's
        first row, then only those that changed since its previous row."""
        parts = [f"{self.mapping.title} {ref}, line {line}"]
        missing, missing_cells = self.missing, self._missing_cells
        by = self.raw(cells, "updated_by")
        if by and by.lower() not in missing:
            parts.append(f"updated by {by}")
        previous = self._kept_cells if ref == self._kept_ref else None
        for column, index in self.keep:
            cell = cells[index]
            if previous is not None:
                if previous[index] == cell:
                    continue
                was_missing = previous[index] in missing_cells
            else:
                was_missing = True
            if cell in missing_cells:
                text = ""
            else:
                text = cell.strip() if cell.isascii() and cell.isprintable() else cell_text(cell)
                if text.lower() in missing:
                    text = ""
            if text or not was_missing:
                parts.append(f"{column}={text or '(none)'}")
        self._kept_ref, self._kept_cells = ref, cells
        return "; ".join(parts)[:NOTE_MAX]


@dataclass(frozen=True)
class UnknownCode:
    raw: str


def _enum(text: str, enum, what: str) -> str:
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    if key in {member.value for member in enum}:
        return key
    raise ValueError(f"{text!r} is not a {what}; expected one of {allowed(enum)} (or map it in [values])")


def _status(text: str) -> str:
    status, _, reason = text.partition(":")
    value = _enum(status, Status, "status")
    if reason:
        if value != Status.PENDING.value:
            raise ValueError(f"{text!r}: only pending takes a reason (pending:awaiting_vendor)")
        return f"{value}:{_enum(reason, PendingReason, 'pending reason')}"
    return value


# ----------------------------------------------------------------- the import

def import_csv(engine: Engine, path: Path | str, mapping: Mapping, options: ImportOptions = ImportOptions(),
               progress: ProgressCallback | None = None, *, actor: Actor = SYSTEM) -> ImportSummary:
    """Import a CSV export described by ``mapping``. Streams the file; each batch is one
    transaction; returns the summary. Bad rows raise :class:`ImportAborted` (or, with
    ``skip_bad``, go to the rejects file)."""
    return run_mapped_import(engine, path, mapping, options, progress, actor=actor)


def run_mapped_import(engine: Engine, path: Path | str, mapping: Mapping, options: ImportOptions,
                      progress: ProgressCallback | None = None, *, actor: Actor = SYSTEM) -> ImportSummary:
    require(actor, Action.IMPORT)
    if options.batch_size < 1:
        raise ValidationError("--batch-size: must be at least 1")
    if options.timezone:
        zone_for(options.timezone)
    stream, name, size = open_source(path)
    timer = Clock()
    summary = ImportSummary(source=name, kind=mapping.name, dry_run=options.dry_run)
    rejects = Rejects(None)
    try:
        lines = TextLines(stream, name, encoding=options.encoding or mapping.encoding, skip_bad=options.skip_bad)
        records = csv_records(lines, delimiter=mapping.delimiter)
        first = next(records, None)
        if first is None:
            raise ValidationError(f"{name}: the file is empty (expected a header row and data rows)")
        header = first[2]
        parser = RowParser(mapping, header, name, options)
        summary.ignored_columns = parser.ignored
        if options.skip_bad:
            rejects = Rejects(options.rejects_path or default_rejects_path(name), header)
        writer = TicketWriter(
            engine, label=mapping.name, title=mapping.title, now=clock.now(), create_missing=options.create_missing,
            skip_bad=options.skip_bad, dry_run=options.dry_run, defaults=mapping.defaults,
            unknown_requester=f"unknown@{options.requester_domain}",
            response_from_work=mapping.first_response_from_work,
        )

        # Rejected rows wait for the batch they sit among, so the rejects file is in line order.
        waiting: list[tuple[int, list[str], RowError]] = []

        def write_rejects() -> None:
            for line, cells, error in sorted(waiting, key=lambda item: item[0]):
                rejects.write(line, cells, error.where(name, line))
            waiting.clear()

        def rows():
            for start, end, cells in records:
                summary.rows_read += 1
                try:
                    bad = lines.bad_between(start, end)
                    if bad:
                        raise RowError(bad, reason="bad encoding")
                    yield parser.parse(start, cells)
                except RowError as error:
                    if not options.skip_bad:
                        raise abort(summary, name, start, error) from None
                    summary.skipped[error.reason] += 1
                    waiting.append((start, cells, error))

        for batch in batches(rows(), lambda r: r.external_ref, options.batch_size):
            try:
                stats = writer.write_batch(batch)
            except BadRow as bad:
                raise abort(summary, name, bad.row.line, bad.error) from None
            summary.merge(stats)
            for row, error in stats.rejected:
                summary.skipped[error.reason] += 1
                waiting.append((row.line, row.cells, error))
            write_rejects()
            if progress is not None:
                progress(ImportProgress(summary.rows_read, lines.bytes_read, size, summary.tickets_created,
                                        summary.tickets_updated, summary.rows_skipped))
        write_rejects()
        summary.created_missing = Counter(kind for kind, _ in writer.directory.created)
    finally:
        if name != "<stdin>":
            stream.close()
        rejects.close()
        summary.rejects_file = str(rejects.path) if rejects.count else None
        summary.seconds = timer.seconds()
    return summary
