"""The queue query language parser (DESIGN.md §5)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskui.domain.enums import Channel, SlaState, Status, TicketType
from deskui.domain.query import (
    ME,
    NONE,
    QUERY_KEYS,
    Age,
    Query,
    QueryError,
    Term,
    parse_query,
)


def terms(text: str) -> tuple[Term, ...]:
    return parse_query(text).terms


def only_term(text: str) -> Term:
    (term,) = terms(text)
    return term


# ------------------------------------------------------------------ examples


@pytest.mark.parametrize("text", ["", "   ", "\t\n", '""', '"   "'])
def test_empty_query(text):
    query = parse_query(text)
    assert query == Query()
    assert query.is_empty
    assert query.to_text() == ""


def test_the_design_example():
    query = parse_query(
        'status:open,pending priority:1,2 assignee:me|none group:"Network" type:incident '
        'sla:breached|at_risk category:network created:<7d updated:>2h requester:alice@x '
        'ci:vpn-gw-01 text words "exact phrase" -status:closed'
    )
    assert query == Query(
        terms=(
            Term("status", (Status.OPEN, Status.PENDING)),
            Term("priority", (1, 2)),
            Term("assignee", (ME, NONE)),
            Term("group", ("Network",)),
            Term("type", (TicketType.INCIDENT,)),
            Term("sla", (SlaState.BREACHED, SlaState.AT_RISK)),
            Term("category", ("network",)),
            Term("created", (Age(7, "d"),), op="<"),
            Term("updated", (Age(2, "h"),), op=">"),
            Term("requester", ("alice@x",)),
            Term("ci", ("vpn-gw-01",)),
            Term("status", (Status.CLOSED,), negate=True),
        ),
        words=("text", "words"),
        phrases=("exact phrase",),
    )
    assert not query.is_empty and query.has_text
    assert [t.key for t in query.terms_for("status")] == ["status", "status"]


def test_keys_and_reserved_words_are_case_insensitive():
    assert terms("STATUS:Open Assignee:ME group:NONE Type:Request") == (
        Term("status", (Status.OPEN,)),
        Term("assignee", (ME,)),
        Term("group", (NONE,)),
        Term("type", (TicketType.REQUEST,)),
    )


def test_commas_and_bars_both_separate_alternatives():
    assert only_term("status:open|pending") == only_term("status:open,pending")
    assert only_term("status:open,,pending|") == Term("status", (Status.OPEN, Status.PENDING))
    # Duplicates collapse, order of first appearance is kept.
    assert only_term("status:pending,open,pending").values == (Status.PENDING, Status.OPEN)


def test_enum_values_accept_dashes_for_underscores():
    assert only_term("sla:at-risk").values == (SlaState.AT_RISK,)
    assert only_term("channel:walk-in,email").values == (Channel.WALK_IN, Channel.EMAIL)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("priority:1", (1,)),
        ("priority:1-2", (1, 2)),
        ("priority:4,1-2", (4, 1, 2)),
        ("priority:P1,p3", (1, 3)),
        ("priority:<=2", (1, 2)),
        ("priority:<3", (1, 2)),
        ("priority:>2", (3, 4)),
        ("priority:>=4", (4,)),
        ("priority:=3", (3,)),
        ("tier:2-3", (2, 3)),
        ("tier:<2", (1,)),
    ],
)
def test_numbers_lists_ranges_and_comparisons(text, values):
    term = only_term(text)
    assert term.values == values
    assert term.op == "="


def test_problem_numbers():
    assert only_term("problem:123").values == (123,)
    assert only_term("problem:#7,none").values == (7, NONE)


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ("created:<7d", "<", Age(7, "d")),
        ("created:>2h", ">", Age(2, "h")),
        ("updated:<=30m", "<=", Age(30, "m")),
        ("resolved:>=2W", ">=", Age(2, "w")),
        ("created:>=2026-01-31", ">=", date(2026, 1, 31)),
        ("created:<2026-02-01", "<", date(2026, 2, 1)),
        ("created:2026-01-31", "=", date(2026, 1, 31)),
        ("created:=2026-01-31", "=", date(2026, 1, 31)),
    ],
)
def test_times(text, op, value):
    assert only_term(text) == Term(text.split(":")[0], (value,), op=op)


def test_age_delta():
    assert Age(90, "m").delta.total_seconds() == 90 * 60
    assert Age(2, "w").delta.days == 14
    assert str(Age(3, "h")) == "3h"


def test_quoted_values_and_phrases():
    query = parse_query(r'group:"Service Desk" "say \"hi\" now" requester:"none" "c:\path\\"')
    assert query.terms == (Term("group", ("Service Desk",)), Term("requester", ("none",)))
    assert query.phrases == ('say "hi" now', "c:\\path\\")


def test_phrase_whitespace_is_normalised_and_unclosed_quote_runs_to_end():
    assert parse_query('"  printer   jam ').phrases == ("printer jam",)
    assert only_term('group:"Service Desk').values == ("Service Desk",)


def test_words_keep_what_was_typed():
    query = parse_query('vpn -error 10:30 Wi-Fi "x"y ünïcode')
    assert query.words == ("vpn", "-error", "10:30", "Wi-Fi", "y", "ünïcode")
    assert query.phrases == ("x",)
    assert query.terms == ()


def test_negation_and_positions():
    query = parse_query("vpn  -status:closed group:x")
    assert query.terms[0] == Term("status", (Status.CLOSED,), negate=True)
    assert query.terms[0].position == 5
    assert query.terms[1].position == 20
    assert query.terms[1].negate is False


def test_free_values_keep_case_and_colons():
    assert only_term("ci:Host:8080").values == ("Host:8080",)
    assert only_term("requester:Alice.Smith@Example.com").values == ("Alice.Smith@Example.com",)
    # "me" is reserved only where it means something.
    assert only_term("group:me").values == ("me",)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("text", "position", "fragments"),
    [
        ("stauts:open", 0, ["unknown key 'stauts'", "did you mean status?", "keys: status, priority,"]),
        ("vpn http://example.com", 4, ["unknown key 'http'", '"http:..."']),
        ("status:opne", 7, ["status: 'opne' is not one of new, open, pending, resolved, closed, cancelled"]),
        ("status:open,clsoed", 12, ["status: 'clsoed'"]),
        ("type:change", 5, ["type: 'change' is not one of incident, request, problem"]),
        ("sla:late", 4, ["sla: 'late' is not one of ok, at_risk, breached, paused, met"]),
        ("channel:fax", 8, ["channel: 'fax'", "walk_in"]),
        ("priority:5", 9, ["priority: '5' is not one of 1, 2, 3, 4"]),
        ("priority:0-2", 9, ["priority: '0-2'"]),
        ("priority:3-1", 9, ["empty range"]),
        ("priority:high", 9, ["priority: 'high'"]),
        ("priority:<1", 10, ["matches no priority"]),
        ("priority:<2,3", 10, ["needs one number"]),
        ("tier:4", 5, ["tier: '4' is not one of 1, 2, 3"]),
        ("problem:abc", 8, ["problem: 'abc'"]),
        ("problem:0", 8, ["problem: '0'"]),
        ("status:", 0, ["status: needs a value", "status:open,pending"]),
        ("x status: open", 2, ["status: needs a value"]),
        ("created:7d", 8, ["needs < or >", "created:<7d"]),
        ("created:<7y", 9, ["created: '7y'", "m, h, d, w"]),
        ("created:<2026-02-30", 9, ["not a real date"]),
        ("created:<31/01/2026", 9, ["created: '31/01/2026'"]),
        ("created:<7d,2d", 12, ["takes one value"]),
        ("updated:>99999999w", 9, ["at most 100 years"]),
        ('group:""', 6, ["group: '' is empty"]),
        ("-assignee:,", 0, ["assignee: needs a value"]),
    ],
)
def test_errors_name_the_key_and_what_it_takes(text, position, fragments):
    with pytest.raises(QueryError) as caught:
        parse_query(text)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.position == position
    assert error.end > error.position
    for fragment in fragments:
        assert fragment in str(error)


def test_error_message_escapes_control_characters():
    with pytest.raises(QueryError) as caught:
        parse_query("status:\x1b[2J")
    assert "\x1b" not in str(caught.value)


def test_not_text_is_a_query_error():
    with pytest.raises(QueryError):
        parse_query(None)  # type: ignore[arg-type]


def test_every_key_is_documented_in_the_module_docstring():
    import deskui.domain.query as module

    for key in QUERY_KEYS:
        assert f"`{key}:" in module.__doc__ or f"`-{key}:" in module.__doc__


# ------------------------------------------------------------------ properties

# Pieces that drive the parser into every branch, glued together at random.
_pieces = st.sampled_from(
    [
        "status:", "-status:", "priority:", "tier:", "created:", "updated:", "resolved:", "assignee:",
        "group:", "problem:", "sla:", "type:", "channel:", "ci:", "requester:", "category:", "STATUS:",
        "foo:", "-", ":", '"', "\\", "\\\"", ",", "|", " ", "\t", "<", ">", "<=", ">=", "=", "open",
        "pending", "me", "none", "Me", "NONE", "1", "2-3", "3-1", "p1", "7d", "2h", "30m", "1w", "0d",
        "2026-01-31", "2026-02-30", "#5", "x", "vpn", "Wi-Fi", "ü", "打印", "\x00", "\x1b", "99999999999",
        "at-risk", "walk_in",
    ]
)
soup = st.lists(_pieces, max_size=15).map("".join)


def parse_or_error(text: str) -> Query | None:
    try:
        return parse_query(text)
    except QueryError as error:
        assert 0 <= error.position <= len(text)
        assert str(error)
        return None


@settings(max_examples=500)
@given(st.one_of(st.text(), soup))
def test_any_text_gives_a_query_or_a_query_error(text):
    parse_or_error(text)


@settings(max_examples=500)
@given(soup)
def test_to_text_round_trips(text):
    query = parse_or_error(text)
    if query is None:
        return
    normalised = query.to_text()
    assert parse_query(normalised) == query
    assert parse_query(normalised).to_text() == normalised


@st.composite
def valid_term(draw) -> tuple[str, Term]:
    """A term written the way a user might, with the Term it must parse to."""
    negate = draw(st.booleans())
    sign = "-" if negate else ""
    kind = draw(st.sampled_from(["status", "priority", "assignee", "group", "created", "problem"]))
    sep = draw(st.sampled_from([",", "|"]))
    if kind == "status":
        members = draw(st.lists(st.sampled_from(list(Status)), min_size=1, max_size=3, unique=True))
        spelled = [m.value.upper() if draw(st.booleans()) else m.value for m in members]
        return f"{sign}status:{sep.join(spelled)}", Term("status", tuple(members), negate)
    if kind == "priority":
        low = draw(st.integers(1, 4))
        high = draw(st.integers(low, 4))
        return f"{sign}priority:{low}-{high}", Term("priority", tuple(range(low, high + 1)), negate)
    if kind == "problem":
        number = draw(st.integers(1, 10**9))
        return f"{sign}problem:#{number}", Term("problem", (number,), negate)
    if kind == "created":
        op = draw(st.sampled_from(["<", "<=", ">", ">="]))
        age = Age(draw(st.integers(0, 5000)), draw(st.sampled_from("mhdw")))
        return f"{sign}created:{op}{age}", Term("created", (age,), negate, op)
    names = draw(
        st.lists(
            st.text(st.characters(exclude_categories=("Cs",), exclude_characters='"\\'), min_size=1, max_size=12)
            .map(str.strip)
            .filter(bool),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    key = "assignee" if kind == "assignee" else "group"
    quoted = ",".join('"' + name + '"' for name in names)
    return f"{sign}{key}:{quoted}", Term(key, tuple(names), negate)


@settings(max_examples=300)
@given(st.lists(valid_term(), max_size=5), st.lists(st.sampled_from(["vpn", "printer", "Wi-Fi", "打印机"]), max_size=3))
def test_valid_queries_parse_to_what_was_written(written, words):
    text = " ".join([source for source, _term in written] + words)
    query = parse_query(text)
    assert query.terms == tuple(term for _source, term in written)
    assert query.words == tuple(words)
    assert parse_query(query.to_text()) == query
