"""Sanitising untrusted text on the way in (DESIGN.md §3).

Subjects, bodies, mails and imported rows are data. Before they are stored we
remove everything a terminal would act on rather than print:

- ANSI / VT escape sequences: CSI (``ESC [`` or 8-bit ``0x9b``, with their
  parameters), OSC (``ESC ]`` ... terminated by BEL or ST), the DCS, SOS, PM
  and APC strings (``ESC P``/``X``/``^``/``_`` ... ST), and the short
  ``ESC`` + byte sequences (``ESC 7``, ``ESC ( B``, ``ESC c`` ...);
- C0 controls except newline and tab (NUL included), DEL and C1 controls;
- lone surrogates, which cannot be encoded as UTF-8 and would break storage
  or rendering.

``\\r\\n``, ``\\r`` and the Unicode line / paragraph separators become ``\\n``.
Bidirectional overrides, embeddings and isolates (which reorder what a reader
sees: "Trojan Source") and the invisible zero-width space, word joiner and BOM
are not obeyed but shown: each becomes a visible tag such as ``⟨U+202E⟩``
(:func:`show_invisible`; the TUI applies it to older stored text too). Joiners
that scripts and emoji need (ZWJ, ZWNJ) and the LRM/RLM marks stay.
Everything printable stays exactly as typed: emoji, CJK, right-to-left
scripts, and markup-looking text such as ``[bold red]x[/]`` (markup is never
interpreted; the TUI renders untrusted text as ``rich.text.Text``).

A string sequence (OSC, DCS, ...) without its terminator loses only its
introducer: the rest is kept as text rather than silently dropping the
remainder of a body.
"""

from __future__ import annotations

import re

SUBJECT_MAX_LENGTH = 300
# A ticket description or a comment body, in characters (README "Limits"): longer
# text is refused by the services, so every screen and `ticket show` stay fast.
BODY_MAX_LENGTH = 100_000

# Terminated strings. Payloads stop at ESC, BEL and C1 so a missing
# terminator cannot make the match run across later sequences (and the scan
# stays linear).
_PAYLOAD = r"[^\x07\x1b\x80-\x9f]*"
_ST = r"(?:\x1b\\|\x9c)"
_OSC = rf"(?:\x1b\]|\x9d){_PAYLOAD}(?:\x07|{_ST})"
_DCS_SOS_PM_APC = rf"(?:\x1b[PX^_]|[\x90\x98\x9e\x9f]){_PAYLOAD}{_ST}"
# CSI: parameter bytes, intermediate bytes, final byte (missing at the very
# end of a truncated sequence).
_CSI = r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
# Two-character (and nF: ESC, intermediates, final) escape sequences.
_SHORT = r"\x1b[\x20-\x2f]*[\x30-\x7e]"

_SEQUENCES = re.compile(f"{_OSC}|{_DCS_SOS_PM_APC}|{_CSI}|{_SHORT}")
_NEWLINES = re.compile("\r\n|[\r\u2028\u2029]")
# C0 except \t (09) and \n (0a), DEL, C1, lone surrogates.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_SPACE = re.compile("[ \t\n]+")
# Bidi embeddings/overrides (LRE RLE PDF LRO RLO), isolates (LRI RLI FSI PDI), and
# zero-width space, word joiner, BOM.
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")


def show_invisible(text: str) -> str:
    """``text`` with every bidi override and invisible character as a visible tag."""
    return _INVISIBLE.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text) if _INVISIBLE.search(text) else text


def clean_text(value: str | None, *, single_line: bool = False, max_length: int | None = None) -> str:
    """Return ``value`` with escape sequences and control characters removed.

    ``single_line`` turns newlines and tabs into spaces, collapses runs of
    spaces and trims both ends (for subjects, names, one-line fields).
    ``max_length`` cuts the result to at most that many characters.
    ``None`` gives ``""``. The function is idempotent.
    """
    if max_length is not None and max_length < 0:
        raise ValueError(f"max_length must be >= 0, not {max_length}")
    if not value:
        return ""
    text = str(value)
    text = _SEQUENCES.sub("", text)
    text = _NEWLINES.sub("\n", text)
    text = _CONTROLS.sub("", text)
    text = show_invisible(text)
    if single_line:
        text = _LINE_SPACE.sub(" ", text).strip(" ")
    if max_length is not None and len(text) > max_length:
        text = text[:max_length]
        if single_line:
            text = text.rstrip(" ")
    return text


def clean_subject(value: str | None) -> str:
    """A ticket subject: one line, at most 300 characters."""
    return clean_text(value, single_line=True, max_length=SUBJECT_MAX_LENGTH)


def check_body(value: str, field: str) -> str:
    """``value`` when it is within :data:`BODY_MAX_LENGTH` characters; else ValueError
    saying how long it is and the limit (the services turn it into a user error)."""
    if len(value) > BODY_MAX_LENGTH:
        raise ValueError(f"{field}: {len(value)} characters is over the limit of {BODY_MAX_LENGTH}; "
                         "attach long logs elsewhere and link them")
    return value


# name@domain: no spaces, one @, a domain of dot-separated labels (at least two),
# each starting and ending with a letter or digit.
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W_](?:[\w-]*[^\W_])?")


def is_email(value: str) -> bool:
    """True when ``value`` looks like an e-mail address (``name@domain.tld``)."""
    return bool(_EMAIL.fullmatch(value))


# ------------------------------------------------------------------ CJK for full-text search

#: Han (with the extensions), kana (without the middle dot and the double hyphen, which
#: are punctuation), the iteration marks and half-width katakana: scripts written
#: without spaces between words. The same ranges are in migration 0012's PostgreSQL
#: function ``deskui_cjk``.
CJK_RANGES = ("\u3005-\u3007\u3040-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
              "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002fa1f")
_CJK = re.compile(f"[{CJK_RANGES}]")
_CJK_RUN = re.compile(f"([{CJK_RANGES}]+)")
_CJK_INNER = re.compile(f"(?<=[{CJK_RANGES}])([{CJK_RANGES}])(?=[{CJK_RANGES}])")


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def cjk_bigrams(text: str | None) -> str | None:
    """``text`` with every run of Chinese or Japanese characters written as its
    overlapping two-character pieces ("打印机坏了" -> "打印 印机 机坏 坏了"), set apart
    from the letters around it; any other text is returned unchanged.

    Full-text engines take a run of such characters, written without spaces, as one
    word, so a ticket would only match an article with exactly the same run. As
    bigrams, texts sharing a two-character word match, on SQLite (the index triggers
    call this function as ``deskui_cjk``) and on PostgreSQL (the same rewrite in SQL
    feeds the tsvector), and a query is rewritten the same way. A lone character
    stays a one-character word."""
    if not text or not _CJK.search(text):
        return text
    return _CJK_INNER.sub(r"\1 \1", _CJK_RUN.sub(r" \1 ", text))
