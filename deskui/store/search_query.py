"""The search query language, as pure Python (DESIGN.md §2 "Knowledge").

What a user types is data, never query syntax. :func:`parse_query` reduces it
to alphanumeric tokens, and the engine expressions (FTS5 ``MATCH`` and
PostgreSQL ``to_tsquery`` operands) are built from those tokens only, so no
input can raise a syntax error:

- words become a ranked OR (stop words such as "the" and "my" are dropped
  unless nothing else is left);
- ``"quoted phrases"`` must match as phrases (they are required);
- ``word*`` is a prefix search;
- ``wi-fi`` / ``outlook.exe`` (words joined by ``-`` or ``.``) match either
  as the phrase "wi fi" or as the single word "wifi";
- diacritics are folded ("résumé" finds "resume" and the other way round).

Nothing here touches a database: deskui.store.search and
deskui.store.search_rank run the expressions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Sequence

from deskui.domain.text import cjk_bigrams, has_cjk

#: Most distinct terms one query uses (a long ticket description keeps its first words).
MAX_TERMS = 32

# A small English stop list: words that carry no topic in a ticket subject.
STOP_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being below
    between both but by can cannot could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves
    don doesn didn isn aren wasn weren won wouldn couldn shouldn hasn haven hadn ve ll re
    hi hello please thanks thank regards dear
    """.split()
)

_TOKEN = re.compile(r"[^\W_]+")
# English contractions: "user's" -> "user", "can't" -> "can", "we're" -> "we".
_CONTRACTION = re.compile(r"(?<=[^\W_])['\u2019](?:s|t|re|ve|ll|d|m)(?![^\W_])", re.IGNORECASE)
# Words joined by these (wi-fi, outlook.exe, 10.0.0.1) form one compound.
_COMPOUND_JOINERS = frozenset("-.")


# The kana voicing marks are letters' parts, not diacritics: が is not か (and neither
# index strips them).
_KEEP_MARKS = frozenset("\u3099\u309a")


