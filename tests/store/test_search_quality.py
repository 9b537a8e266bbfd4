"""Search quality on the labelled set (sample_data/kb_eval.jsonl), on SQLite and PostgreSQL.

The figures come from bench/eval_kb.py (run it to see them). This test keeps
the ranking honest: it must beat a plain full-text query of all the words
(and a plain OR of them), and put the right article first for a fair share
of the queries.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EVAL_SCRIPT = ROOT / "bench" / "eval_kb.py"

P_AT_1_FLOOR = 0.70
MRR_FLOOR = 0.75


def load_eval_module():
    if "deskui_bench_eval_kb" in sys.modules:
        return sys.modules["deskui_bench_eval_kb"]
    spec = importlib.util.spec_from_file_location("deskui_bench_eval_kb", EVAL_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def eval_kb():
    module = load_eval_module()
    if not module.EVAL_FILE.exists() or not module.KB_DIR.is_dir():
        pytest.skip("sample_data/kb or sample_data/kb_eval.jsonl missing")
    return module


def test_ranking_beats_plain_queries(engine, eval_kb):
    eval_kb.load_articles(engine)
    cases = eval_kb.load_cases()
    assert len(cases) >= 40
    report = eval_kb.evaluate(engine, cases)
    assert report.ours.mrr > report.baseline.mrr + 0.2, report
    assert report.ours.p1 > report.baseline.p1, report
    assert report.ours.mrr > report.plain_or.mrr, report
    assert report.ours.p1 >= P_AT_1_FLOOR, report
    assert report.ours.mrr >= MRR_FLOOR, report


def test_score_counts_positions():
    module = load_eval_module()
    cases = [module.Case(1, "q", "A"), module.Case(2, "q", "B"), module.Case(3, "q", "C")]
    scores = module.score(cases, [["A", "X"], ["X", "B"], ["X"] * 10 + ["C"]])
    assert scores.p1 == pytest.approx(1 / 3)
    assert scores.mrr == pytest.approx((1 + 0.5 + 0) / 3)
