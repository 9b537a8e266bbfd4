"""`deskui route train`: learn the routing classifier from the desk's resolved
tickets (issue 16.2), one model for the group and one for the category.

Each model is first learnt without a held-out share of the tickets (the same
split as `deskui route evaluate`), which fits the confidence temperature and
gives the figures stored beside it (top-1, top-3, and how many suggestions clear
the threshold and how often those are right); then it is learnt again from every
resolved ticket and stored.

Reading the tickets and learning run outside any write transaction: only the
final replacement of the stored rows takes the write lock, for milliseconds, so
training never holds up a ticket write. ``if_stale`` trains only when no model
exists yet or at least ``stale_after`` resolved tickets were added since the last
training (for cron: ``deskui route train --if-stale``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from deskui import clock
from deskui.errors import ValidationError
from deskui.store.db import session_scope, write_session
from deskui.store.routing_holdout import Holdout, labelled_tickets
from deskui.store.routing_model import DEFAULT_MIN_CONFIDENCE
from deskui.store.routing_model_queries import model_infos, resolved_count, save_model, set_min_confidence

STALE_AFTER = 200
MIN_TICKETS = 30  # resolved tickets with that label, at least


@dataclass(frozen=True)
class TrainedModel:
    target: str
    labels: int
    trained_on: int
    held_out: int
    top1: float | None
    top3: float | None
    temperature: float
    min_confidence: float
    coverage: float | None
    precision: float | None


@dataclass(frozen=True)
class TrainOutcome:
    models: tuple[TrainedModel, ...] = ()
    skipped: tuple[str, ...] = field(default_factory=tuple)  # why a model was not (re)trained
    seconds: float = 0.0


def _check_confidence(value: float | None) -> None:
    if value is not None and not 0 <= value < 1:
        raise ValidationError(f"--min-confidence: {value} is not between 0 and 1 (e.g. 0.3)")


def is_stale(engine: Engine, *, stale_after: int = STALE_AFTER) -> tuple[bool, str]:
    with session_scope(engine) as session:
        infos = model_infos(session)
        count = resolved_count(session)
    if not infos:
        return True, "no trained model yet"
    added = count - min(i.trained_on for i in infos)
    if added >= stale_after:
        return True, f"{added} resolved tickets since the last training"
    return False, f"up to date: {added} resolved tickets since the last training (retrains at {stale_after})"


def train(engine: Engine, *, min_confidence: float | None = None, holdout: float = 0.2, seed: int = 7,
          if_stale: bool = False, stale_after: int = STALE_AFTER) -> TrainOutcome:
    from deskui.store.routing_model import fit, fit_scored

    _check_confidence(min_confidence)
    if not 0 < holdout < 1:
        raise ValidationError(f"--holdout: {holdout} is not between 0 and 1 (e.g. 0.2)")
    started = time.perf_counter()
    if if_stale:
        stale, why = is_stale(engine, stale_after=stale_after)
        if not stale:
            return TrainOutcome(skipped=(why,), seconds=time.perf_counter() - started)
    split = Holdout(seed, holdout)
    with session_scope(engine) as session:
        tickets = labelled_tickets(session, None, held_out=None)
        previous = {i.target: i.min_confidence for i in model_infos(session)}
    trained, skipped, stored = [], [], []
    for target, attr in (("group", "group_id"), ("category", "category_id")):
        rows = [(t.id, t.text, getattr(t, attr)) for t in tickets if getattr(t, attr) is not None]
        if len(rows) < MIN_TICKETS or len({y for _i, _t, y in rows}) < 2:
            skipped.append(f"{target}: {len(rows)} resolved tickets with a {target}; training needs "
                           f"{MIN_TICKETS} and two different values")
            continue
        threshold = min_confidence if min_confidence is not None else previous.get(target, DEFAULT_MIN_CONFIDENCE)
        learn = [(text, y) for i, text, y in rows if not split.holds(i)]
        test = [(text, y) for i, text, y in rows if split.holds(i)]
        scored, score, _top = fit_scored(learn, test, min_confidence=threshold)
        final = fit([text for _i, text, _y in rows], [y for _i, _t, y in rows])
        from dataclasses import replace

        final = replace(final, temperature=scored.temperature, min_confidence=threshold)
        figures = {"held_out": score.held_out, "top1": score.top1, "top3": score.top3, "coverage": score.coverage,
                   "precision": score.precision, "holdout": holdout, "seed": seed}
        stored.append((target, final, len(rows), figures))
        trained.append(TrainedModel(target, len(final.labels), len(rows), score.held_out, score.top1, score.top3,
                                    scored.temperature, threshold, score.coverage, score.precision))
    if stored:
        now = clock.now()
        with write_session(engine) as session:
            for target, model, n, figures in stored:
                save_model(session, target, model, trained_at=now, trained_on=n, figures=figures)
    return TrainOutcome(tuple(trained), tuple(skipped), time.perf_counter() - started)


def set_threshold(engine: Engine, min_confidence: float) -> int:
    """Set the stored models' confidence threshold (no retraining)."""
    _check_confidence(min_confidence)
    with write_session(engine) as session:
        return set_min_confidence(session, min_confidence)