def fold(text: str) -> str:
    """Lower-case and strip diacritics (NFD, drop combining marks but the kana voicing marks)."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text.lower())
    folded = "".join(ch for ch in decomposed if ch in _KEEP_MARKS or not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", folded) if has_cjk(folded) else folded


# --------------------------------------------------------------------- parsing

@dataclass(frozen=True)
class Term:
    """One search item: a word (one token), a phrase, or a compound.

    ``tokens`` are folded alphanumeric tokens. A phrase matches the tokens in
    order; a compound (``wi-fi``) matches the phrase or the tokens written as
    one word. ``prefix`` makes the last token a prefix.
    """

    tokens: tuple[str, ...]
    prefix: bool = False
    compound: bool = False

    @property
    def is_word(self) -> bool:
        return len(self.tokens) == 1


@dataclass(frozen=True)
class ParsedQuery:
    words: tuple[Term, ...]    # optional, ranked (OR)
    phrases: tuple[Term, ...]  # required ("quoted")

    @property
    def empty(self) -> bool:
        return not self.words and not self.phrases


def _chunk_terms(chunk: str) -> list[Term]:
    """The terms of one whitespace-separated chunk of unquoted text."""
    if chunk.isalnum():  # the common case: one plain word
        return [Term((fold(chunk),))]
    chunk = _CONTRACTION.sub("", chunk)
    matches = list(_TOKEN.finditer(chunk))
    if not matches:
        return []
    terms: list[Term] = []
    group: list[str] = []
    for index, match in enumerate(matches):
        group.append(fold(match.group()))
        following = chunk[match.end():matches[index + 1].start()] if index + 1 < len(matches) else chunk[match.end():]
        last = index + 1 == len(matches)
        joined = not last and len(following) == 1 and following in _COMPOUND_JOINERS
        if joined:
            continue
        prefix = following.startswith("*")
        terms.append(Term(tuple(group), prefix=prefix, compound=len(group) > 1))
        group = []
    return terms


def is_stop(term: Term) -> bool:
    if not term.is_word:
        return False
    token = term.tokens[0]
    return token in STOP_WORDS or (len(token) == 1 and not token.isdigit() and not term.prefix
                                   and not has_cjk(token))


def dedupe_terms(terms: Sequence[Term]) -> list[Term]:
    seen: set[Term] = set()
    out = []
    for term in terms:
        if term not in seen:
            seen.add(term)
            out.append(term)
    return out


def phrase_term(text: str) -> Term | None:
    tokens = tuple(fold(t) for t in _TOKEN.findall(_CONTRACTION.sub("", text)))
    if not tokens:
        return None
    prefix = text.rstrip().endswith("*")
    return Term(tokens, prefix=prefix)


def word_terms(chunks: Sequence[str], *, drop_stop_words: bool = True) -> list[Term]:
    terms = dedupe_terms([t for chunk in chunks for t in _chunk_terms(chunk)])
    if drop_stop_words:
        content = [t for t in terms if not is_stop(t)]
        if content:  # a query of only stop words still searches for them
            terms = content
    return terms[:MAX_TERMS]


def parse_query(text: str) -> ParsedQuery:
    """Split free text into ranked words and required "quoted phrases".

    An unbalanced quote is ignored (its text is read as words).
    """
    text = cjk_bigrams(text or "")  # as the indexes store Chinese and Japanese text
    parts = text.split('"')
    if len(parts) % 2 == 0:  # odd number of quotes: the last one opens nothing
        parts[-2:] = [parts[-2] + " " + parts[-1]]
    word_chunks: list[str] = []
    phrases: list[Term] = []
    for index, part in enumerate(parts):
        if index % 2:
            term = phrase_term(part)
            if term is not None:
                phrases.append(term)
        else:
            word_chunks.extend(part.split())
    return ParsedQuery(words=tuple(word_terms(word_chunks)), phrases=tuple(dedupe_terms(phrases)[:MAX_TERMS]))


# ------------------------------------------------------- engine expressions

def _fts5_phrase(tokens: Sequence[str], prefix: bool) -> str:
    # Tokens are alphanumeric: quoting them cannot produce FTS5 syntax.
    return '"' + " ".join(tokens) + '"' + ("*" if prefix else "")


def fts5_term(term: Term) -> str:
    phrase = _fts5_phrase(term.tokens, term.prefix)
    if term.compound:
        return f'({phrase} OR {_fts5_phrase(("".join(term.tokens),), term.prefix)})'
    return phrase


def fts5_or(query: ParsedQuery) -> str:
    """An FTS5 expression: required phrases AND a ranked OR of everything.

    Phrases appear inside the OR too so that the OR group is always satisfied
    when they match: the words then only rank, they don't filter.
    """
    everything = " OR ".join(fts5_term(t) for t in (*query.phrases, *query.words))
    if not query.phrases:
        return everything
    required = " AND ".join(fts5_term(t) for t in query.phrases)
    return f"{required} AND ({everything})"


def fts5_and(terms: Sequence[Term]) -> str:
    """Every term must match (FTS5 implicit AND)."""
    return " AND ".join(fts5_term(t) for t in terms)


def _tsquery_phrase(tokens: Sequence[str], prefix: bool) -> str:
    body = " <-> ".join(tokens)
    return body + (":*" if prefix else "")


def tsquery_term(term: Term) -> str:
    """A to_tsquery() operand. Tokens are alphanumeric, so no syntax from input."""
    phrase = _tsquery_phrase(term.tokens, term.prefix)
    if term.compound:
        return f"({phrase} | {_tsquery_phrase(('' .join(term.tokens),), term.prefix)})"
    return f"({phrase})" if len(term.tokens) > 1 else phrase


def tsquery_or(terms: Sequence[Term]) -> str:
    return " | ".join(tsquery_term(t) for t in terms)


def tsquery_and(terms: Sequence[Term]) -> str:
    return " & ".join(tsquery_term(t) for t in terms)
