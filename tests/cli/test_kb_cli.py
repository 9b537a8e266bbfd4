"""`deskui kb ...` through Typer's runner against a real SQLite file."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from deskui.cli.main import app
from deskui.store.search import MARK_END, MARK_START

ARTICLES = [
    {"id": "KB1", "title": "Connect to the corporate VPN", "tags": ["vpn"], "category": "Network/VPN",
     "body": "Open GlobalProtect and sign in. If the connection fails, check the internet first."},
    {"id": "KB2", "title": "Printer shows offline", "tags": "printer, printing", "category": "Printing",
     "body": "Restart the print spooler. A VPN is not needed for printing."},
    {"id": "KB3", "title": "[bold red]Markup[/] in a title", "tags": [], "category": "",
     "body": "Shown as typed, never interpreted: vpn"},
]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def db(sqlite_engine, tmp_path):
    url = sqlite_engine.url.render_as_string(hide_password=False)
    sqlite_engine.dispose()
    source = tmp_path / "kb.jsonl"
    source.write_text("".join(json.dumps(a) + "\n" for a in ARTICLES), encoding="utf-8")
    return url, source


def run(runner, url, *args):
    return runner.invoke(app, ["--db", url, "kb", *args])


def test_import_is_idempotent(runner, db):
    url, source = db
    first = run(runner, url, "import", str(source))
    assert first.exit_code == 0, first.output
    assert "3 read: 3 created, 0 updated, 0 unchanged" in first.stdout
    again = run(runner, url, "import", str(source))
    assert "3 read: 0 created, 0 updated, 3 unchanged" in again.stdout


def test_search_json_is_stable_best_first_and_plain(runner, db):
    url, source = db
    run(runner, url, "import", str(source))
    result = run(runner, url, "search", "vpn connection keeps failing", "--format", "json", "--limit", "5")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["external_id"] == "KB1"
    assert {"id", "external_id", "title", "score", "snippet"} <= set(rows[0])
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(MARK_START not in r["snippet"] and MARK_END not in r["snippet"] for r in rows)
    assert "connection" in rows[0]["snippet"]
    limited = json.loads(run(runner, url, "search", "vpn", "-f", "json", "-n", "1").stdout)
    assert len(limited) == 1


def test_search_table_shows_untrusted_text_as_typed(runner, db):
    url, source = db
    run(runner, url, "import", str(source))
    result = run(runner, url, "search", "markup title")
    assert result.exit_code == 0, result.output
    assert "[bold red]Markup[/]" in result.stdout
    nothing = run(runner, url, "search", "zzzzqqq")
    assert nothing.exit_code == 0 and "no articles found" in nothing.output


def test_export_then_reindex(runner, db, tmp_path):
    url, source = db
    run(runner, url, "import", str(source))
    out = tmp_path / "export"
    result = run(runner, url, "export", str(out))
    assert result.exit_code == 0 and "3 articles written" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["KB1.md", "KB2.md", "KB3.md"]
    assert "3 read: 0 created, 0 updated, 3 unchanged" in run(runner, url, "import", str(out)).stdout
    reindexed = run(runner, url, "reindex")
    assert reindexed.exit_code == 0 and "reindexed 3 articles and 0 tickets" in reindexed.stdout


def test_user_mistakes_are_one_line_errors(runner, db, tmp_path):
    url, _ = db
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "A", "title": "T", "status": "live"}\n', encoding="utf-8")
    result = run(runner, url, "import", str(bad))
    assert result.exit_code == 1
    assert result.stderr.strip() == f"deskui: error: {bad}:1: status: 'live' is not one of draft, published"
    assert "Traceback" not in result.output
    usage = run(runner, url, "search", "vpn", "--format", "xml")
    assert usage.exit_code == 2


def test_evaluate_reports_ranking_quality_beside_raw_full_text(runner, db, tmp_path):
    """Issue 16.4: `deskui kb evaluate FILE` (MRR@10, P@1, nDCG@10, raw full text beside)."""
    url, source = db
    assert run(runner, url, "import", str(source)).exit_code == 0
    cases = tmp_path / "eval.jsonl"
    cases.write_text("\n".join(json.dumps(c) for c in (
        {"query": "vpn connection fails at home", "article": "KB1"},
        {"query": "the printer says it is offline", "article": "KB2"},
        {"query": "spooler restart", "article": "KB2"},
        {"query": "nothing like this anywhere", "article": "KB9"},
    )) + "\n", encoding="utf-8")
    got = run(runner, url, "evaluate", str(cases), "--format", "json", "--misses")
    assert got.exit_code == 0, got.output
    data = json.loads(got.stdout)
    assert data["queries"] == 4 and data["k"] == 10 and data["unknown_articles"] == ["KB9"]
    # KB1, KB2, KB2 found first; the fourth has no answer in this desk: 3 of 4.
    assert data["deskui"] == {"mrr": 0.75, "p1": 0.75, "ndcg": 0.75}
    assert [m["line"] for m in data["misses"]] == [4]
    assert set(data) >= {"raw_or", "raw_and"} and 0 <= data["raw_and"]["mrr"] <= data["raw_or"]["mrr"] <= 1
    table = run(runner, url, "evaluate", str(cases)).stdout
    assert "MRR@10" in table and "deskui (the knowledge search)" in table
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "vpn", "article": "KB1"}\n{"query": "", "article": "KB2"}\n', encoding="utf-8")
    refused = run(runner, url, "evaluate", str(bad))
    assert refused.exit_code == 1 and f"{bad}:2: query: a non-empty string is required" in refused.stderr
    # The public corpora's shape: any of the expected ids is right.
    listed = tmp_path / "listed.jsonl"
    listed.write_text(json.dumps({"query": "printer offline", "expected": ["KB9", "KB2"]}) + "\n", encoding="utf-8")
    assert json.loads(run(runner, url, "evaluate", str(listed), "--format", "json").stdout)["deskui"]["p1"] == 1.0


def test_ranking_scores_by_hand():
    from deskui.domain.ranking import score_rankings

    s = score_rankings([{"a"}, {"b"}, {"c"}], [["a", "x"], ["x", "b"], ["x", "y"]], k=10)
    assert s.n == 3 and s.p1 == pytest.approx(1 / 3)
    assert s.mrr == pytest.approx((1 + 1 / 2) / 3)
    assert s.ndcg == pytest.approx((1 + 1 / 1.5849625007211563) / 3)
    assert score_rankings([{"b"}], [["x", "b"]], k=1).mrr == 0  # beyond k counts as not found
    # Two relevant items, both found at 1 and 3: DCG / ideal DCG (positions 1 and 2).
    two = score_rankings([{"a", "b"}], [["a", "x", "b"]], k=10)
    assert two.ndcg == pytest.approx((1 + 1 / 2) / (1 + 1 / 1.5849625007211563))
