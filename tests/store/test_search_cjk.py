"""Chinese and Japanese text in the full-text indexes (issue 16.3), on SQLite and
PostgreSQL: runs written without spaces are indexed and queried as overlapping
bigrams, so a ticket finds an article (and similar resolved tickets, and a routing
suggestion) that shares a two-character word with it; Latin text is untouched."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select, text

from deskui.domain.text import cjk_bigrams
from deskui.reads import routing
from deskui.reads.suggestions import suggestions
from deskui.services import tickets
from deskui.services.actors import actor_for
from deskui.store.db import current_revision, session_scope, upgrade, write_session
from deskui.store.models import Article
from deskui.store.search import search_articles
from deskui.store.search_query import fold, parse_query

NOW = datetime(2026, 11, 16, 9, 0)

ARTICLES = [
    ("ZH-PRINT", "打印机显示脱机", "打印", "重新启动打印后台处理程序。纸张卡住也会导致打印机脱机。"),
    ("ZH-VPN", "无法连接公司网络", "远程", "打开客户端并重新登录。如果连接失败，请先检查家里的网络。"),
    ("JA-PRINT", "プリンターがオフラインになる", "印刷", "印刷スプーラーを再起動してください。紙詰まりでもオフラインと表示されます。"),
    ("JA-VPN", "社内ネットワークに接続できない", "リモート", "クライアントを開いて再度サインインしてください。"),
    ("EN-PRINT", "Printer shows offline", "printer", "Restart the print spooler. A paper jam also shows it offline."),
]


def add_articles(engine, rows=ARTICLES):
    with write_session(engine) as s:
        for ext, title, tags, body in rows:
            s.add(Article(external_id=ext, title=title, tags=tags, body=body, status="published", category="",
                          created_at=NOW, updated_at=NOW))


def find(engine, query):
    with session_scope(engine) as s:
        return [h.external_id for h in search_articles(s, query)]


# ------------------------------------------------------------------ pure


def test_runs_become_overlapping_bigrams_set_apart_from_latin_words():
    assert cjk_bigrams("打印机坏了") == " 打印 印机 机坏 坏了 "
    assert cjk_bigrams("打开Outlook时崩溃").split() == ["打开", "Outlook", "时崩", "崩溃"]
    assert cjk_bigrams("プリンターが").split() == ["プリ", "リン", "ンタ", "ター", "ーが"]
    assert cjk_bigrams("a 中 b").split() == ["a", "中", "b"]  # a lone character stays a word
    for latin in ("résumé wi-fi outlook.exe", "", None, "Ünïcödé 123 ½"):
        assert cjk_bigrams(latin) == latin  # Latin text is untouched


def test_queries_are_cut_the_same_way_and_keep_kana_voicing():
    words = [t.tokens[0] for t in parse_query("打印机坏了").words]
    assert words == ["打印", "印机", "机坏", "坏了"]
    assert [t.tokens[0] for t in parse_query("中 printer").words] == ["中", "printer"]  # not a stop word
    assert fold("がぎ プリンター") == "がぎ プリンター"  # が is not か
    assert fold("Résumé") == "resume"
    assert parse_query("\"印刷できない\"").phrases[0].tokens == ("印刷", "刷で", "でき", "きな", "ない")


# ------------------------------------------------------------------ both databases


def test_chinese_and_japanese_queries_find_their_articles(engine):
    add_articles(engine)
    assert find(engine, "打印机脱机了")[0] == "ZH-PRINT"
    assert find(engine, "公司网络连接不上")[0] == "ZH-VPN"
    assert find(engine, "プリンターで印刷できません")[0] == "JA-PRINT"
    assert find(engine, "ネットワークに接続できません")[0] == "JA-VPN"
    assert find(engine, "\"重新启动打印\"") == ["ZH-PRINT"]  # a quoted run is a phrase of its bigrams
    assert find(engine, "printer spooler")[0] == "EN-PRINT"  # Latin search as before


def test_a_chinese_or_japanese_ticket_gets_articles_and_a_routing_suggestion(org):
    add_articles(org)
    me = actor_for(org, "demo")
    history = [("打印机卡纸，无法打印", "Printing/Printer Setup"), ("公司网络经常断开", "Network/VPN"),
               ("プリンターが紙詰まりで印刷できない", "Printing/Printer Setup"),
               ("社内ネットワークの接続が切れる", "Network/VPN")]
    for subject, category in history:
        t = tickets.open_ticket(org, me, subject=subject, requester="li@northwind.example", category=category)
        tickets.resolve(org, me, t.id, code="solved", notes="已解决 / 解決済み")
    for subject, article, category in (("我的打印机脱机了，打印不了", "ZH-PRINT", "Printing/Printer Setup"),
                                       ("家里连不上公司网络", "ZH-VPN", "Network/VPN"),
                                       ("プリンターがオフラインで印刷できません", "JA-PRINT", "Printing/Printer Setup"),
                                       ("自宅から社内ネットワークに接続できない", "JA-VPN", "Network/VPN")):
        new = tickets.open_ticket(org, me, subject=subject, requester="li@northwind.example")
        got = suggestions(org, new.id)
        assert got.articles and got.articles[0].external_id == article, (subject, got.articles)
        assert got.tickets  # similar resolved tickets
        route = routing.suggest_for_ticket(org, new.id)
        assert route.categories and route.categories[0].name == category, (subject, route)


def test_the_migration_indexes_existing_cjk_text_as_bigrams(engine):
    """Rows written before 0012 (a run was one word) are found after it."""
    from alembic import command

    from deskui.store.db import _alembic_config

    head = current_revision(engine)
    command.downgrade(_alembic_config(engine), "0011_rollups")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO articles (external_id, title, tags, body, status, category, created_at, "
                          "updated_at, views, helpful, not_helpful) VALUES ('ZH-OLD', '打印机显示脱机', '', "
                          "'重新启动打印后台处理程序', 'published', '', :now, :now, 0, 0, 0)"), {"now": NOW})
    assert find(engine, "打印机脱机了") == []  # before: the run is one word
    upgrade(engine)
    assert current_revision(engine) == head
    assert find(engine, "打印机脱机了") == ["ZH-OLD"]
    with write_session(engine) as s:  # and the index follows an update after it
        s.scalars(select(Article).where(Article.external_id == "ZH-OLD")).one().title = "プリンターがオフライン"
    assert find(engine, "プリンターがオフライン") == ["ZH-OLD"]
    assert find(engine, "显示脱机") == []


@pytest.mark.parametrize("query", ["打", "中文", "ー", "。", "打印机*", "\"\u3099\""])
def test_odd_cjk_queries_are_data(engine, query):
    add_articles(engine)
    find(engine, query)  # never a syntax error
