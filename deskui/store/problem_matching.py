"""Recurrence to problems: candidate problems and known-error matches.

:func:`candidates` groups unlinked incidents of a window that share a
recurrence key (configuration item, else requester and category, as DESIGN.md
§2) or have near-identical subjects (the same set of content words, see
:func:`text_signature`), ranked by count and recent growth.
:func:`known_errors_for` tells which known errors an incident matches (the
same CI as one of their incidents, or a near-identical subject).

Reads only, over a session the caller opened; frozen dataclasses out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Sequence

from sqlmodel import Session

from deskui.errors import ValidationError
from deskui.store import problem_queries as q
from deskui.store.problem_queries import problem_ref
from deskui.store.records import TicketRecord
from deskui.store.search_query import parse_query
from deskui.store.tickets import ticket_records

#: Default recurrence window (DESIGN.md §2) and the span "recent growth" compares.
WINDOW = timedelta(days=30)
RECENT = timedelta(days=7)
#: Jaccard similarity of subject signatures at which a new incident "matches" a known error.
MATCH_THRESHOLD = 0.6


def _stem(token: str) -> str:
    # Light plural folding so "printers" and "printer" agree; the FTS stemmer does more
    # but lives in the database.
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def text_signature(text: str) -> frozenset[str]:
    """The content words of a subject: folded, stop words dropped, plurals folded.
    Two subjects are near-identical when their signatures are equal."""
    parsed = parse_query(text.replace('"', " "))
    return frozenset(_stem("".join(term.tokens)) for term in parsed.words)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Candidate:
    """A group of unlinked incidents that looks like one problem."""

    kind: str  # "ci" | "requester+category" | "text"
    key: str  # what they share, for people: "ci vpn-gw-lon-01", "Ana Ruiz / Network/VPN", "text: vpn drop"
    ticket_ids: tuple[int, ...]
    count: int
    recent: int  # opened in the last 7 days
    previous: int  # opened in the 7 days before
    first_at: datetime
    last_at: datetime
    subject: str  # a representative subject (the latest)

    @property
    def growth(self) -> int:
        return self.recent - self.previous


def candidates(session: Session, now: datetime, *, window: timedelta = WINDOW, min_count: int = 3,
               limit: int = 20) -> list[Candidate]:
    """Candidate problems, ranked by count then recent growth, among incidents of the
    window with no problem yet."""
    if min_count < 2:
        raise ValidationError(f"min_count: {min_count} must be at least 2")
    since, recent_since = now - window, now - RECENT
    previous_since = recent_since - RECENT
    found: list[Candidate] = []
    groups = q.recurrence_key_groups(session, since=since, recent_since=recent_since, previous_since=previous_since,
                                     min_count=min_count, limit=limit)
    people, cats = q.names_for(session, [g.requester_id for g in groups if g.requester_id],
                               [g.category_id for g in groups if g.category_id])
    key_sets: list[frozenset[int]] = []
    for g in groups:
        ids = tuple(q.key_group_ticket_ids(session, g, since))
        key_sets.append(frozenset(ids))
        label = (f"ci {g.ci}" if g.kind == "ci"
                 else f"{people.get(g.requester_id, '?')} / {cats.get(g.category_id, '?')}")
        found.append(Candidate(g.kind, label, ids, len(ids), g.recent, g.previous, g.first_at, g.last_at, ""))
    # Near-identical subjects, grouped by signature in one streamed pass.
    by_signature: dict[frozenset[str], list[tuple[int, str, datetime]]] = {}
    for ticket_id, subject, created in q.unlinked_subjects(session, since):
        signature = text_signature(subject)
        if len(signature) >= 2:
            by_signature.setdefault(signature, []).append((ticket_id, subject, created))
    for signature, rows in by_signature.items():
        ids = frozenset(r[0] for r in rows)
        if len(rows) < min_count or any(ids <= key_ids for key_ids in key_sets):
            continue  # a key group already proposes these incidents
        created = [r[2] for r in rows]
        found.append(Candidate(
            "text", "text: " + " ".join(sorted(signature)), tuple(sorted(ids)), len(rows),
            sum(c >= recent_since for c in created), sum(previous_since <= c < recent_since for c in created),
            min(created), max(created), max(rows, key=lambda r: (r[2], r[0]))[1],
        ))
    # A representative subject for the key groups.
    subjects = {r.id: r.subject for r in ticket_records(session, [c.ticket_ids[-1] for c in found if not c.subject])}
    ranked = [c if c.subject else replace(c, subject=subjects.get(c.ticket_ids[-1], "")) for c in found]
    ranked.sort(key=lambda c: (-c.count, -c.growth, -c.last_at.timestamp(), c.key))
    return ranked[:limit]


@dataclass(frozen=True)
class KnownErrorMatch:
    problem_id: int
    title: str
    workaround: str
    reason: str  # "same configuration item vpn-gw-lon-01" | "subject like #123 ..."
    score: float

    @property
    def ref(self) -> str:
        return problem_ref(self.problem_id)


def known_errors_for(session: Session, ticket: TicketRecord) -> list[KnownErrorMatch]:
    """Known errors an incident matches, best first (none once it is linked to a problem)."""
    if ticket.problem_id is not None or ticket.type != "incident":
        return []
    return match_known_errors(ticket.subject, ticket.ci, q.known_error_texts(session))


def match_known_errors(subject: str, ci: str, texts: Sequence[q.KnownErrorText]) -> list[KnownErrorMatch]:
    signature = text_signature(subject)
    matches: list[KnownErrorMatch] = []
    for known in texts:
        if ci and ci in known.cis:
            matches.append(KnownErrorMatch(known.problem_id, known.title, known.workaround,
                                           f"same configuration item {ci}", 1.0))
            continue
        best, best_subject = 0.0, ""
        for other in known.subjects:
            score = similarity(signature, text_signature(other))
            if score > best:
                best, best_subject = score, other
        if best >= MATCH_THRESHOLD:
            matches.append(KnownErrorMatch(known.problem_id, known.title, known.workaround,
                                           f"subject like {best_subject!r}", best))
    matches.sort(key=lambda m: (-m.score, m.problem_id))
    return matches
