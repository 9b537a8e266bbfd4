"""Search quality on the labelled set: MRR@10 and P@1, deskui's ranking beside a plain AND query.

    python bench/eval_kb.py                     # SQLite (a temporary file)
    python bench/eval_kb.py --pg postgresql://user@host/db   # also PostgreSQL (a scratch
                                                # database is created on that server and dropped)
    python bench/eval_kb.py --misses            # list the queries whose article is not first

Articles: sample_data/kb/*.md. Queries: sample_data/kb_eval.jsonl, one
``{"query": ..., "article": external id}`` per line, phrased the way users
write tickets. The baseline is what a plain full-text search does with the
same text: every word required (FTS5 implicit AND of the escaped words;
PostgreSQL ``plainto_tsquery``), ranked by the engine's default ``bm25`` /
``ts_rank_cd``. The set is split by line parity into two halves so a change
tuned on one half can be checked on the other.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KB_DIR = ROOT / "sample_data" / "kb"
EVAL_FILE = ROOT / "sample_data" / "kb_eval.jsonl"
K = 10


@dataclass(frozen=True)
class Case:
    line: int
    query: str
    article: str


@dataclass(frozen=True)
class Scores:
    mrr: float
    p1: float
    n: int


def load_cases(path: Path = EVAL_FILE) -> list[Case]:
    cases = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            cases.append(Case(line_no, row["query"], row["article"]))
    return cases


def load_articles(engine) -> int:
    from deskui.services.knowledge import import_path

    return import_path(engine, KB_DIR).read


def rank_ours(engine, query: str) -> list[str]:
    from deskui.store.db import session_scope
    from deskui.store.search import search_articles

    with session_scope(engine) as session:
        return [hit.external_id for hit in search_articles(session, query, limit=K)]


def rank_plain_and(engine, query: str) -> list[str]:
    """Every word required, engine default ranking: the floor to beat."""
    from deskui.store.search_baseline import raw_article_ranking

    with engine.connect() as conn:
        return raw_article_ranking(conn, query, mode="and", limit=K)


def rank_plain_or(engine, query: str) -> list[str]:
    """Every word optional (escaped, no stop list, no weights): shows what the rest adds."""
    from deskui.store.search_baseline import raw_article_ranking

    with engine.connect() as conn:
        return raw_article_ranking(conn, query, mode="or", limit=K)


def score(cases: list[Case], rankings: list[list[str]]) -> Scores:
    rr = p1 = 0.0
    for case, ranked in zip(cases, rankings):
        if case.article in ranked[:K]:
            position = ranked.index(case.article) + 1
            rr += 1.0 / position
            p1 += position == 1
    n = len(cases)
    return Scores(mrr=rr / n if n else 0.0, p1=p1 / n if n else 0.0, n=n)


@dataclass(frozen=True)
class Report:
    dialect: str
    ours: Scores
    baseline: Scores
    ours_halves: tuple[Scores, Scores]
    baseline_halves: tuple[Scores, Scores]
    plain_or: Scores
    misses: list[tuple[Case, list[str]]]


def evaluate(engine, cases: list[Case] | None = None) -> Report:
    """Rank every case with both methods on an engine whose articles are loaded."""
    cases = cases if cases is not None else load_cases()
    ours = [rank_ours(engine, c.query) for c in cases]
    base = [rank_plain_and(engine, c.query) for c in cases]
    odd = [i for i, c in enumerate(cases) if c.line % 2]
    even = [i for i, c in enumerate(cases) if not c.line % 2]

    def half(rankings, idx):
        return score([cases[i] for i in idx], [rankings[i] for i in idx])

    return Report(
        dialect=engine.dialect.name, ours=score(cases, ours), baseline=score(cases, base),
        ours_halves=(half(ours, odd), half(ours, even)), baseline_halves=(half(base, odd), half(base, even)),
        plain_or=score(cases, [rank_plain_or(engine, c.query) for c in cases]),
        misses=[(c, r) for c, r in zip(cases, ours) if not r or r[0] != c.article],
    )


def print_report(report: Report, *, misses: bool = False) -> None:
    print(f"\n{report.dialect}: {report.ours.n} queries, articles from {KB_DIR.relative_to(ROOT)}")
    print(f"{'ranking':<34}{'MRR@10':>8}{'P@1':>8}   {'odd lines MRR/P@1':>18}   {'even lines MRR/P@1':>18}")
    for name, total, halves in (("deskui (ranked OR, weighted bm25)", report.ours, report.ours_halves),
                                ("plain AND of all words (baseline)", report.baseline, report.baseline_halves)):
        print(f"{name:<34}{total.mrr:>8.3f}{total.p1:>8.3f}   "
              f"{halves[0].mrr:>10.3f}/{halves[0].p1:.3f}   {halves[1].mrr:>10.3f}/{halves[1].p1:.3f}")
    print(f"{'(reference) plain OR of all words':<34}{report.plain_or.mrr:>8.3f}{report.plain_or.p1:>8.3f}")
    if misses:
        print("\nnot first:")
        for case, ranked in report.misses:
            where = ranked.index(case.article) + 1 if case.article in ranked else "-"
            print(f"  {case.article} at {where}: {case.query!r} -> {ranked[:3]}")


def sqlite_engine(directory: Path):
    from deskui.store.db import make_engine, upgrade

    engine = make_engine(str(directory / "eval.db"))
    upgrade(engine)
    return engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="PostgreSQL server URL (a scratch database is created and dropped)")
    parser.add_argument("--misses", action="store_true", help="list queries whose article is not ranked first")
    args = parser.parse_args(argv)
    cases = load_cases()
    with tempfile.TemporaryDirectory() as tmp:
        engine = sqlite_engine(Path(tmp))
        load_articles(engine)
        print_report(evaluate(engine, cases), misses=args.misses)
        engine.dispose()
    if args.pg:
        from deskui.store.db import make_engine, upgrade

        admin = make_engine(args.pg)
        name = f"deskui_eval_{uuid.uuid4().hex[:8]}"
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            engine = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
            upgrade(engine)
            load_articles(engine)
            print_report(evaluate(engine, cases), misses=args.misses)
            engine.dispose()
        finally:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


if __name__ == "__main__":
    sys.exit(main())
