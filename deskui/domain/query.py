"""The queue query language: the ``/`` filter and saved views (DESIGN.md §5).

A query is a list of space-separated terms; every term must hold (AND).
``key:value`` terms filter on a field, anything else is free text::

    status:open,pending priority:1-2 assignee:me|none group:"Service Desk"
    sla:breached|at_risk category:network created:<7d -type:problem vpn "error 809"

| term | matches |
|---|---|
| `status:open,pending` | status is one of the values (new, open, pending, resolved, closed, cancelled) |
| `type:incident` | ticket type: incident, request, problem |
| `channel:email` | channel: phone, email, chat, portal, monitoring, walk_in |
| `priority:1,2` `priority:1-2` `priority:<=2` | priority 1-4 (a list, a range, or a comparison) |
| `tier:2` `tier:2-3` | support tier 1-3 |
| `sla:breached\\|at_risk` | SLA state of the ticket: ok, at_risk, breached, paused, met (see below) |
| `assignee:me` `assignee:none` `assignee:jdoe` | assigned to you, to nobody, or to an analyst (username or full name) |
| `group:"Network"` `group:none` | resolver group by name (case-insensitive) |
| `category:network` | that category and its subcategories (`network/vpn` for one subcategory; a subcategory's own name works too) |
| `requester:alice@example.com` `requester:alice` | requester by e-mail, e-mail name before the @, or full name |
| `ci:vpn-gw-01` `ci:none` | configuration item (case-insensitive, exact) |
| `problem:123` `problem:none` | linked to problem 123 / to no problem |
| `created:<7d` | created less than 7 days ago (newer than now - 7 days) |
| `created:>2h` | created more than 2 hours ago (older) |
| `updated:<30m` `resolved:<2w` | last updated / resolved: ages in m(inutes), h(ours), d(ays), w(eeks) |
| `created:>=2026-01-31` `created:<2026-02-01` | compared with a UTC calendar day; `created:2026-01-31` is that whole day |
| `-status:closed` | a leading `-` negates any key term |
| `vpn outage` | free text: every word must appear (full-text index) |
| `"exact phrase"` | free text: the words in this order |

Rules:

- Keys and the reserved values ``me`` and ``none`` are case-insensitive;
  ``,`` and ``|`` both separate alternatives (any of them may match).
- Values with spaces go in double quotes (``group:"Service Desk"``); inside
  quotes ``\\"`` is a quote and ``\\\\`` a backslash. A quoted ``"me"`` or
  ``"none"`` is a literal name, not the reserved word.
- Ages compare the *age*: ``<7d`` is younger than 7 days; dates compare the
  *time*: ``<2026-02-01`` is before that day. Both need an operator
  (``<``, ``<=``, ``>``, ``>=``) except a bare date, which means that day.
  Ages go back at most 100 years.
- ``sla:`` uses the ticket's overall SLA state, the worse of its response
  and resolution targets (breached > at_risk > paused > ok). ``breached``,
  ``at_risk``, ``paused`` and ``ok`` are live states of an open ticket (new,
  open, pending); ``met`` is a resolved or closed ticket with no target
  breached (a cancelled ticket has no SLA state). Finished tickets that
  breached: ``status:resolved,closed -sla:met``.
- A ``-`` in front of a word without a key is part of the word.
- An unknown key or a bad value raises :class:`QueryError` with the position
  and a message naming the key and what it accepts; nothing else is raised.

``Query.to_text()`` prints a normalised query that parses back to an equal
``Query`` (terms first, then words, then phrases): use it to store saved views.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum, StrEnum
from typing import Union

from deskui.domain.enums import ACTIVE_STATUSES, Channel, SlaState, Status, TicketType, allowed

# ------------------------------------------------------------------ values


class Special(Enum):
    """Reserved values: ``me`` (the current analyst) and ``none`` (not set)."""

    ME = "me"
    NONE = "none"

    def __repr__(self) -> str:
        return f"Special.{self.name}"


ME = Special.ME
NONE = Special.NONE

_UNIT_NAMES = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
MAX_AGE = timedelta(days=36525)  # 100 years


@dataclass(frozen=True)
class Age:
    """A relative time such as ``7d``: ``amount`` of ``unit`` (m, h, d, w)."""

    amount: int
    unit: str

    @property
    def delta(self) -> timedelta:
        return timedelta(**{_UNIT_NAMES[self.unit]: self.amount})

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


# A term value: a Status/TicketType/Channel/SlaState member, an int (priority,
# tier, problem id), a str (a name), Special.ME/NONE, an Age or a date.
Value = Union[StrEnum, int, str, Special, Age, date]

OPS = ("<=", ">=", "<", ">", "=")


@dataclass(frozen=True)
class Term:
    """One ``key:value`` term. ``values`` are alternatives (any may match).

    ``op`` is ``"="`` except for the time keys (created, updated, resolved),
    where it is one of ``<``, ``<=``, ``>``, ``>=`` and ``values`` holds
    exactly one Age or date. ``position`` is where the term starts in the
    parsed text (not part of equality).
    """

    key: str
    values: tuple[Value, ...]
    negate: bool = False
    op: str = "="
    position: int = field(default=0, compare=False)

    def to_text(self) -> str:
        sign = "-" if self.negate else ""
        op = "" if self.op == "=" else self.op
        return f"{sign}{self.key}:{op}" + ",".join(_render_value(v) for v in self.values)


@dataclass(frozen=True)
class Query:
    """A parsed query: every term and every word and phrase must match."""

    terms: tuple[Term, ...] = ()
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.words or self.phrases)

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    def terms_for(self, key: str) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.key == key)

    def to_text(self) -> str:
        parts = [term.to_text() for term in self.terms]
        parts += list(self.words)
        parts += [_quote(phrase) for phrase in self.phrases]
        return " ".join(parts)


def replaces_active_default(query: Query) -> bool:
    """Whether the query is about finished tickets too, so the queue's active-only
    default (new, open, pending) gives way: a positive ``status:``, ``resolved:``
    or ``sla:met`` term. A negated term only narrows: ``-status:pending`` keeps
    the default and drops pending from it."""
    return any(
        not term.negate and (term.key in ("status", "resolved") or (term.key == "sla" and SlaState.MET in term.values))
        for term in query.terms
    )


def shown_statuses(query: Query, *, include_inactive: bool = False) -> frozenset[Status]:
    """The statuses a ticket the query matches may have: the default (active, or every
    status when the query replaces it), kept to each positive status term and without
    each negated one."""
    statuses = set(Status) if include_inactive or replaces_active_default(query) else set(ACTIVE_STATUSES)
    for term in query.terms_for("status"):
        values = set(term.values)
        statuses = statuses - values if term.negate else statuses & values
    return frozenset(statuses)


class QueryError(ValueError):
    """A query the user must fix. ``position`` is the offset in the text."""

    def __init__(self, message: str, position: int = 0, end: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position
        self.end = end if end is not None else position + 1


# ------------------------------------------------------------------ keys


@dataclass(frozen=True)
class KeySpec:
    name: str
    kind: str  # "enum", "int", "id", "name", "time"
    enum: type[StrEnum] | None = None
    low: int = 0
    high: int = 0
    allows_me: bool = False
    allows_none: bool = False
    example: str = ""

    def accepts(self) -> str:
        """What the key accepts, for error messages."""
        if self.kind == "enum":
            return f"one of {allowed(self.enum)}"
        if self.kind == "int":
            numbers = ", ".join(str(n) for n in range(self.low, self.high + 1))
            return f"one of {numbers} (lists 1,2, ranges 1-2, comparisons <=2)"
        if self.kind == "id":
            return "a problem number or none"
        if self.kind == "time":
            return "an age <7d >2h <=30m >=1w (m, h, d, w) or a date >=2026-01-31, <2026-02-01, 2026-01-31"
        reserved = [word for word, ok in (("me", self.allows_me), ("none", self.allows_none)) if ok]
        return "a name" + (f", or {' or '.join(reserved)}" if reserved else "")


_SPECS = (
    KeySpec("status", "enum", enum=Status, example="status:open,pending"),
    KeySpec("priority", "int", low=1, high=4, example="priority:1,2"),
    KeySpec("assignee", "name", allows_me=True, allows_none=True, example="assignee:me"),
    KeySpec("group", "name", allows_none=True, example='group:"Service Desk"'),
    KeySpec("type", "enum", enum=TicketType, example="type:incident"),
    KeySpec("sla", "enum", enum=SlaState, example="sla:breached|at_risk"),
    KeySpec("category", "name", allows_none=True, example="category:network"),
    KeySpec("created", "time", example="created:<7d"),
    KeySpec("updated", "time", example="updated:>2h"),
    KeySpec("resolved", "time", example="resolved:<7d"),
    KeySpec("requester", "name", allows_none=True, example="requester:alice@example.com"),
    KeySpec("ci", "name", allows_none=True, example="ci:vpn-gw-01"),
    KeySpec("problem", "id", allows_none=True, example="problem:123"),
    KeySpec("tier", "int", low=1, high=3, example="tier:2"),
    KeySpec("channel", "enum", enum=Channel, example="channel:email"),
)
KEY_SPECS: dict[str, KeySpec] = {spec.name: spec for spec in _SPECS}
QUERY_KEYS: tuple[str, ...] = tuple(KEY_SPECS)

# ------------------------------------------------------------------ parsing

_KEY = re.compile(r"(-?)([A-Za-z_][A-Za-z0-9_]*):")
_OP = re.compile(r"<=|>=|<|>|=")
_INT = re.compile(r"[0-9]{1,6}")
_RANGE = re.compile(r"([0-9]{1,6})-([0-9]{1,6})")
_ID = re.compile(r"#?([0-9]{1,18})")
_AGE = re.compile(r"([0-9]{1,9})([mhdwMHDW])")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_SEPARATORS = ",|"


def parse_query(text: str) -> Query:
    """Parse a query. Raises :class:`QueryError` (and only that) when it is wrong."""
    if not isinstance(text, str):
        raise QueryError(f"a query is text, not {type(text).__name__}", 0)
    return _Parser(text).parse()


@dataclass
class _RawValue:
    text: str
    quoted: bool
    position: int


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.n = len(text)

    def parse(self) -> Query:
        text, n = self.text, self.n
        terms: list[Term] = []
        words: list[str] = []
        phrases: list[str] = []
        i = 0
        while i < n:
            ch = text[i]
            if ch.isspace():
                i += 1
            elif ch == '"':
                phrase, i = self._quoted(i)
                phrase = " ".join(phrase.split())
                if phrase:
                    phrases.append(phrase)
            elif match := _KEY.match(text, i):
                term, i = self._term(match)
                terms.append(term)
            else:
                end = i
                while end < n and not text[end].isspace() and text[end] != '"':
                    end += 1
                words.append(text[i:end])
                i = end
        return Query(tuple(terms), tuple(words), tuple(phrases))

    def _quoted(self, start: int) -> tuple[str, int]:
        """Read a double-quoted string at ``start``; an unclosed one runs to
        the end (the filter is typed live, so a half-typed phrase still works)."""
        text, n = self.text, self.n
        out: list[str] = []
        i = start + 1
        while i < n:
            ch = text[i]
            if ch == "\\" and i + 1 < n and text[i + 1] in '"\\':
                out.append(text[i + 1])
                i += 2
            elif ch == '"':
                return "".join(out), i + 1
            else:
                out.append(ch)
                i += 1
        return "".join(out), n

    def _term(self, match: re.Match) -> tuple[Term, int]:
        raw_key = match.group(2)
        key = raw_key.lower()
        spec = KEY_SPECS.get(key)
        if spec is None:
            raise self._unknown_key(raw_key, match.start(2))
        i = match.end()
        op = "="
        if spec.kind in ("time", "int") and (op_match := _OP.match(self.text, i)):
            op = op_match.group()
            i = op_match.end()
        raw_values, i = self._values(i)
        if not raw_values:
            raise QueryError(
                f"{key}: needs a value right after the colon, e.g. {spec.example}; {key} takes {spec.accepts()}",
                match.start(),
                i,
            )
        values = self._convert(spec, op, raw_values, match.start())
        negate = match.group(1) == "-"
        # Comparisons on priority and tier were expanded to a list of values.
        term_op = op if spec.kind == "time" else "="
        return Term(key, tuple(dict.fromkeys(values)), negate, term_op, match.start()), i

    def _values(self, i: int) -> tuple[list[_RawValue], int]:
        text, n = self.text, self.n
        values: list[_RawValue] = []
        while i < n and not text[i].isspace():
            ch = text[i]
            if ch in _SEPARATORS:
                i += 1
            elif ch == '"':
                start = i
                value, i = self._quoted(i)
                values.append(_RawValue(value.strip(), True, start))
            else:
                start = i
                while i < n and not text[i].isspace() and text[i] not in _SEPARATORS and text[i] != '"':
                    i += 1
                values.append(_RawValue(text[start:i], False, start))
        return values, i

    # -------------------------------------------------------- conversion

    def _convert(self, spec: KeySpec, op: str, raw: list[_RawValue], term_start: int) -> list[Value]:
        if spec.kind == "time":
            if len(raw) > 1:
                raise QueryError(
                    f"{spec.name}: takes one value; for a span use two terms, "
                    f"e.g. {spec.name}:>=2026-01-01 {spec.name}:<2026-02-01",
                    raw[1].position,
                )
            return [self._time(spec, op, raw[0])]
        if spec.kind == "int":
            return self._ints(spec, op, raw)
        convert = {"enum": self._enum, "id": self._id, "name": self._name}[spec.kind]
        return [convert(spec, value) for value in raw]

    def _bad(self, spec: KeySpec, value: _RawValue, reason: str = "") -> QueryError:
        reason = reason or f"is not {spec.accepts()}"
        return QueryError(
            f"{spec.name}: {_show(value.text)} {reason}",
            value.position,
            value.position + max(1, len(value.text)),
        )

    def _enum(self, spec: KeySpec, value: _RawValue) -> StrEnum:
        key = value.text.strip().lower().replace("-", "_").replace(" ", "_")
        for member in spec.enum:
            if member.value == key:
                return member
        raise self._bad(spec, value)

    def _ints(self, spec: KeySpec, op: str, raw: list[_RawValue]) -> list[int]:
        allowed_range = range(spec.low, spec.high + 1)
        if op != "=":
            if len(raw) > 1 or not _INT.fullmatch(_strip_p(spec, raw[0].text)):
                raise self._bad(spec, raw[0], f"after {op} needs one number; {spec.name} takes {spec.accepts()}")
            bound = int(_strip_p(spec, raw[0].text))
            chosen = [n for n in allowed_range if _compare(n, op, bound)]
            if not chosen:
                raise self._bad(spec, raw[0], f"with {op} matches no {spec.name}; {spec.name} takes {spec.accepts()}")
            return chosen
        numbers: list[int] = []
        for value in raw:
            text = _strip_p(spec, value.text.strip())
            if _INT.fullmatch(text):
                low = high = int(text)
            elif match := _RANGE.fullmatch(text):
                low, high = int(match.group(1)), int(match.group(2))
                if low > high:
                    raise self._bad(spec, value, f"is an empty range; write the low end first, e.g. {spec.low}-{spec.high}")
            else:
                raise self._bad(spec, value)
            if low not in allowed_range or high not in allowed_range:
                raise self._bad(spec, value)
            numbers.extend(range(low, high + 1))
        return numbers

    def _id(self, spec: KeySpec, value: _RawValue) -> int | Special:
        if not value.quoted and value.text.lower() == "none":
            return NONE
        match = _ID.fullmatch(value.text.strip())
        if not match or int(match.group(1)) == 0:
            raise self._bad(spec, value)
        return int(match.group(1))

    def _name(self, spec: KeySpec, value: _RawValue) -> str | Special:
        if not value.quoted:
            word = value.text.lower()
            if word == "me" and spec.allows_me:
                return ME
            if word == "none" and spec.allows_none:
                return NONE
        if not value.text:
            raise self._bad(spec, value, f"is empty; {spec.name} takes {spec.accepts()}")
        return value.text

    def _time(self, spec: KeySpec, op: str, value: _RawValue) -> Age | date:
        text = value.text.strip()
        if match := _AGE.fullmatch(text):
            if op == "=":
                raise self._bad(
                    spec,
                    value,
                    f"needs < or >: {spec.name}:<{text} (less than {text} ago) or {spec.name}:>{text} (more than {text} ago)",
                )
            age = Age(int(match.group(1)), match.group(2).lower())
            # Compared in minutes: a huge amount would overflow timedelta.
            if age.amount * _UNIT_MINUTES[age.unit] > MAX_AGE // timedelta(minutes=1):
                raise self._bad(spec, value, "is too long ago; ages go back at most 100 years (5217w)")
            return age
        if _DATE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                raise self._bad(spec, value, "is not a real date (YYYY-MM-DD)") from None
        raise self._bad(spec, value)

    def _unknown_key(self, raw_key: str, position: int) -> QueryError:
        key = raw_key.lower()
        close = difflib.get_close_matches(key, QUERY_KEYS, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return QueryError(
            f"unknown key {_show(raw_key)}{hint}; keys: {', '.join(QUERY_KEYS)} "
            f'(quote "{raw_key}:..." to search for it as text)',
            position,
            position + len(raw_key),
        )


def _strip_p(spec: KeySpec, text: str) -> str:
    # "P1" is how people say priority 1.
    if spec.name == "priority" and text[:1] in ("p", "P"):
        return text[1:]
    return text


def _compare(left: int, op: str, right: int) -> bool:
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _show(text: str) -> str:
    """A value quoted for an error message (repr escapes control characters)."""
    if len(text) > 40:
        text = text[:37] + "..."
    return repr(text)


# ------------------------------------------------------------------ rendering


def _needs_quotes(text: str) -> bool:
    return (
        not text
        or text.lower() in ("me", "none")
        or any(ch.isspace() or ch in ',|"' for ch in text)
    )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render_value(value: Value) -> str:
    if isinstance(value, Special):
        return value.value
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, (Age, int)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return _quote(value) if _needs_quotes(value) else value
