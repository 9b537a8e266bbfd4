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


# ------------------------------------------------ confident about something?

#: Share of a text's own weight (the inverse document frequencies of its terms)
#: that its best match must hold for a suggestion to be made (issue 15 item 13).
#: Chosen on the demo desk, where real tickets' best neighbours hold 0.8-1.0 of it,
#: and on a history of a few tickets per category (tests/reads/test_routing.py),
#: where they hold 0.46-0.77; nonsense held 0.04-0.33 ("florp sync wibble" 0.13,
#: "asdf test ticket" 0.22, "Something is wrong" 0.33).
SUGGESTION_FLOOR = 0.4

#: The same for articles: a ticket's chatty text (names, days, hosts) shares less with
#: an article than with other tickets. On the demo desk's last 300 tickets, the best
#: article of those holding under 0.2 was wrong but once (a docking station for a
#: replication alert, a laptop-speed article for a server's memory alert, a loan
#: laptop for a virtual machine); from 0.2 to 0.3 half fitted (password resets).
ARTICLE_FLOOR = 0.2

#: A further suggested article must score this share of the best one's BM25 (on the
#: demo, a VPN ticket's split-tunnelling article scored 0.385 of the best, a printer
#: article 0.36, a file-share one 0.31):
#: below it the match rests on words any article has ("works", "home", "stuck").
ARTICLE_SCORE_SHARE = 0.37


def weight_share(weights: Sequence, holder: int) -> float:
    """The share of a text's weight that ``holder`` holds: the summed ``idf`` of the
    terms whose ``holders`` include it over the summed ``idf`` of all the text's
    terms -- a BM25 score normalised by the text's score against itself, with the
    term frequencies left out. ``weights``: objects with ``idf`` and ``holders``."""
    total = sum(w.idf for w in weights)
    if total <= 0:
        return 0.0
    return sum(w.idf for w in weights if holder in w.holders) / total


def best_share(weights: Sequence, holders: Sequence[int]) -> float:
    """The largest :func:`weight_share` among ``holders`` (0 for none)."""
    return max((weight_share(weights, h) for h in holders), default=0.0)
