"""Reading files a user hands deskui: seed, import, intake and knowledge files are
untrusted input (issue 12.5).

Every such read goes through here and has a size limit that the error states:
a folder, a device (``/dev/zero``) or a file over the limit is refused before a
byte is read, and a pipe or standard input is cut off at the limit. Streams
also bound each line, so a file without newlines cannot fill memory. The
nesting check refuses deeply nested TOML and JSON with the line (and column)
before a recursive parser runs out of stack.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import BinaryIO, Iterator

from deskui.errors import ValidationError

MiB = 2**20
GiB = 2**30

CONFIG_LIMIT = 16 * MiB     # seed files (TOML, CSV), rules, catalogue, import mappings
ARTICLE_LIMIT = 16 * MiB    # one knowledge article (Markdown)
ALERTS_LIMIT = 64 * MiB     # a JSON Lines file of alerts (validated whole before anything is taken)
IMPORT_LIMIT = 2 * GiB      # ticket imports (CSV), knowledge JSON Lines, an mbox or .eml file (streamed)
MESSAGE_LIMIT = 64 * MiB    # one e-mail message (in an mbox, a Maildir or an .eml file)
LINE_LIMIT = 1 * MiB        # one line of JSON Lines (an alert, an article)
CSV_LINE_LIMIT = 64 * MiB   # one physical line of a CSV import

MAX_NESTING = 64            # arrays / tables inside each other in TOML and JSON


def human(size: int) -> str:
    """1 MiB, 16 MiB, 2 GiB, 1.5 KiB: sizes in the words of the errors and the README."""
    for unit, factor in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def too_large(name: str, limit: int, what: str, size: int | None = None) -> ValidationError:
    found = f" (it is {human(size)})" if size is not None else ""
    return ValidationError(f"{name}: larger than {human(limit)}, the limit for {what}{found}")


def check_file(path: Path, limit: int, what: str) -> int | None:
    """Refuse what is not a readable file within ``limit``; the size (None for a pipe)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ValidationError(f"{path}: file not found") from None
    except PermissionError:
        raise ValidationError(f"{path}: permission denied") from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ValidationError(f"{path}: is a folder, not a file")
    if stat.S_ISFIFO(info.st_mode):
        return None
    if not stat.S_ISREG(info.st_mode):
        raise ValidationError(f"{path}: is not a regular file (a device or a socket); give {what}")
    if info.st_size > limit:
        raise too_large(str(path), limit, what, info.st_size)
    return info.st_size


def read_bytes(path: Path, limit: int, what: str) -> bytes:
    """The whole file, at most ``limit`` bytes (``what`` names it in errors: "a seed file")."""
    path = Path(path)
    check_file(path, limit, what)
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)
    except PermissionError:
        raise ValidationError(f"{path}: permission denied") from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise too_large(str(path), limit, what)
    return data


class LimitedStream:
    """A binary stream read line by line, each line at most ``line_limit`` bytes and
    the whole at most ``limit`` bytes (None: no total, for a pipe from a monitor)."""

    def __init__(self, stream: BinaryIO, name: str, *, limit: int | None, what: str, line_limit: int):
        self.stream = stream
        self.name = name
        self.limit = limit
        self.what = what
        self.line_limit = line_limit
        self.bytes_read = 0
        self.line = 0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        raw = self.readline()
        if not raw:
            raise StopIteration
        return raw

    def readline(self) -> bytes:
        raw = self.stream.readline(self.line_limit + 1)
        if not raw:
            return raw
        self.line += 1
        self.bytes_read += len(raw)
        if self.limit is not None and self.bytes_read > self.limit:
            raise too_large(self.name, self.limit, self.what)
        if len(raw) > self.line_limit and not raw.endswith(b"\n"):
            raise ValidationError(f"{self.name}:{self.line}: line longer than {human(self.line_limit)}, "
                                  f"the limit for a line of {self.what}")
        return raw

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative), within the limit."""
        cap = (self.limit - self.bytes_read + 1) if self.limit is not None else -1
        if size < 0 or (cap >= 0 and size > cap):
            size = cap
        data = self.stream.read(size)
        self.bytes_read += len(data)
        if self.limit is not None and self.bytes_read > self.limit:
            raise too_large(self.name, self.limit, self.what)
        return data

    def close(self) -> None:
        if self.stream is not sys.stdin.buffer:
            self.stream.close()


def open_stream(path: Path | str, *, limit: int, what: str, line_limit: int = LINE_LIMIT,
                stdin_limit: int | None = -1) -> tuple[LimitedStream, str, int | None]:
    """(limited stream, display name, size in bytes or None). ``-`` is standard input,
    bounded by ``stdin_limit`` (default: ``limit``; None: unbounded, lines still bounded)."""
    if str(path) == "-":
        total = limit if stdin_limit == -1 else stdin_limit
        return LimitedStream(sys.stdin.buffer, "<stdin>", limit=total, what=what, line_limit=line_limit), \
            "<stdin>", None
    path = Path(path)
    size = check_file(path, limit, what)
    try:
        raw = path.open("rb")
    except PermissionError:
        raise ValidationError(f"{path}: permission denied") from None
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read: {exc.strerror}") from None
    return LimitedStream(raw, str(path), limit=limit, what=what, line_limit=line_limit), str(path), size


# ----------------------------------------------------------------- nesting

def too_deep(text: str, *, toml: bool = False, max_depth: int = MAX_NESTING) -> tuple[int, int] | None:
    """(line, column) where arrays / tables (``[`` ``{``) nest more than ``max_depth``
    deep outside strings (and, for TOML, comments), or None. Linear, no recursion."""
    depth = 0
    line, line_start = 1, 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            line, line_start = line + 1, i + 1
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return line, i - line_start + 1
        elif ch in "]}":
            depth = max(depth - 1, 0)
        elif ch == "#" and toml:
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch == '"' or (ch == "'" and toml):
            triple = toml and text.startswith(ch * 3, i)
            quote = ch * 3 if triple else ch
            j = i + len(quote)
            while j < n:
                c = text[j]
                if c == "\\" and ch == '"':
                    j += 2
                    continue
                if text.startswith(quote, j):
                    break
                if c == "\n":
                    if not triple:
                        break
                    line, line_start = line + 1, j + 1
                j += 1
            i = j + (len(quote) if j < n and text.startswith(quote, j) else 0)
            continue
        i += 1
    return None


def load_toml(path: Path, what: str, *, limit: int = CONFIG_LIMIT) -> tuple[str, dict]:
    """(text, data) of a TOML file within ``limit``; every error names the file (and the
    line and column where TOML says), too deep nesting included."""
    import re
    import tomllib

    path = Path(path)
    raw = read_bytes(path, limit, what)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValidationError(f"{path}:{line}: not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    deep = too_deep(text, toml=True)
    if deep is not None:
        raise ValidationError(f"{path}:{deep[0]}:{deep[1]}: invalid TOML: arrays or tables nested more than "
                              f"{MAX_NESTING} deep")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f":{match.group(1)}:{match.group(2)}" if match else ""
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ValidationError(f"{path}{where}: invalid TOML: {reason}") from None
    except RecursionError:  # the scan above should catch it first; never a traceback
        raise ValidationError(f"{path}: invalid TOML: nested more than {MAX_NESTING} deep") from None
    return text, data
