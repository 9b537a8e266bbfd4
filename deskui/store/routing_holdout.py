"""What a routing evaluation reads: a reproducible held-out split of the resolved
tickets decided in SQL (no list of ids to send), the labelled tickets of it, and
the plain nearest-neighbour baseline (the engine's own full-text ranking of the
escaped words, a majority vote of the nearest ``k``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from deskui.store.search_rank import PG_CONFIG, SessionOrConnection, dialect_of
from deskui.store.tables import groups, tickets

_MIX = 2654435761  # Knuth's multiplicative hash: spreads consecutive ids over the buckets
_BUCKETS = 1000
_RESOLVED = ("resolved", "closed")

_t = tickets


@dataclass(frozen=True)
class Holdout:
    """Tickets whose (id x MIX + seed) mod 1000 falls under ``share`` x 1000 are held out."""

    seed: int
    share: float

    def _bucket(self, id_column) -> sa.ColumnElement:
        return (sa.cast(id_column, sa.BigInteger) * _MIX + self.seed) % _BUCKETS

    @property
    def cut(self) -> int:
        return int(self.share * _BUCKETS)

    def excludes(self, id_column) -> sa.ColumnElement[bool]:
        """The condition that keeps held-out tickets out of the neighbours."""
        return self._bucket(id_column) >= self.cut

    def holds(self, ticket_id: int) -> bool:
        return (ticket_id * _MIX + self.seed) % _BUCKETS < self.cut


@dataclass(frozen=True)
class LabelledTicket:
    id: int
    text: str
    category_id: int | None
    group_id: int | None


def labelled_tickets(session: SessionOrConnection, holdout: Holdout | None, *, held_out: bool | None,
                     limit: int | None = None) -> list[LabelledTicket]:
    """Resolved tickets with a group, in the held-out part or the rest (every one for
    ``held_out=None``), by id."""
    stmt = (sa.select(_t.c.id, _t.c.subject, sa.func.substr(_t.c.description, 1, 2000), _t.c.category_id,
                      _t.c.group_id)
            .where(_t.c.status.in_(_RESOLVED), _t.c.group_id.is_not(None))
            .order_by(_t.c.id))
    if holdout is not None and held_out is not None:
        keep = holdout.excludes(_t.c.id)
        stmt = stmt.where(sa.not_(keep) if held_out else keep)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [LabelledTicket(r[0], f"{r[1]}\n{r[2] or ''}", r[3], r[4]) for r in session.execute(stmt)]


def raw_knn_labels(session: SessionOrConnection, text: str, holdout: Holdout, *, k: int = 5) -> tuple:
    """(group id, category id) by a plain majority vote of the ``k`` nearest resolved
    tickets outside the holdout, by the engine's own ranking of the escaped words
    (no stop list, no field weights); ties go to the nearer neighbour."""
    words = [w for w in text.split() if any(ch.isalnum() for ch in w)][:64]
    if not words:
        return None, None
    conditions = [_t.c.status.in_(_RESOLVED), holdout.excludes(_t.c.id)]
    if dialect_of(session) == "postgresql":
        tsquery = f"CAST(replace(plainto_tsquery('{PG_CONFIG}', :q)::text, '&', '|') AS tsquery)"
        rows = session.execute(sa.text(
            f"SELECT t.group_id, t.category_id FROM tickets t, {tsquery} q WHERE t.search_vector @@ q "
            f"AND t.status IN ('resolved', 'closed') AND (CAST(t.id AS BIGINT) * {_MIX} + :seed) % {_BUCKETS} >= :cut "
            "ORDER BY ts_rank_cd(t.search_vector, q) DESC, t.id DESC LIMIT :k"),
            {"q": " ".join(words), "seed": holdout.seed, "cut": holdout.cut, "k": k}).all()
        return _majority([r[0] for r in rows]), _majority([r[1] for r in rows])
    fts = sa.table("tickets_fts", sa.column("rowid", sa.Integer))
    name = sa.literal_column("tickets_fts")
    match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
    stmt = (sa.select(_t.c.group_id, _t.c.category_id).select_from(fts.join(_t, _t.c.id == fts.c.rowid))
            .where(name.op("MATCH")(match), *conditions)
            .order_by(sa.literal_column("rank"), _t.c.id.desc()).limit(k))
    rows = session.execute(stmt).all()
    return _majority([r[0] for r in rows]), _majority([r[1] for r in rows])


def _majority(labels: list) -> int | None:
    counts = Counter(label for label in labels if label is not None)
    if not counts:
        return None
    best = max(counts.values())
    return next(label for label in labels if label is not None and counts[label] == best)


def group_names(session: SessionOrConnection) -> dict[int, str]:
    return dict(session.execute(sa.select(groups.c.id, groups.c.name)).all())
