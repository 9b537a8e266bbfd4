"""`deskui route evaluate`: how often the routing suggestion is right, on a
held-out part of the desk's own resolved tickets, beside the two baselines a
lead should compare it with (the most frequent label; a plain five-neighbour
vote over the raw full-text ranking), with the recall of the largest and the
smallest groups (a router that swallows small groups shows it there)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Sequence

from sqlalchemy.engine import Engine

from deskui.errors import ValidationError
from deskui.store.db import session_scope
from deskui.store.routing_holdout import Holdout, group_names, labelled_tickets, raw_knn_labels
from deskui.store.routing_model import DEFAULT_MIN_CONFIDENCE
from deskui.store.routing_model_queries import model_infos
from deskui.store.routing_queries import K, label_counts, suggest_in

DEFAULT_SAMPLE = 2000  # held-out tickets scored, at most (the oldest first)


@dataclass(frozen=True)
class Accuracy:
    top1: float | None
    top3: float | None  # None where a method gives one answer only


@dataclass(frozen=True)
class ModelScores:
    """The trained classifier (learnt here without the held-out tickets)."""

    accuracy: Accuracy
    min_confidence: float
    coverage: float | None  # share of held-out tickets given a suggestion (confidence >= min_confidence)
    precision: float | None  # top-1 accuracy among those


@dataclass(frozen=True)
class LabelScores:
    deskui: Accuracy  # the weighted nearest-neighbour vote
    majority: Accuracy
    knn: Accuracy
    model: ModelScores | None = None  # None: too few labelled tickets to learn from


@dataclass(frozen=True)
class GroupRecall:
    name: str
    held_out: int  # its tickets in the evaluation
    trained: int  # its tickets the suggestions could learn from
    recall: float | None  # share of its held-out tickets whose top-1 group was right


@dataclass(frozen=True)
class RoutingEvaluation:
    holdout: float
    seed: int
    evaluated: int
    trained: int
    groups: LabelScores
    categories: LabelScores
    largest: tuple[GroupRecall, ...]
    smallest: tuple[GroupRecall, ...]


def evaluate(engine: Engine, *, holdout: float = 0.2, seed: int = 7, sample: int = DEFAULT_SAMPLE,
             k: int = K, with_model: bool = True) -> RoutingEvaluation:
    if not 0 < holdout < 1:
        raise ValidationError(f"--holdout: {holdout} is not between 0 and 1 (e.g. 0.2)")
    split = Holdout(seed, holdout)
    with session_scope(engine) as session:
        tests = labelled_tickets(session, split, held_out=True, limit=sample)
        if not tests:
            raise ValidationError("route evaluate: no resolved tickets with a group to hold out; "
                                  "resolve some tickets first (or lower --holdout)")
        trained_groups = label_counts(session, "group_id", holdout=split)
        trained_categories = label_counts(session, "category_id", holdout=split)
        ours = [suggest_in(session, t.text, k=k, holdout=split) for t in tests]
        knn = [raw_knn_labels(session, t.text, split) for t in tests]
        names = group_names(session)
        learn = labelled_tickets(session, split, held_out=False) if with_model else []
        thresholds = {i.target: i.min_confidence for i in model_infos(session)}
    models = {target: _model_scores(learn, tests, attr, thresholds.get(target, DEFAULT_MIN_CONFIDENCE))
              for target, attr in (("group", "group_id"), ("category", "category_id"))} if with_model else {}

    def scores(field: str, frequencies, pick_ours, knn_index: int, model) -> LabelScores:
        truth = [getattr(t, field) for t in tests]
        top = [label for label, _n in frequencies[:3]]
        return LabelScores(
            deskui=_accuracy(truth, [pick_ours(s) for s in ours]),
            majority=_accuracy(truth, [top] * len(truth)),
            knn=_accuracy(truth, [[pair[knn_index]] for pair in knn], top3=False),
            model=model[0] if model else None,
        )

    group_model, category_model = models.get("group"), models.get("category")
    groups = scores("group_id", trained_groups, lambda s: [g.id for g in s.groups], 0, group_model)
    categories = scores("category_id", trained_categories, lambda s: [c.id for c in s.categories], 1, category_model)
    # The recall of the suggestion a desk sees: the model's when one can be learnt.
    firsts = ([top[:1] for top in group_model[1]] if group_model
              else [[s.groups[0].id] if s.groups else [] for s in ours])
    recall = _recall(tests, firsts, dict(trained_groups), names)
    ranked = sorted(recall, key=lambda r: (-r.held_out, r.name))
    return RoutingEvaluation(holdout, seed, len(tests), sum(n for _g, n in trained_groups), groups, categories,
                             tuple(ranked[:10]), tuple(sorted(ranked[10:], key=lambda r: (r.held_out, r.name))[:10]))


def _accuracy(truth: list, guesses: list[list], *, top3: bool = True) -> Accuracy:
    counted = [(t, g) for t, g in zip(truth, guesses) if t is not None]
    if not counted:
        return Accuracy(None, None)
    first = sum(1 for t, g in counted if g[:1] == [t]) / len(counted)
    three = sum(1 for t, g in counted if t in g[:3]) / len(counted) if top3 else None
    return Accuracy(first, three)


def _model_scores(learn, tests, attr: str, threshold: float) -> tuple[ModelScores, list[list[int]]] | None:
    """The classifier learnt from ``learn`` scored on ``tests`` (every test ticket
    counts: one without the label in the learnt ones is a miss)."""
    from deskui.store.routing_model import fit_scored

    train = [(t.text, getattr(t, attr)) for t in learn if getattr(t, attr) is not None]
    if len(train) < 2 or len({y for _t, y in train}) < 2:
        return None
    index = [i for i, t in enumerate(tests) if getattr(t, attr) is not None]
    _model, score, top = fit_scored(train, [(tests[i].text, getattr(tests[i], attr)) for i in index],
                                    min_confidence=threshold)
    by_test: list[list[int]] = [[] for _ in tests]
    for i, ranked in zip(index, top):
        by_test[i] = ranked
    return ModelScores(Accuracy(score.top1, score.top3), threshold, score.coverage, score.precision), by_test


def _recall(tests, firsts: list[list[int]], trained: dict, names: dict) -> list[GroupRecall]:
    held: Counter = Counter(t.group_id for t in tests)
    right: dict = defaultdict(int)
    for t, first in zip(tests, firsts):
        if first[:1] == [t.group_id]:
            right[t.group_id] += 1
    return [GroupRecall(names.get(g, f"#{g}"), n, trained.get(g, 0), right[g] / n if n else None)
            for g, n in held.items()]


# ------------------------------------------------------------------ a time split (bench/bench_routing.py)


@dataclass(frozen=True)
class LabelledCase:
    text: str
    category_id: int | None
    group_id: int | None


@dataclass(frozen=True)
class CaseAccuracy:
    label: str  # "category" | "group"
    cases: int
    top1: float
    top3: float
    baseline_top1: float  # always answering the most frequent label of the history
    baseline_top3: float  # the three most frequent


def evaluate_cases(engine: Engine, cases: Sequence[LabelledCase], *, before_id: int | None = None,
                   k: int = K) -> dict[str, CaseAccuracy]:
    """Top-1/top-3 accuracy of the suggestions on ``cases`` (held out: only tickets with
    id < ``before_id`` are neighbours and count for the baseline)."""
    hits = {"category": [0, 0], "group": [0, 0]}
    base = {"category": [0, 0], "group": [0, 0]}
    scored = {"category": 0, "group": 0}
    with session_scope(engine) as session:
        majority = {
            "category": [v for v, _ in label_counts(session, "category_id", before_id=before_id)[:3]],
            "group": [v for v, _ in label_counts(session, "group_id", before_id=before_id)[:3]],
        }
        for case in cases:
            result = suggest_in(session, case.text, k=k, before_id=before_id)
            for label, truth, ranked in (("category", case.category_id, result.categories),
                                         ("group", case.group_id, result.groups)):
                if truth is None:
                    continue
                scored[label] += 1
                ids = [s.id for s in ranked]
                hits[label][0] += ids[:1] == [truth]
                hits[label][1] += truth in ids[:3]
                base[label][0] += majority[label][:1] == [truth]
                base[label][1] += truth in majority[label][:3]
    return {
        label: CaseAccuracy(label, scored[label], *(x / max(scored[label], 1) for x in (*hits[label], *base[label])))
        for label in ("category", "group")
    }
