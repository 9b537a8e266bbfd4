"""The machinery every import shares: reading, locating errors, rejects, batches, the summary.

- :class:`TextLines` reads a file (or stdin) as bytes, one line at a time, and
  decodes each line itself, so a bad byte is reported as ``file:line:column``
  (never a traceback) and memory stays constant whatever the file size. A
  UTF-8 byte order mark is dropped; CRLF line ends are fine.
- :func:`csv_records` turns those lines into CSV records, each with the line it
  starts on (a quoted cell may span lines).
- :class:`RowError` is a bad row: the field, its column and why. Without
  ``--skip-bad`` it stops the import with one line naming ``file:line:column``;
  with it the row goes to the rejects file (the original cells plus ``_line``
  and ``_error``) and is counted under its reason.
- :func:`run_batches` cuts the stream into batches; the writer applies a batch
  in one transaction, so a batch is either written whole or not at all.

Nothing here imports rich: services report progress through a callback.
"""

from __future__ import annotations

import codecs
import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Sequence

from deskui.domain.text import clean_text
from deskui.services.files import CSV_LINE_LIMIT, IMPORT_LIMIT, open_stream
from deskui.errors import ValidationError

# A cell may hold a long description; the csv module's default limit is 128 KiB.
MAX_CELL = 16 * 1024 * 1024
DEFAULT_BATCH_SIZE = 2000


# ----------------------------------------------------------------- options and results

@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    skip_bad: bool = False
    rejects_path: Path | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    create_missing: bool = False
    dayfirst: bool | None = None  # None: what the mapping says (else month-first)
    timezone: str | None = None  # None: what the mapping says (else UTC)
    encoding: str | None = None  # None: what the mapping says (else UTF-8)
    requester_domain: str = "imported.invalid"


@dataclass(frozen=True)
class ImportProgress:
    rows_read: int
    bytes_read: int
    total_bytes: int | None
    tickets_created: int
    tickets_updated: int
    rows_skipped: int


ProgressCallback = Callable[[ImportProgress], None]


@dataclass
class BatchStats:
    """What one batch did; merged into the summary only once the batch is committed."""

    rows_applied: int = 0
    rows_unchanged: int = 0
    tickets_created: int = 0
    tickets_updated: int = 0
    events_written: int = 0
    rejected: list[tuple[object, "RowError"]] = field(default_factory=list)
    source_sla: Counter = field(default_factory=Counter)  # True (made) / False (missed) -> tickets
    resolution_unknown: int = 0  # tickets resolved without a resolution time in the source


@dataclass
class ImportSummary:
    """The figures printed at the end (``--format json`` gives :meth:`as_dict`)."""

    source: str
    kind: str
    dry_run: bool = False
    rows_read: int = 0
    rows_applied: int = 0
    rows_unchanged: int = 0
    tickets_created: int = 0
    tickets_updated: int = 0
    events_written: int = 0
    batches: int = 0
    skipped: Counter = field(default_factory=Counter)
    created_missing: Counter = field(default_factory=Counter)
    ignored_columns: list[str] = field(default_factory=list)
    rejects_file: str | None = None
    seconds: float = 0.0
    # The source's own SLA verdict (e.g. ServiceNow's made_sla) of the tickets written.
    source_sla_made: int = 0
    source_sla_missed: int = 0
    # Tickets the source resolved without saying when (no resolved time, no resolved row).
    resolution_unknown: int = 0

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    def merge(self, stats: BatchStats) -> None:
        self.rows_applied += stats.rows_applied
        self.rows_unchanged += stats.rows_unchanged
        self.tickets_created += stats.tickets_created
        self.tickets_updated += stats.tickets_updated
        self.events_written += stats.events_written
        self.source_sla_made += stats.source_sla[True]
        self.source_sla_missed += stats.source_sla[False]
        self.resolution_unknown += stats.resolution_unknown
        self.batches += 1

    def as_dict(self) -> dict:
        return {
            "source": self.source, "kind": self.kind, "dry_run": self.dry_run, "rows_read": self.rows_read,
            "rows_applied": self.rows_applied, "rows_unchanged": self.rows_unchanged,
            "rows_skipped": self.rows_skipped, "skipped": dict(sorted(self.skipped.items())),
            "tickets_created": self.tickets_created, "tickets_updated": self.tickets_updated,
            "events_written": self.events_written, "batches": self.batches,
            "source_sla": {"made": self.source_sla_made, "missed": self.source_sla_missed},
            "resolution_time_unknown": self.resolution_unknown,
            "created_missing": dict(sorted(self.created_missing.items())),
            "ignored_columns": list(self.ignored_columns), "rejects_file": self.rejects_file,
            "seconds": round(self.seconds, 3),
        }


