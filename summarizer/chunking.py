"""Chunking: cutting an article longer than the input budget (``--max-input-tokens``) into chunks, and
merging the chunks' summaries back into one. Pure functions; the orchestrator runs the calls.

A *chunk* is a contiguous slice of the article, ``article[start:start + len(text)]``, of at most
``max_input_tokens`` article tokens (counted offline; the instructions and schema add a fixed
overhead per call on top, see ``benchmarks/token_overhead.py``). ``split`` cuts on paragraph
boundaries (blank lines) and packs whole paragraphs into chunks; only a paragraph that is itself over
budget is cut between sentences, a sentence over budget between words, a word over budget anywhere.

``merge`` unites the summaries of an article's chunks (each made by an ordinary call with its own
grounding and re-asks):

- actors are unified case-insensitively (the first spelling wins; a missing affiliation or an
  ``other`` type is filled in from a later chunk), and every reference is rewritten to that spelling;
- items of the same category that are duplicates (same actors and stance or type, and free text
  with ``rapidfuzz.token_set_ratio`` at least ``DUPLICATE_THRESHOLD``) are merged into one, with the
  union of their evidence and of their list fields;
- evidence offsets are mapped back into the whole article by adding the chunk's start (and are
  checked: ``article[start:end] == quote`` for every quote);
- the summary is the first sentence of each chunk's summary, at most three sentences.

The fields compared and united are the category table's (``schema.CATEGORY``: ``merge_text``,
``merge_same``, ``merge_lists``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from rapidfuzz import fuzz

from summarizer import tokens
from summarizer.categories import CATEGORY
from summarizer.errors import InputError
from summarizer.grounding import locate
from summarizer.schema import ArticleSummary

DUPLICATE_THRESHOLD = 85.0
SUMMARY_SENTENCES = 3

_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
_WORD = re.compile(r"\s+")
_LEVELS = (_PARAGRAPH, _SENTENCE, _WORD)


# --------------------------------------------------------------------------- splitting


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    text: str

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def _cuts(text: str, start: int, end: int, level: int) -> list[tuple[int, int]]:
    """``text[start:end]`` cut after each boundary of ``level`` (separators stay with the piece before)."""
    bounds = [m.end() for m in _LEVELS[level].finditer(text, start, end) if start < m.end() < end]
    return [(a, b) for a, b in pairwise([start, *bounds, end]) if b > a]


def _hard_cut(text: str, start: int, end: int, budget: int, model: str) -> list[tuple[int, int]]:
    """Cut anywhere: the longest prefix within budget, repeatedly (binary search on the end)."""
    out: list[tuple[int, int]] = []
    while start < end:
        lo, hi = start + 1, end
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if tokens.count(text[start:mid], model) <= budget:
                lo = mid
            else:
                hi = mid - 1
        out.append((start, lo))
        start = lo
    return out


def _pieces(text: str, start: int, end: int, level: int, budget: int, model: str) -> Iterator[tuple[int, int, int]]:
    """(start, end, tokens) of pieces within budget, as coarse as possible."""
    n = tokens.count(text[start:end], model)
    if n <= budget:
        yield start, end, n
        return
    if level == len(_LEVELS):
        for a, b in _hard_cut(text, start, end, budget, model):
            yield a, b, tokens.count(text[a:b], model)
        return
    for a, b in _cuts(text, start, end, level):
        yield from _pieces(text, a, b, level + 1, budget, model)


def _chunk(text: str, index: int, start: int, end: int) -> Chunk | None:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    body = piece.strip()
    return Chunk(index, start + lead, body) if body else None


def split(text: str, max_input_tokens: int, model: str) -> list[Chunk]:
    """The article as chunks of at most ``max_input_tokens`` tokens each, in order."""
    if max_input_tokens <= 0:
        raise InputError("--max-input-tokens must be positive")
    pieces = [p for a, b in _cuts(text, 0, len(text), 0) for p in _pieces(text, a, b, 1, max_input_tokens, model)]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(pieces):
        start, end, total = pieces[i]
        j = i + 1
        while j < len(pieces) and total + pieces[j][2] <= max_input_tokens:
            end, total = pieces[j][1], total + pieces[j][2]
            j += 1
        # token counts are nearly additive; confirm, and give back pieces until the chunk fits
        while j - 1 > i and tokens.count(text[start:end], model) > max_input_tokens:
            j -= 1
            end = pieces[j - 1][1]
        spans.append((start, end))
        i = j
    chunks = [_chunk(text, 0, a, b) for a, b in spans]
    return [Chunk(k, c.start, c.text) for k, c in enumerate(c for c in chunks if c is not None)]


# --------------------------------------------------------------------------- merging


def _shifted(article: str, chunk: Chunk, evidence: Sequence[Any]) -> list[dict[str, Any]]:
    out = []
    for ev in evidence:
        start, end = ev.start + chunk.start, ev.end + chunk.start
        if article[start:end] != ev.quote:  # cannot happen for a chunk sliced from the article; stay safe
            span = locate(ev.quote, article)
            if span is None:
                continue
            start, end = span.start, span.end
        out.append({"quote": article[start:end], "start": start, "end": end, "match": ev.match})
    return out


def _duplicate(category: str, a: dict[str, Any], b: dict[str, Any]) -> bool:
    if any(a[f] != b[f] for f in CATEGORY[category].merge_same):
        return False
    spans_a = {(e["start"], e["end"]) for e in a["evidence"]}
    if spans_a & {(e["start"], e["end"]) for e in b["evidence"]}:
        return True
    text = CATEGORY[category].merge_text
    return bool(fuzz.token_set_ratio(a[text].casefold(), b[text].casefold()) >= DUPLICATE_THRESHOLD)


def _absorb(category: str, kept: dict[str, Any], item: dict[str, Any]) -> None:
    spans = {(e["start"], e["end"]) for e in kept["evidence"]}
    kept["evidence"] += [e for e in item["evidence"] if (e["start"], e["end"]) not in spans]
    kept["evidence"].sort(key=lambda e: (e["start"], e["end"]))
    for field in CATEGORY[category].merge_lists:
        folded = {v.casefold() for v in kept[field]}
        kept[field] += [v for v in item[field] if v.casefold() not in folded]


def _first_sentence(text: str) -> str:
    return _SENTENCE.split(text.strip(), maxsplit=1)[0].strip()


def merge(article: str, parts: Sequence[tuple[Chunk, ArticleSummary]]) -> tuple[dict[str, Any], list[str]]:
    """One article's content from its chunks' summaries; returns it with warnings about merges."""
    actors: dict[str, dict[str, Any]] = {}
    for _, summary in parts:
        for actor in summary.actors:
            fold = actor.name.casefold()
            if fold not in actors:
                actors[fold] = actor.model_dump()
                continue
            known = actors[fold]
            if known["affiliation"] is None and actor.affiliation:
                known["affiliation"] = actor.affiliation
            if known["type"] == "other" and actor.type != "other":
                known["type"] = actor.type

    def canonical(name: str) -> str:
        known = actors.get(name.casefold())
        return str(known["name"]) if known else name

    warnings: list[str] = []
    content: dict[str, Any] = {}
    for category in CATEGORY:
        kept: list[dict[str, Any]] = []
        for chunk, summary in parts:
            for item in getattr(summary, category):
                data = item.model_dump()
                for field in {f for f, _ in CATEGORY[category].names(item)}:
                    value = data[field]
                    data[field] = [canonical(v) for v in value] if isinstance(value, list) else canonical(value)
                data["evidence"] = _shifted(article, chunk, item.evidence)
                if not data["evidence"]:
                    warnings.append(f"{category}: dropped an item from chunk {chunk.index + 1} whose evidence moved")
                    continue
                twin = next((k for k in kept if _duplicate(category, k, data)), None)
                if twin is None:
                    kept.append(data)
                else:
                    _absorb(category, twin, data)
        content[category] = kept
    sentences = [s for s in (_first_sentence(summary.summary) for _, summary in parts) if s]
    content["summary"] = " ".join(sentences[:SUMMARY_SENTENCES])
    content["actors"] = list(actors.values())
    return content, warnings
