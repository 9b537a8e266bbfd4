"""Sanitising untrusted text: escape sequences and controls out, text kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskui.domain.text import SUBJECT_MAX_LENGTH, clean_subject, clean_text

ALLOWED_CONTROLS = {"\n", "\t"}


def is_forbidden(ch: str) -> bool:
    code = ord(ch)
    is_c0 = code < 0x20 and ch not in ALLOWED_CONTROLS
    return is_c0 or code == 0x7F or 0x80 <= code <= 0x9F or 0xD800 <= code <= 0xDFFF


# Printable text: no controls (Cc), no surrogates, no line/paragraph separators.
# Bidi controls, zero-width space, word joiner and BOM are printable in Unicode's sense
# but clean_text shows them as tags on purpose (issue 12.6): not "printable" here.
SHOWN_AS_TAGS = "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x2060, 0xFEFF]))
_printable_char = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters=SHOWN_AS_TAGS)
printable = st.text(_printable_char)
printable_with_layout = st.text(
    st.one_of(_printable_char, st.sampled_from("\n\t"))
)

# Complete escape sequences of every family the sanitiser knows.
_params = st.text(st.sampled_from("0123456789;:?<=>"), max_size=8)
_intermediates = st.text(st.sampled_from(" !\"#$%&'()*+,-./"), max_size=2)
_final = st.sampled_from([chr(c) for c in range(0x40, 0x7F)])
_payload = st.text(
    st.characters(exclude_characters="\x07\x1b", exclude_categories=("Cs",)).filter(
        lambda ch: not 0x80 <= ord(ch) <= 0x9F
    ),
    max_size=20,
)
csi = st.builds(lambda intro, p, i, f: intro + p + i + f, st.sampled_from(["\x1b[", "\x9b"]), _params, _intermediates, _final)
osc = st.builds(
    lambda intro, p, end: intro + p + end,
    st.sampled_from(["\x1b]", "\x9d"]),
    _payload,
    st.sampled_from(["\x07", "\x1b\\", "\x9c"]),
)
dcs_like = st.builds(
    lambda intro, p, end: intro + p + end,
    st.sampled_from(["\x1bP", "\x1bX", "\x1b^", "\x1b_", "\x90", "\x98", "\x9e", "\x9f"]),
    _payload,
    st.sampled_from(["\x1b\\", "\x9c"]),
)
short = st.builds(
    lambda i, f: "\x1b" + i + f,
    _intermediates,
    st.sampled_from([chr(c) for c in range(0x30, 0x7F) if chr(c) not in "[]PX^_"]),
)
escape_sequence = st.one_of(csi, osc, dcs_like, short)


# ------------------------------------------------------------------ examples

@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("\x1b[2J", ""),
        ("\x1b[1;31mred\x1b[0m text", "red text"),
        ("\x1b[?1049h\x1b[?25lhidden", "hidden"),
        ("\x9b31mC1 csi", "C1 csi"),
        ("a\x1b]0;pwned title\x07b", "ab"),
        ("a\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),
        ("a\x9d52;c;SGVsbG8=\x9cb", "ab"),
        ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),
        ("a\x1b_Gf=100;AAAA\x1b\\b", "ab"),
        ("a\x1b^privacy\x1b\\b", "ab"),
        ("a\x1bXstring\x9cb", "ab"),
        ("a\x1b(Bb\x1b7c\x1b8d\x1bce\x1b=f", "abcdef"),
        ("line1\r\nline2\rline3\u2028line4", "line1\nline2\nline3\nline4"),
        ("tab\there\nnext", "tab\there\nnext"),
        ("nul\x00 bell\x07 bs\x08 del\x7f vt\x0b ff\x0c", "nul bell bs del vt ff"),
        ("c1\x85\x8d\x9f end", "c1 end"),
        ("[bold red]x[/]", "[bold red]x[/]"),
        ("[link=https://x]click[/link] :smile:", "[link=https://x]click[/link] :smile:"),
        ("emoji 👩‍💻🔥 cjk 打印机 rtl שלום مرحبا", "emoji 👩‍💻🔥 cjk 打印机 rtl שלום مرحبا"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        # An OSC without its terminator loses only the introducer.
        ("before\x1b]0;title never ends", "before0;title never ends"),
        # A CSI cut off at the end of the text is dropped whole.
        ("cut \x1b[12", "cut "),
        # Removing one sequence must not splice a new one together.
        ("\x1b\x1b[31m[0m", "[0m"),
        (None, ""),
        ("", ""),
    ],
)
def test_clean_text_examples(raw, expected):
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Printer\n\ton floor 3   jams  ", "Printer on floor 3 jams"),
        ("VPN\r\ndown\x1b[2J", "VPN down"),
        ("\n\n\t", ""),
        ("[bold red]x[/]", "[bold red]x[/]"),
        # Non-breaking and ideographic spaces are text, not layout.
        ("a\u00a0b\u3000c", "a\u00a0b\u3000c"),
    ],
)
def test_single_line(raw, expected):
    assert clean_text(raw, single_line=True) == expected


def test_max_length_cuts_and_trims_the_cut():
    assert clean_text("abcdef", max_length=3) == "abc"
    assert clean_text("abc def", single_line=True, max_length=4) == "abc"
    assert clean_text("\x1b[31m" + "x" * 10, max_length=4) == "xxxx"
    with pytest.raises(ValueError):
        clean_text("x", max_length=-1)


def test_clean_subject_is_one_line_and_bounded():
    subject = clean_subject("Outage\n" + "y" * 500)
    assert subject.startswith("Outage y")
    assert len(subject) == SUBJECT_MAX_LENGTH
    assert "\n" not in subject
    assert clean_subject(None) == ""


# ------------------------------------------------------------------ properties

any_text = st.text(st.characters(exclude_categories=()), max_size=200)
hostile_text = st.lists(st.one_of(printable, escape_sequence, st.sampled_from(list("\x1b\x9b\x9d\r\x00\x07\x7f\x85\u2028\ud800\udfff"))), max_size=12).map("".join)


@settings(max_examples=300)
@given(st.one_of(any_text, hostile_text), st.booleans(), st.one_of(st.none(), st.integers(0, 50)))
def test_output_has_no_escape_or_control(raw, single_line, max_length):
    out = clean_text(raw, single_line=single_line, max_length=max_length)
    assert "\x1b" not in out
    assert "\r" not in out
    assert not [ch for ch in out if is_forbidden(ch)]
    if single_line:
        assert "\n" not in out and "\t" not in out
        assert "  " not in out and out == out.strip(" ")
    if max_length is not None:
        assert len(out) <= max_length


@settings(max_examples=300)
@given(st.one_of(any_text, hostile_text), st.booleans(), st.one_of(st.none(), st.integers(0, 50)))
def test_idempotent(raw, single_line, max_length):
    once = clean_text(raw, single_line=single_line, max_length=max_length)
    assert clean_text(once, single_line=single_line, max_length=max_length) == once


@settings(max_examples=300)
@given(printable_with_layout)
def test_printable_text_is_unchanged(raw):
    assert clean_text(raw) == raw


@settings(max_examples=300)
@given(st.lists(st.tuples(printable, st.one_of(st.just(""), escape_sequence)), max_size=8))
def test_sequences_vanish_and_only_them(chunks):
    raw = "".join(text + seq for text, seq in chunks)
    assert clean_text(raw) == "".join(text for text, _seq in chunks)


def test_long_hostile_input_is_linear():
    # Many unterminated string introducers must not make the scan quadratic.
    raw = ("\x1b]" + "a" * 50) * 20_000
    out = clean_text(raw)
    assert out == "a" * 50 * 20_000


def test_bidi_overrides_and_invisible_characters_are_shown_not_obeyed():
    """Issue 12.6 ("Trojan Source"): an override that would make "exe.txt" read as
    "txt.exe", a zero-width space hiding inside a word, a BOM: each is a visible tag.
    Right-to-left text itself, and the joiners scripts and emoji need, are kept."""
    assert clean_subject("invoice\u202etxt.exe") == "invoice⟨U+202E⟩txt.exe"
    assert clean_text("pass\u200bword \u2066x\u2069 \ufeff") == "pass⟨U+200B⟩word ⟨U+2066⟩x⟨U+2069⟩ ⟨U+FEFF⟩"
    kept = "שלום \u200f עולם 👩\u200d💻 می\u200cخواهم"
    assert clean_text(kept) == kept
    once = clean_text("a\u202eb")
    assert clean_text(once) == once  # idempotent


def test_is_email_accepts_addresses_and_refuses_typos():
    from deskui.domain.text import is_email

    for good in ("ana.ruiz@northwind.example", "it+desk@sub.northwind.co.uk", "zoë@exämple.de", "a@b.io"):
        assert is_email(good), good
    for bad in ("", "ana", "ana@", "@northwind.example", "ana@northwind", "ana@@northwind.example",
                "ana ruiz@northwind.example", "ana@northwind..example", "ana@-northwind.example",
                "<ana@northwind.example>", "ana@northwind.example "):
        assert not is_email(bad), bad
