"""`deskui kb evaluate FILE`: how well the knowledge search finds the expected
article for each query of a labelled file, beside the raw full-text ranking.

The file is JSON Lines, one query per line: ``{"query": "...", "article": "KB0001"}``
(the external id of the one right article) or ``{"query": "...", "expected": [ids]}``
(any of them is right). Bad lines are refused with file:line and field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from deskui.domain.ranking import RankScores, rank_of, score_rankings
from deskui.errors import ValidationError
from deskui.store.db import session_scope
from deskui.store.search import search_articles
from deskui.store.search_baseline import published_article_ids, raw_article_ranking

K = 10
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class EvalCase:
    line: int
    query: str
    expected: frozenset[str]

    @property
    def article(self) -> str:
        return ", ".join(sorted(self.expected))


@dataclass(frozen=True)
class Miss:
    case: EvalCase
    rank: int | None  # where deskui put the expected article (None: not in the first K)
    first: tuple[str, ...]  # deskui's first three


@dataclass(frozen=True)
class KbEvaluation:
    cases: int
    deskui: RankScores
    raw_or: RankScores  # the engine's ranking, any word
    raw_and: RankScores  # the engine's ranking, every word
    unknown_articles: tuple[str, ...]  # expected ids the desk does not have (published)
    misses: tuple[Miss, ...]


def load_cases(path: Path) -> list[EvalCase]:
    if not path.is_file():
        raise ValidationError(f"{path}: not a file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValidationError(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise ValidationError(f"{path}:{number}: expected an object with query and article")
        if not isinstance(row.get("query"), str) or not row["query"].strip():
            raise ValidationError(f"{path}:{number}: query: a non-empty string is required")
        expected = row.get("expected", [row["article"]] if "article" in row else None)
        if (not isinstance(expected, list) or not expected
                or not all(isinstance(e, str) and e.strip() for e in expected)):
            raise ValidationError(f"{path}:{number}: article: a non-empty string (or expected: a list of ids) "
                                  "is required")
        cases.append(EvalCase(number, row["query"], frozenset(e.strip() for e in expected)))
    if not cases:
        raise ValidationError(f"{path}: no queries")
    return cases


def evaluate_file(engine: Engine, path: Path) -> KbEvaluation:
    cases = load_cases(path)
    expected = [c.expected for c in cases]
    with session_scope(engine) as session:
        ours = [[hit.external_id for hit in search_articles(session, c.query, limit=K)] for c in cases]
    with engine.connect() as conn:
        raw_or = [raw_article_ranking(conn, c.query, mode="or", limit=K) for c in cases]
        raw_and = [raw_article_ranking(conn, c.query, mode="and", limit=K) for c in cases]
        known = published_article_ids(conn)
    misses = tuple(Miss(c, rank_of(c.expected, r, K), tuple(r[:3])) for c, r in zip(cases, ours)
                   if not r or r[0] not in c.expected)
    wanted = set().union(*expected)
    return KbEvaluation(len(cases), score_rankings(expected, ours, K), score_rankings(expected, raw_or, K),
                        score_rankings(expected, raw_and, K), tuple(sorted(wanted - known)), misses)
