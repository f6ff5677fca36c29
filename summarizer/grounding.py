"""Grounding: finding where a quote stands in the article.

A quote is *grounded* when ``locate(quote, source)`` returns a ``Span`` such that ``source[start:end]``
is the located text. Three passes, first hit wins:

``exact``
    the quote is a substring of the source, character for character;
``normalized``
    equal after folding case, runs of white space, curly vs straight quotes and apostrophes,
    dashes and ellipses (and trimming quote marks or ellipses the model wrapped around it);
``fuzzy``
    the best-aligned window of the normalised source scores at least ``FUZZY_THRESHOLD`` (0-100),
    the quote is long enough for a score to mean something, and both sides agree on negation
    ("will not participate" never grounds in "will participate").

Offsets always index the original, unnormalised text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

MatchKind = Literal["exact", "normalized", "fuzzy"]

FUZZY_THRESHOLD = 90.0
FUZZY_MIN_CHARS = 24

_CHAR_MAP = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
}  # fmt: skip
_ELLIPSIS = "\u2026"
_TRIM = " \t\r\n\"'.,;:" + _ELLIPSIS
_NEGATIONS = re.compile(r"\b(?:not|no|never|nor|without|cannot|won't|none|neither|refuse[sd]?|reject(?:s|ed)?)\b|n't\b")
_NOT = frozenset({"not", "n't", "won't", "cannot"})  # one negation however it is spelt


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    match: MatchKind


@lru_cache(maxsize=64)  # an article is normalised once, however many of its quotes need it
def normalize(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` for comparison; return it with, for each output character, its source index."""
    out: list[str] = []
    index: list[int] = []
    pending_space = -1
    for i, ch in enumerate(text):
        if ch.isspace():
            if pending_space < 0:
                pending_space = i
            continue
        if pending_space >= 0:
            if out:
                out.append(" ")
                index.append(pending_space)
            pending_space = -1
        folded = "..." if ch == _ELLIPSIS else _CHAR_MAP.get(ch, ch).casefold()
        for f in folded:
            out.append(f)
            index.append(i)
    return "".join(out), index


def _trim(quote: str) -> str:
    return quote.strip(_TRIM) or quote.strip()


def _negations(text: str) -> list[str]:
    """The negations ``text`` holds ("didn't", "can't" and "won't" count as "not")."""
    return sorted("not" if word in _NOT else word for word in _NEGATIONS.findall(text))


def _same(a: str, b: str) -> bool:
    return _CHAR_MAP.get(a, a).casefold() == _CHAR_MAP.get(b, b).casefold()


def _with_tail(source: str, end: int, quote: str) -> int:
    """``end`` moved over the punctuation the quote ends with (a period, a closing quote mark), as far
    as the source has the same characters there: a span never holds characters the quote lacks."""
    tail = quote[len(quote.rstrip(_TRIM)) :]
    for ch in tail:
        if ch.isspace() or end >= len(source) or not _same(source[end], ch):
            break
        end += 1
    return end


def _find_whole_words(haystack: str, needle: str) -> int:
    """First occurrence of ``needle`` that does not start or end inside a word ("UK" is not in "Ukraine")."""
    at = haystack.find(needle)
    while at >= 0:
        end = at + len(needle)
        cut_left = at > 0 and needle[0].isalnum() and haystack[at - 1].isalnum()
        cut_right = end < len(haystack) and needle[-1].isalnum() and haystack[end].isalnum()
        if not (cut_left or cut_right):
            return at
        at = haystack.find(needle, at + 1)
    return -1


def locate(quote: str, source: str) -> Span | None:
    """Where ``quote`` stands in ``source``, or None when it cannot be grounded."""
    if not quote or not quote.strip():
        return None
    at = _find_whole_words(source, quote)
    if at >= 0:
        return Span(at, at + len(quote), "exact")

    norm_source, index = normalize(source)
    norm_quote, _ = normalize(_trim(quote))
    if not norm_quote:
        return None
    at = _find_whole_words(norm_source, norm_quote)
    if at >= 0:
        end = index[at + len(norm_quote) - 1] + 1
        return Span(index[at], _with_tail(source, end, quote), "normalized")

    if len(norm_quote) < FUZZY_MIN_CHARS or not norm_source:
        return None
    from rapidfuzz import fuzz  # imported when first needed: most quotes are found before this, and the
    # commands that only check exact quotes (eval --lint) then start without it

    found = fuzz.partial_ratio_alignment(norm_quote, norm_source, score_cutoff=FUZZY_THRESHOLD)
    if found is None or found.dest_end <= found.dest_start:
        return None
    lo, hi = _snap(norm_source, norm_quote, found.dest_start, found.dest_end)
    if _negations(norm_source[_context_start(norm_source, norm_quote, lo) : hi]) != _negations(norm_quote):
        return None  # a negation just before the window counts: "does not agree" never grounds "did agree"
    start, end = index[lo], index[hi - 1] + 1
    while start > 0 and source[start - 1].isalnum() and source[start].isalnum():
        start -= 1
    while end < len(source) and source[end].isalnum() and source[end - 1].isalnum():
        end += 1
    return Span(start, _with_tail(source, end, quote), "fuzzy")


def _context_start(text: str, quote: str, at: int, words: int = 3) -> int:
    """Where the negation check starts: the window itself when it begins with the quote's first word,
    else up to ``words`` words before it (the aligner may have left out the words that negate it)."""
    if text.startswith(quote.split()[0], at):
        return at
    for _ in range(words):
        at = text.rfind(" ", 0, max(at - 1, 0)) + 1  # no space before: the text's start (-1 + 1)
    return at


def _snap(text: str, quote: str, lo: int, hi: int) -> tuple[int, int]:
    """Widen an aligned window so it starts at the quote's first word and ends at its last."""
    words = quote.split()
    first, last = words[0], words[-1]
    at = text.rfind(first, max(0, lo - len(first) - 2), lo + len(first) + 1)
    if 0 <= at < lo:
        lo = at
    at = text.find(last, max(lo, hi - len(last) - 1), hi + len(last) + 2)
    if at >= 0 and at + len(last) > hi:
        hi = at + len(last)
    while lo < hi and text[lo] == " ":
        lo += 1
    while hi > lo and text[hi - 1] == " ":
        hi -= 1
    return lo, hi
