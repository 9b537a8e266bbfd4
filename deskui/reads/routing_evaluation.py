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
from deskui.store.routing_queries import K, label_counts, suggest_in

DEFAULT_SAMPLE = 2000  # held-out tickets scored, at most (the oldest first)


@dataclass(frozen=True)
class Accuracy:
    top1: float | None
    top3: float | None  # None where a method gives one answer only


@dataclass(frozen=True)
class LabelScores:
    deskui: Accuracy
    majority: Accuracy
    knn: Accuracy


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
             k: int = K) -> RoutingEvaluation:
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

    def scores(field: str, frequencies, pick_ours, knn_index: int) -> LabelScores:
        truth = [getattr(t, field) for t in tests]
        top = [label for label, _n in frequencies[:3]]
        return LabelScores(
            deskui=_accuracy(truth, [pick_ours(s) for s in ours]),
            majority=_accuracy(truth, [top] * len(truth)),
            knn=_accuracy(truth, [[pair[knn_index]] for pair in knn], top3=False),
        )

    groups = scores("group_id", trained_groups, lambda s: [g.id for g in s.groups], 0)
    categories = scores("category_id", trained_categories, lambda s: [c.id for c in s.categories], 1)
    recall = _recall(tests, ours, dict(trained_groups), names)
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


def _recall(tests, ours, trained: dict, names: dict) -> list[GroupRecall]:
    held: Counter = Counter(t.group_id for t in tests)
    right: dict = defaultdict(int)
    for t, s in zip(tests, ours):
        if s.groups and s.groups[0].id == t.group_id:
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
