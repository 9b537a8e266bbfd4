"""How good a ranking is, against the relevant answers of each query (the
knowledge evaluator, ``deskui kb evaluate``): MRR@k and P@1 from the first
relevant result, nDCG@k with binary relevance (DCG over the ideal DCG of the
query's relevant items)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Collection, Sequence


@dataclass(frozen=True)
class RankScores:
    mrr: float  # mean of 1/rank of the first relevant result (0 when none in the first k)
    p1: float  # share of queries whose first result is relevant
    ndcg: float  # mean nDCG@k
    n: int  # queries


def rank_of(relevant: Collection[str], ranked: Sequence[str], k: int) -> int | None:
    """1-based position of the first relevant result in the first ``k`` of ``ranked``."""
    return next((i for i, item in enumerate(ranked[:k], start=1) if item in relevant), None)


def ndcg_at(relevant: Collection[str], ranked: Sequence[str], k: int) -> float:
    dcg = sum(1 / math.log2(i + 1) for i, item in enumerate(ranked[:k], start=1) if item in relevant)
    ideal = sum(1 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal if ideal else 0.0


def score_rankings(relevant: Sequence[Collection[str]], rankings: Sequence[Sequence[str]], k: int = 10) -> RankScores:
    pairs = list(zip(relevant, rankings, strict=True))
    n = len(pairs)
    if not n:
        return RankScores(0.0, 0.0, 0.0, 0)
    ranks = [rank_of(rel, ranked, k) for rel, ranked in pairs]
    return RankScores(
        mrr=sum(1 / r for r in ranks if r) / n,
        p1=sum(1 for r in ranks if r == 1) / n,
        ndcg=sum(ndcg_at(rel, ranked, k) for rel, ranked in pairs) / n,
        n=n,
    )
