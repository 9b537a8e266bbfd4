"""Knowledge-base use cases: front matter, imports, export round trip, feedback, links, drafts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from deskui import clock
from deskui.errors import NotFound, ValidationError
from deskui.services import knowledge as kb
from deskui.services import kb_files
from deskui.store import kb_queries as kbq
from deskui.store.db import session_scope, write_session
from deskui.store.models import Analyst, Article, ArticleLink, Ticket, TicketEvent
from deskui.store.search import search_articles

SAMPLE_KB = Path(__file__).resolve().parents[2] / "sample_data" / "kb"
NOW = datetime(2026, 11, 16, 9, 0)

VPN_MD = """---
id: KB0001
title: Connect to the VPN
tags: [vpn, remote access]
category: Network/VPN
status: published
---

Open **GlobalProtect** and sign in.

1. Click the globe.
"""


def md(**fields) -> str:
    front = "\n".join(f"{k}: {v}" for k, v in fields.items() if k != "body")
    return f"---\n{front}\n---\n{fields.get('body', 'Body text.')}\n"


def count(engine, model=Article) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def article(engine, external_id) -> kbq.ArticleRecord:
    with session_scope(engine) as s:
        return kbq.get_article_by_external_id(s, external_id)


# ------------------------------------------------------------- front matter

def test_parse_markdown():
    item = kb_files.parse_markdown(VPN_MD, "vpn.md")
    assert (item.external_id, item.title, item.tags, item.category, item.status) == (
        "KB0001", "Connect to the VPN", "vpn, remote access", "Network/VPN", "published")
    assert item.body == "Open **GlobalProtect** and sign in.\n\n1. Click the globe."


@pytest.mark.parametrize("tags, expected", [
    ("[a, b]", "a, b"), ("a, b, A", "a, b"), ("[]", ""), ('["x, y", z]', "x, y, z"), ("['it''s', \"q\\\"t\"]", "it's, q\"t"),
])
def test_tag_forms(tags, expected):
    text = md(id="K", title="T", tags=tags)
    # A listed tag with commas in it is several tags (tags are stored comma-separated).
    assert kb_files.parse_markdown(text, "f.md").tags == expected


def test_block_list_tags_and_quoted_values():
    text = '---\nid: K\ntitle: "Say \\"hi\\": now"\ntags:\n  - vpn\n  - "remote access"\ncategory: \'A/B\'\n---\nx'
    item = kb_files.parse_markdown(text, "f.md")
    assert (item.title, item.tags, item.category) == ('Say "hi": now', "vpn, remote access", "A/B")


def test_id_defaults_to_file_stem_and_title_is_cleaned(tmp_path):
    path = tmp_path / "KB0099.md"
    path.write_text(md(title="\x1b[31mRed\x1b[0m [bold]title[/]"), encoding="utf-8")
    item = kb_files.read_markdown_file(path)
    assert (item.external_id, item.title) == ("KB0099", "Red [bold]title[/]")


@pytest.mark.parametrize("text, message", [
    ("no front matter", r"f\.md:1: front matter: the file must start with a '---' line"),
    ("---\nid: K\ntitle: T\n", r"f\.md:1: front matter: no closing '---' line"),
    ("---\nid: K\ntitle: T\nstatus: live\n---\n", r"f\.md:4: status: 'live' is not one of draft, published"),
    ("---\nid: K\nstatus: draft\n---\n", r"f\.md:1: title: is required"),
    ("---\nid: K\ntitle: T\ntitel: T\n---\n", r"f\.md:4: titel: unknown field; allowed: id, title"),
    ("---\nid: K\ntitle: T\ntitle: U\n---\n", r"f\.md:4: title: appears twice \(first at f\.md:3\)"),
    ("---\nid: K\ntitle: \"T\n---\n", r"f\.md:3: title: a \"double-quoted\" value must close its quote"),
    ("---\nid: K\nthis is not a field\n---\n", r"f\.md:3: front matter: expected 'key: value'"),
    ("---\nid: has space\ntitle: T\n---\n", r"f\.md:2: id: 'has space' is not valid"),
    ("---\ntitle: T\n---\n", r"f\.md:1: id: is required"),
])
def test_front_matter_errors_name_file_line_field(text, message):
    with pytest.raises(ValidationError, match=message):
        kb_files.parse_markdown(text, "f.md")


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(title=_text, tags=st.lists(_text, max_size=5), category=_text, body=st.text(max_size=300),
       status=st.sampled_from(kb_files.STATUSES), external_id=st.from_regex(kb_files.ID_PATTERN, fullmatch=True))
def test_markdown_round_trip(title, tags, category, body, status, external_id):
    """Whatever validates imports back identically from what export writes."""
    fields = {"id": external_id[:kb_files.MAX_ID], "title": title, "tags": [t.replace(",", " ") for t in tags],
              "category": category, "status": status, "body": body}
    try:
        item = kb_files.validate_article(fields, "x:1")
    except ValidationError:
        return
    again = kb_files.parse_markdown(kb_files.article_markdown(item), "export.md")
    assert dataclasses_equal(again, item)


def dataclasses_equal(a: kb_files.ArticleInput, b: kb_files.ArticleInput) -> bool:
    return (a.external_id, a.title, a.body, a.tags, a.category, a.status) == (
        b.external_id, b.title, b.body, b.tags, b.category, b.status)


# ------------------------------------------------------------------ imports

def write_kb(folder: Path, n: int) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(n):
        (folder / f"KB{i:04d}.md").write_text(md(id=f"KB{i:04d}", title=f"Article {i}", tags="[t]",
                                                 body=f"Body number {i}."), encoding="utf-8")


def test_import_folder_is_idempotent_and_updates_changes(engine, tmp_path):
    folder = tmp_path / "kb"
    write_kb(folder, 5)
    assert kb.import_path(engine, folder, batch_size=2) == kb.ImportSummary(read=5, created=5, updated=0, unchanged=0)
    before = article(engine, "KB0003")
    with clock.frozen(NOW):
        assert kb.import_path(engine, folder) == kb.ImportSummary(read=5, created=0, updated=0, unchanged=5)
        (folder / "KB0003.md").write_text(md(id="KB0003", title="Renamed", tags="[t]", body="Body number 3."),
                                          encoding="utf-8")
        assert kb.import_path(engine, folder).updated == 1
    after = article(engine, "KB0003")
    assert (after.id, after.title, after.updated_at) == (before.id, "Renamed", NOW)
    assert article(engine, "KB0002").updated_at == before.created_at  # untouched
    assert count(engine) == 5


def test_import_jsonl_streams_batches_and_a_bad_line_writes_nothing_of_its_batch(engine, tmp_path):
    path = tmp_path / "articles.jsonl"
    lines = [json.dumps({"id": f"J{i}", "title": f"Title {i}", "body": "b", "tags": "x, y", "category": "C"})
             for i in range(5)]
    lines.insert(3, "")  # blank lines are skipped
    lines[4] = json.dumps({"id": "J3", "title": "T", "body": "b", "status": "archived"})  # file line 5
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        kb.import_path(engine, path, batch_size=2)
    assert str(err.value) == f"{path}:5: status: 'archived' is not one of draft, published"
    with session_scope(engine) as s:
        # Batch 1 (J0, J1) committed; batch 2 (J2, bad J3) not written.
        assert s.scalars(select(Article.external_id).order_by(Article.external_id)).all() == ["J0", "J1"]
    assert article(engine, "J0").tags == "x, y"


@pytest.mark.parametrize("line, message", [
    ("{not json", r":1:2: json: Expecting property name"),
    ("[1, 2]", r":1: json: each line must be an object, not list"),
    ('{"id": "A", "title": "T", "tags": 5}', r":1: tags: must be a list or a comma-separated string, not int"),
    ('{"id": "A", "title": ["T"]}', r":1: title: must be text, not list"),
    ('{"id": "A", "title": "T", "author": "me"}', r":1: author: unknown field"),
])
def test_jsonl_errors(engine, tmp_path, line, message):
    path = tmp_path / "a.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=message):
        kb.import_path(engine, path)
    assert count(engine) == 0


def test_duplicate_id_in_one_import_is_an_error(engine, tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "A", "title": "T"}\n{"id": "A", "title": "U"}\n', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"a\.jsonl:2: id: 'A' appears twice \(first at .*a\.jsonl:1\)"):
        kb.import_path(engine, path)


def test_unsupported_and_missing_paths(engine, tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n")
    with pytest.raises(ValidationError, match="unsupported file type '.csv'"):
        kb.import_path(engine, tmp_path / "x.csv")
    with pytest.raises(ValidationError, match="no such file or folder"):
        kb.import_path(engine, tmp_path / "nope")


def test_sample_articles_import_and_search(engine):
    if not SAMPLE_KB.is_dir():
        pytest.skip("sample_data/kb missing")
    summary = kb.import_path(engine, SAMPLE_KB)
    assert summary.created == len(list(SAMPLE_KB.glob("*.md"))) >= 20
    with session_scope(engine) as s:
        assert search_articles(s, "vpn")  # the sample set has VPN articles


# ------------------------------------------------------------------ export

TRICKY = [
    {"id": "odd/id:1", "title": "[Draft] \"quoted\": title # not a comment", "body": "# Heading\n\n---\n\nafter rule",
     "tags": ["two words", "ünïcode", "quote\"d"], "category": "", "status": "draft"},
    {"id": "odd_id_1", "title": "'single' start", "body": "", "tags": [], "category": "A/B", "status": "published"},
    {"id": "plain", "title": "---", "body": "x", "tags": "-dash, [bracket]", "category": "---"},
]


def test_export_reimports_identically(engine, tmp_path):
    path = tmp_path / "tricky.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in TRICKY), encoding="utf-8")
    kb.import_path(engine, path)
    with session_scope(engine) as s:
        before = {a.external_id: kbq.get_article(s, a.id) for a in s.scalars(select(Article))}
    summary = kb.export_dir(engine, tmp_path / "out")
    assert summary.written == 3
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["odd_id_1-2.md", "odd_id_1.md", "plain.md"]  # two ids share a safe file name
    assert kb.import_path(engine, tmp_path / "out").unchanged == 3
    for item in kb_files.iter_markdown_dir(tmp_path / "out"):
        record = before[item.external_id]
        assert (item.title, item.body, item.tags, item.category, item.status) == (
            record.title, record.body, record.tags, record.category, record.status)


def test_export_published_only(engine, tmp_path):
    path = tmp_path / "tricky.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in TRICKY), encoding="utf-8")
    kb.import_path(engine, path)
    assert kb.export_dir(engine, tmp_path / "pub", include_drafts=False).written == 2


# ----------------------------------------------------------- feedback, links

@pytest.fixture
def desk(engine):
    with clock.frozen(NOW):
        kb.import_articles(engine, [kb_files.parse_markdown(VPN_MD, "vpn.md")])
    with write_session(engine) as s:
        s.add(Analyst(username="jdoe", name="Jane Doe"))
        s.add(Ticket(subject="VPN drops at home", description="GlobalProtect disconnects", status="resolved",
                     resolution_notes="Reinstalled the client.\nRebooted.", created_at=NOW, updated_at=NOW,
                     resolved_at=NOW))
        s.add(Ticket(subject="New laptop", status="open", created_at=NOW, updated_at=NOW))
    return engine


def ids_of(engine):
    with session_scope(engine) as s:
        art = s.scalars(select(Article.id)).first()
        tickets = s.scalars(select(Ticket.id).order_by(Ticket.id)).all()
    return art, tickets


def test_views_and_votes(desk):
    art, _ = ids_of(desk)
    kb.record_view(desk, art)
    rec = kb.record_view(desk, art)
    kb.vote(desk, art, True)
    rec = kb.vote(desk, art, False)
    assert (rec.views, rec.helpful, rec.not_helpful) == (2, 1, 1)
    assert rec.updated_at == NOW  # feedback is not an edit
    with pytest.raises(NotFound, match="article 999 not found"):
        kb.record_view(desk, 999)
    with pytest.raises(NotFound):
        kb.vote(desk, 999, True)


def test_link_and_unlink_write_events(desk):
    art, (t1, t2) = ids_of(desk)
    with clock.frozen(NOW):
        assert kb.link_article(desk, art, t1, "jdoe") is True
        assert kb.link_article(desk, art, t1, "jdoe") is False  # already linked
        assert kb.link_article(desk, art, t2, "someone-else") is True
    with session_scope(desk) as s:
        linked = kbq.linked_tickets(s, art)
        assert [lt.ticket_id for lt in linked] == [t2, t1]
        assert linked[1].linked_by == "jdoe" and linked[1].subject == "VPN drops at home"
        assert [la.external_id for la in kbq.linked_articles(s, t1)] == ["KB0001"]
        event = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t1)).one()
        jdoe = s.scalars(select(Analyst.id).where(Analyst.username == "jdoe")).one()
        assert (event.kind, event.field, event.new, event.actor, event.actor_id, event.at) == (
            "linked", "article", "KB0001", "jdoe", jdoe, NOW)
    assert kb.unlink_article(desk, art, t1, "jdoe") is True
    assert kb.unlink_article(desk, art, t1, "jdoe") is False
    with session_scope(desk) as s:
        assert [lt.ticket_id for lt in kbq.linked_tickets(s, art)] == [t2]
        kinds = s.execute(select(TicketEvent.kind, TicketEvent.old, TicketEvent.new)
                          .where(TicketEvent.ticket_id == t1).order_by(TicketEvent.id)).all()
        assert kinds == [("linked", "", "KB0001"), ("linked", "KB0001", "")]
    with pytest.raises(NotFound, match="ticket #999 not found"):
        kb.link_article(desk, art, 999, "jdoe")
    with pytest.raises(NotFound, match="article 999 not found"):
        kb.link_article(desk, 999, t1, "jdoe")


def test_draft_from_resolved_ticket(desk):
    _, (t1, t2) = ids_of(desk)
    with clock.frozen(NOW):
        draft = kb.draft_from_ticket(desk, t1, "jdoe")
    assert (draft.status, draft.title, draft.external_id) == ("draft", "VPN drops at home", f"DRAFT-T{t1}")
    assert "Reinstalled the client.\nRebooted." in draft.body
    assert kb.draft_from_ticket(desk, t1, "jdoe") == draft  # one step, once
    with session_scope(desk) as s:
        assert [la.article_id for la in kbq.linked_articles(s, t1) if la.external_id == draft.external_id]
        assert all(h.external_id != draft.external_id for h in search_articles(s, "reinstalled client"))
        assert search_articles(s, "reinstalled client", include_drafts=True)[0].external_id == draft.external_id
    with pytest.raises(ValidationError, match=rf"ticket #{t2}: status: is 'open'"):
        kb.draft_from_ticket(desk, t2, "jdoe")
    published = kb.set_status(desk, draft.id, "published")
    assert published.status == "published"
    with pytest.raises(ValidationError, match="status: 'gone' is not one of draft, published"):
        kb.set_status(desk, draft.id, "gone")


def test_save_markdown_edits_in_place(desk):
    art, _ = ids_of(desk)
    edited = VPN_MD.replace("Connect to the VPN", "Connect to the VPN (updated)")
    record = kb.save_markdown(desk, edited, expected_id=art)
    assert (record.id, record.title) == (art, "Connect to the VPN (updated)")
    with pytest.raises(ValidationError, match="id: must stay 'KB0001'"):
        kb.save_markdown(desk, edited.replace("KB0001", "KB0002"), expected_id=art)
    assert count(desk) == 1
    assert count(desk, ArticleLink) == 0
