"""Names in a queue query that match nothing (issue 15.5), with the closest ones.

``assignee:``, ``group:``, ``category:`` and ``requester:`` take names that the
filter resolves in SQL (deskui.store.queue_filter); a typo there would select
nothing without a word. :func:`unknown_names` asks, for each such name, whether
it means anything, with the same lookups the filter uses, and for those that
do not, which known names are closest.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from sqlalchemy import exists, func, or_, select
from sqlalchemy.engine import Connection, Engine

from deskui.domain.query import Query, Special
from deskui.store.queue_filter import NAME_LOOKUPS
from deskui.store.tables import analysts, categories, groups, requesters

#: Closest names offered for one unknown name.
CLOSEST = 3
#: Requesters compared with an unknown requester name (those sharing its first letter).
REQUESTER_SAMPLE = 5000


@dataclass(frozen=True)
class UnknownName:
    key: str  # the query key: assignee, group, category, requester
    kind: str  # what it names: analyst, group, category, requester
    name: str  # as typed
    closest: tuple[str, ...]  # names to type instead, best first (with a hint: "akhan (Amira Khan)")


def unknown_names(engine: Engine, query: Query) -> list[UnknownName]:
    """Every name of the query that matches nothing, in the order typed."""
    wanted = [(term.key, value) for term in query.terms if term.key in NAME_LOOKUPS
              for value in term.values if not isinstance(value, Special)]
    if not wanted:
        return []
    found: list[UnknownName] = []
    with engine.connect() as conn:
        for key, name in dict.fromkeys(wanted):
            kind, ids_for = NAME_LOOKUPS[key]
            if conn.execute(select(exists(ids_for([name])))).scalar():
                continue
            found.append(UnknownName(key, kind, name, _closest(conn, kind, name)))
    return found


def _closest(conn: Connection, kind: str, name: str) -> tuple[str, ...]:
    """(what a candidate is compared as, what to show for it) pairs, then the best matches."""
    pairs: list[tuple[str, str]] = []
    if kind == "analyst":
        for username, full in conn.execute(select(analysts.c.username, analysts.c.name)):
            shown = f"{username} ({full})" if full else username
            pairs += [(username, shown), (full or username, shown)]
    elif kind == "group":
        pairs = [(group, group) for group in conn.execute(select(groups.c.name)).scalars()]
    elif kind == "category":
        for path, own in conn.execute(select(categories.c.path, categories.c.name)):
            pairs += [(path, path), (own, path)]
    else:
        first = name[:1].lower()
        rows = conn.execute(select(requesters.c.email, requesters.c.name)
                            .where(or_(func.lower(requesters.c.email).like(f"{_like(first)}%", escape="\\"),
                                       func.lower(requesters.c.name).like(f"{_like(first)}%", escape="\\")))
                            .order_by(requesters.c.email).limit(REQUESTER_SAMPLE))
        for email, full in rows:
            pairs += [(email, email), (email.split("@")[0], email), (full or email, email)]
    return _best(name, pairs)


def _best(name: str, pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    typed = name.lower().rstrip("/")
    # Names that start with (or hold) what was typed first, then the most alike.
    scored: dict[str, float] = {}
    for candidate, shown in pairs:
        low = candidate.lower()
        if low.startswith(typed):
            score = 2.0
        elif typed and typed in low:
            score = 1.5
        else:
            # A typo in the first word(s) of a longer name: compare with as much of it.
            score = max(difflib.SequenceMatcher(None, typed, low).ratio(),
                        difflib.SequenceMatcher(None, typed, low[:len(typed)]).ratio() - 0.05)
            if score < 0.6:
                continue
        scored[shown] = max(score, scored.get(shown, 0.0))
    return tuple(sorted(scored, key=lambda shown: (-scored[shown], shown))[:CLOSEST])


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
