"""Storing and loading the routing classifier (``routing_models``, one row per
label: ``group`` and ``category``), and what tells a training it is stale.

A loaded model is kept in memory per database and training time, so a ticket
screen or a rule reads only the row's key columns after the first load. The
blob holds numeric arrays only and is read with ``allow_pickle=False``
(deskui.store.routing_model)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from deskui.store.routing_model import Classifier
from deskui.store.search_rank import SessionOrConnection

TARGETS = ("group", "category")

models = sa.table(
    "routing_models",
    sa.column("target", sa.String), sa.column("trained_at", sa.DateTime), sa.column("trained_on", sa.Integer),
    sa.column("labels", sa.Text), sa.column("arrays", sa.LargeBinary), sa.column("temperature", sa.Float),
    sa.column("min_confidence", sa.Float), sa.column("figures", sa.Text),
)
_tickets = sa.table("tickets", sa.column("status", sa.String), sa.column("group_id", sa.Integer))


@dataclass(frozen=True)
class ModelInfo:
    target: str
    trained_at: datetime
    trained_on: int
    labels: int
    min_confidence: float
    temperature: float
    figures: dict  # the held-out evaluation made at training time


_cache: dict[tuple, Classifier] = {}
_lock = threading.Lock()


def _db_key(session: SessionOrConnection) -> str:
    bind = session.get_bind() if hasattr(session, "get_bind") else session.engine
    return str(bind.url)


def save_model(session: SessionOrConnection, target: str, model: Classifier, *, trained_at: datetime,
               trained_on: int, figures: dict) -> None:
    """Replace the stored model for ``target`` (in the caller's write transaction)."""
    session.execute(sa.delete(models).where(models.c.target == target))
    session.execute(sa.insert(models).values(
        target=target, trained_at=trained_at, trained_on=trained_on, labels=json.dumps(list(model.labels)),
        arrays=model.to_bytes(), temperature=model.temperature, min_confidence=model.min_confidence,
        figures=json.dumps(figures, sort_keys=True)))


def delete_models(session: SessionOrConnection) -> int:
    return session.execute(sa.delete(models)).rowcount or 0


def load_model(session: SessionOrConnection, target: str) -> Classifier | None:
    """The stored model for ``target``, or None when none was trained."""
    row = session.execute(sa.select(models.c.trained_at, models.c.temperature, models.c.min_confidence)
                          .where(models.c.target == target)).first()
    if row is None:
        return None
    key = (_db_key(session), target, row.trained_at, row.temperature, row.min_confidence)
    with _lock:
        got = _cache.get(key)
    if got is not None:
        return got
    full = session.execute(sa.select(models.c.labels, models.c.arrays).where(models.c.target == target,
                                                                            models.c.trained_at == row.trained_at)
                           ).first()
    if full is None:  # replaced between the two reads: the next call loads the new one
        return None
    model = Classifier.from_bytes(bytes(full.arrays), json.loads(full.labels), temperature=row.temperature,
                                  min_confidence=row.min_confidence)
    with _lock:
        for stale in [k for k in _cache if k[:2] == key[:2]]:
            del _cache[stale]
        _cache[key] = model
    return model


def model_infos(session: SessionOrConnection) -> list[ModelInfo]:
    rows = session.execute(sa.select(models.c.target, models.c.trained_at, models.c.trained_on, models.c.labels,
                                     models.c.min_confidence, models.c.temperature, models.c.figures)
                           .order_by(models.c.target)).all()
    return [ModelInfo(r.target, r.trained_at, int(r.trained_on), len(json.loads(r.labels)), float(r.min_confidence),
                      float(r.temperature), json.loads(r.figures or "{}")) for r in rows]


def set_min_confidence(session: SessionOrConnection, value: float) -> int:
    """Change the threshold of the stored models without retraining; how many rows."""
    return session.execute(sa.update(models).values(min_confidence=value)).rowcount or 0


def resolved_count(session: SessionOrConnection) -> int:
    """Resolved (or closed) tickets with a group: what a training learns from. A model
    trained on noticeably fewer is stale (``deskui route train --if-stale``)."""
    stmt = sa.select(sa.func.count()).where(_tickets.c.status.in_(("resolved", "closed")),
                                            _tickets.c.group_id.is_not(None))
    return int(session.execute(stmt).scalar_one())