# ----------------------------------------------------------------- row errors

class RowError(Exception):
    """One bad row. ``reason`` is the short key it is counted under when skipped."""

    def __init__(self, message: str, *, field: str = "", column: int = 0, reason: str = "bad value"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.column = column
        self.reason = reason

    def where(self, source: str, line: int) -> str:
        place = f"{source}:{line}" + (f":{self.column}" if self.column else "")
        return f"{place}: {self.field}: {self.message}" if self.field else f"{place}: {self.message}"


class ImportAborted(ValidationError):
    """A bad row stopped the import. Batches before it are written, its own batch is not."""

    def __init__(self, message: str, summary: ImportSummary):
        super().__init__(message)
        self.summary = summary


def abort(summary: ImportSummary, source: str, line: int, error: RowError) -> ImportAborted:
    done = summary.rows_applied + summary.rows_unchanged
    tail = (f" ({done} rows before it are imported; fix the row and import again -- imported rows are "
            "skipped -- or pass --skip-bad)" if done else " (nothing imported; or pass --skip-bad to skip bad rows)")
    if summary.dry_run:
        tail = " (dry run; pass --skip-bad to count bad rows instead)"
    return ImportAborted(error.where(source, line) + tail, summary)


# ----------------------------------------------------------------- reading

TEXT_ENCODINGS_HINT = "a text encoding such as utf-8, cp1252, latin-1"


def check_encoding(name: str) -> str:
    """The codec's name, for text encodings only: rot13, base64, zlib, hex and the other
    codecs that transform bytes or text into themselves are refused."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValidationError(f"--encoding: {name!r} is not a known encoding; give {TEXT_ENCODINGS_HINT}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise ValidationError(f"--encoding: {name!r} is not a text encoding; give {TEXT_ENCODINGS_HINT}")
    if info.name.startswith(("utf-16", "utf-32")):
        raise ValidationError(f"--encoding: {name} is not supported; save the file as UTF-8 and import it again")
    return info.name


class TextLines:
    """Decoded lines of a binary stream, counting lines and bytes as it goes.

    Each physical line is decoded on its own: a byte that is not valid in the
    encoding stops the import with ``file:line:column`` (the column is the
    byte's position in the line), or with ``skip_bad`` is replaced and the
    line remembered in :attr:`bad_lines` so the caller rejects its record.
    """

    def __init__(self, stream: BinaryIO, name: str, *, encoding: str = "utf-8", skip_bad: bool = False):
        self.stream = stream
        self.name = name
        self.encoding = check_encoding(encoding)
        self.skip_bad = skip_bad
        self.line = 0
        self.bytes_read = 0
        self.bad_lines: dict[int, str] = {}

    def __iter__(self) -> Iterator[str]:
        encoding = self.encoding
        for raw in self.stream:
            self.line += 1
            self.bytes_read += len(raw)
            if self.line == 1:
                raw = self._first(raw)
            try:
                yield raw.decode(encoding)
            except UnicodeDecodeError as exc:
                column = exc.start + 1
                message = (f"not valid {encoding} (byte 0x{raw[exc.start]:02x}); save the file as UTF-8 or pass "
                           "--encoding with its encoding, e.g. --encoding cp1252")
                if not self.skip_bad:
                    raise ValidationError(f"{self.name}:{self.line}:{column}: {message}") from None
                self.bad_lines[self.line] = f"column {column}: {message}"
                yield raw.decode(encoding, errors="replace")

    def _first(self, raw: bytes) -> bytes:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ValidationError(f"{self.name}:1:1: the file is UTF-16 (it starts with a UTF-16 byte order mark); "
                                  "save it as UTF-8 (\"CSV UTF-8\") and import it again")
        if raw.startswith(codecs.BOM_UTF8):
            return raw[len(codecs.BOM_UTF8):]
        return raw

    def bad_between(self, first: int, last: int) -> str | None:
        """The decoding problem of a line in [first, last], forgetting lines up to ``last``."""
        if not self.bad_lines:
            return None
        found = None
        for line in sorted(self.bad_lines):
            if line > last:
                break
            message = self.bad_lines.pop(line)
            if line >= first and found is None:
                found = f"line {line} {message}"
        return found


def open_source(path: Path | str, *, limit: int = IMPORT_LIMIT, what: str = "a ticket import",
                line_limit: int = CSV_LINE_LIMIT, stdin_limit: int | None = -1) -> tuple[BinaryIO, str, int | None]:
    """(binary stream, display name, size in bytes or None). ``-`` is standard input.
    The stream stops at ``limit`` bytes and ``line_limit`` bytes a line (deskui.services.files)."""
    return open_stream(path, limit=limit, what=what, line_limit=line_limit, stdin_limit=stdin_limit)


def csv_records(lines: TextLines, *, delimiter: str = ",") -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, cells) for every non-blank CSV record."""
    csv.field_size_limit(MAX_CELL)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValidationError(f"{lines.name}:{start}: malformed CSV: {exc}") from None
        end = lines.line
        if cells and any(cell.strip() for cell in cells):
            yield start, end, cells
        start = end + 1


def cell_text(value: str, *, single_line: bool = True, max_length: int | None = None) -> str:
    """Sanitise one imported cell (DESIGN.md §3); a fast path for plain ASCII."""
    if value.isascii() and value.isprintable():
        value = value.strip()
        return value[:max_length] if max_length is not None else value
    return clean_text(value, single_line=single_line, max_length=max_length).strip()


# ----------------------------------------------------------------- rejects

class Rejects:
    """The rejects file: the header and cells of every skipped row, plus ``_line`` and ``_error``.

    Opened on the first rejected row, so a clean import leaves no file behind.
    """

    def __init__(self, path: Path | None, header: Sequence[str] = ()):
        self.path = path
        self.header = list(header)
        self._file = None
        self._writer = None
        self.count = 0

    def write(self, line: int, cells: Sequence[str], message: str) -> None:
        if self.path is None:
            return
        if self._writer is None:
            try:
                self._file = self.path.open("w", encoding="utf-8", newline="")
            except OSError as exc:
                raise ValidationError(f"--rejects: cannot write {self.path}: {exc.strerror}") from None
            self._writer = csv.writer(self._file)
            self._writer.writerow(self.header + ["_line", "_error"])
        self._writer.writerow(list(cells) + [line, message])
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def default_rejects_path(source: str) -> Path:
    if source in ("-", "<stdin>"):
        return Path("stdin.rejects.csv")
    return Path(f"{source}.rejects.csv")


# ----------------------------------------------------------------- batching

def batches(rows: Iterable, key: Callable[[object], str], size: int) -> Iterator[list]:
    """Cut rows into batches of about ``size``, keeping consecutive rows with the
    same key (one incident's audit rows) in one batch where it can: a batch ends
    at the first key change after ``size`` rows, and at ``4 x size`` rows at most
    so memory stays bounded."""
    batch: list = []
    hard = size * 4
    for row in rows:
        if len(batch) >= size and (len(batch) >= hard or key(row) != key(batch[-1])):
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch


class Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.start
