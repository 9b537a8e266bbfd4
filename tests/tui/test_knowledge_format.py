"""Knowledge rows and reply text: snippet marks become spans, markup stays text,
an article's numbered steps become plain reply text."""

from __future__ import annotations

from deskui.store.search import ArticleHit
from deskui.tui.widgets.kb_format import (
    MATCH_STYLE, article_excerpt, article_steps, hit_content, marked_content, plain_inline, reply_text,
)


def marked(content) -> list[str]:
    return [content.plain[s.start:s.end] for s in content.spans if s.style == MATCH_STYLE]


def test_marks_become_styled_spans_and_markup_stays_text():
    content = marked_content("Use \x02VPN\x03 then [bold]reboot[/bold] the \x02gateway\x03 now")
    assert content.plain == "Use VPN then [bold]reboot[/bold] the gateway now"
    assert marked(content) == ["VPN", "gateway"]


def test_unbalanced_marks_and_control_characters_are_dropped():
    content = marked_content("\x03a \x02b\x02c\x03 d \x1b[31mred\x1b[0m \x02open")
    assert content.plain == "a bc d red open"
    assert marked(content) == ["bc", "open"]


def test_hit_row_is_cut_to_the_width():
    hit = ArticleHit(id=1, external_id="KB0001", title="A very long title " * 5, score=1.0,
                     snippet="word " * 60 + "\x02match\x03", tags="", category="", status="draft")
    lines = hit_content(hit, width=40).plain.split("\n")
    assert len(lines) == 3  # title + two snippet lines
    assert all(len(line) <= 40 for line in lines)
    assert lines[0].startswith("KB0001  DRAFT  A very long") and lines[0].endswith("…")
    assert lines[2].endswith("…")
    assert len(hit_content(hit).plain.split("\n")) == 2  # width unknown: the whole snippet on one line


def test_steps_keep_their_headings_and_join_continuation_lines():
    body = """Intro paragraph with **bold**.

## Connect on Windows

1. Click the **^** arrow and the `globe`.
2. If asked, enter `vpn.example` and
   click **Connect**.
   - a nested bullet

3. See [the guide](https://intranet/guide).

Some text after.

## macOS

1) Open the menu bar *globe*.
"""
    assert article_steps(body) == (
        "Connect on Windows:\n"
        "1. Click the ^ arrow and the globe.\n"
        "2. If asked, enter vpn.example and click Connect.\n"
        "   - a nested bullet\n"
        "3. See the guide (https://intranet/guide).\n"
        "\n"
        "macOS:\n"
        "1. Open the menu bar globe."
    )


def test_no_steps_gives_an_excerpt_as_plain_text():
    body = "# Title\n\nSome **text** here.\n\n\n- one\n- `two`\n\n" + "More words. " * 200
    assert article_steps(body) == ""
    excerpt = article_excerpt(body, limit=100)
    assert excerpt.startswith("Title:\n\nSome text here.\n\n- one\n- two")
    assert excerpt.endswith("…") and "**" not in excerpt
    text = reply_text("KB0003", "Split [b]tunnel[/b]", body)
    assert text.endswith("(From knowledge article KB0003: Split [b]tunnel[/b])")


def test_plain_inline_keeps_words_with_underscores():
    assert plain_inline("run my_script_name and _this_ and \\*star\\*") == "run my_script_name and this and *star*"


def test_escapes_are_resolved_once_and_never_inside_code():
    # Issue 15.2: KB0010 says `\\nw-print01`; inside a code span a backslash is literal.
    assert plain_inline("type `\\\\nw-print01` and press Enter") == "type \\\\nw-print01 and press Enter"
    assert plain_inline("share \\\\\\\\srv\\\\docs, a \\*star\\*, ``a \\` b``") == "share \\\\srv\\docs, a *star*, a \\` b"
    # A backslash before a letter is not an escape; an entity is its character (as the view shows them).
    assert plain_inline("C:\\temp &amp; D:\\data &lt;x&gt;") == "C:\\temp & D:\\data <x>"
    assert plain_inline("[`\\\\srv`](https://intranet/srv) <https://a.example/x_y>") == (
        "\\\\srv (https://intranet/srv) https://a.example/x_y")


def test_kb0010_steps_keep_the_unc_path():
    from ticket_support import SAMPLE

    body = (SAMPLE / "kb" / "KB0010-printer-add.md").read_text().split("---", 2)[2]
    assert "type \\\\nw-print01 and press Enter" in article_steps(body)
