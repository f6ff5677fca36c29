"""Chunking: summarising an article longer than the input budget (``--max-input-tokens``) in pieces.

A *chunk* is a contiguous slice of the article, ``article[start:start + len(text)]``, of at most
``max_input_tokens`` article tokens (counted offline; the instructions and schema add a fixed
overhead per call on top, see ``benchmarks/token_overhead.py``). ``split`` cuts on paragraph
boundaries (blank lines) and packs whole paragraphs into chunks; only a paragraph that is itself over
budget is cut between sentences, a sentence over budget between words, a word over budget anywhere.

``asummarize_chunked`` summarises the chunks concurrently (each one an ordinary ``arun`` call with
its own grounding and re-asks) and merges the results:

- actors are unified case-insensitively (the first spelling wins; a missing affiliation or an
  ``other`` type is filled in from a later chunk), and every reference is rewritten to that spelling;
- items of the same category that are duplicates (same actors and stance or type, and free text
  with ``rapidfuzz.token_set_ratio`` at least ``DUPLICATE_THRESHOLD``) are merged into one, with the
  union of their evidence and of their list fields;
- evidence offsets are mapped back into the whole article by adding the chunk's start (and are
  checked: ``article[start:end] == quote`` for every quote);
- the summary is the first sentence of each chunk's summary, at most three sentences;
- metadata counts every attempt of every chunk, failed ones included, and ``chunks`` is their number.

A chunk whose call fails is a warning in ``metadata.warnings`` naming the chunk, its character range
and the error, never a silent loss; under ``strict`` it is the error. If every chunk fails, the first
chunk's error is raised. ``summarize_chunked`` is the same for a sync ``Engine`` (chunks run in
threads).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import re
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from rapidfuzz import fuzz

from summarizer import __version__, prompting, tokens, transport
from summarizer.checks import references
from summarizer.client import Engine
from summarizer.errors import InputError, SummarizerError
from summarizer.grounding import locate
from summarizer.orchestrator import DEFAULT_REASKS, arun, check_article, run
from summarizer.schema import CATEGORIES, ArticleSummary, RunMetadata

DUPLICATE_THRESHOLD = 85.0
DEFAULT_CHUNK_CONCURRENCY = 4
SUMMARY_SENTENCES = 3

_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
_WORD = re.compile(r"\s+")
_LEVELS = (_PARAGRAPH, _SENTENCE, _WORD)

# the free-text field compared to find duplicates, and the fields that must agree exactly
_TEXT = {"positions": "topic", "proposals": "proposal", "risks": "risk", "support_commitments": "description"}
_SAME = {
    "positions": ("actor", "stance"),
    "proposals": ("proposer",),
    "risks": ("raised_by",),
    "support_commitments": ("provider", "recipient", "support_type"),
}
_LISTS = {"proposals": ("addressees",), "risks": ("affected",), "support_commitments": ("conditions",)}


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
    if any(a[f] != b[f] for f in _SAME[category]):
        return False
    spans_a = {(e["start"], e["end"]) for e in a["evidence"]}
    if spans_a & {(e["start"], e["end"]) for e in b["evidence"]}:
        return True
    text = _TEXT[category]
    return bool(fuzz.token_set_ratio(a[text].casefold(), b[text].casefold()) >= DUPLICATE_THRESHOLD)


def _absorb(category: str, kept: dict[str, Any], item: dict[str, Any]) -> None:
    spans = {(e["start"], e["end"]) for e in kept["evidence"]}
    kept["evidence"] += [e for e in item["evidence"] if (e["start"], e["end"]) not in spans]
    kept["evidence"].sort(key=lambda e: (e["start"], e["end"]))
    for field in _LISTS.get(category, ()):
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
    for category in CATEGORIES:
        kept: list[dict[str, Any]] = []
        for chunk, summary in parts:
            for item in getattr(summary, category):
                data = item.model_dump()
                for field in {f for f, _ in references(category, item)}:
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


# --------------------------------------------------------------------------- summarising


def _assemble(
    engine: Engine,
    article: str,
    chunks: list[Chunk],
    outcomes: Sequence[ArticleSummary | BaseException],
    books: transport.CallStats,
    started: float,
    strict: bool,
) -> ArticleSummary:
    n = len(chunks)
    parts: list[tuple[Chunk, ArticleSummary]] = []
    warnings: list[str] = []
    first_error: SummarizerError | None = None
    for chunk, outcome in zip(chunks, outcomes, strict=True):
        where = f"chunk {chunk.index + 1}/{n} (characters {chunk.start}-{chunk.end})"
        if isinstance(outcome, ArticleSummary):
            parts.append((chunk, outcome))
            warnings += [f"chunk {chunk.index + 1}/{n}: {w}" for w in outcome.metadata.warnings]
            continue
        if not isinstance(outcome, Exception):
            raise outcome  # cancellation and the like are not a chunk's failure
        error = outcome if isinstance(outcome, SummarizerError) else SummarizerError(f"{type(outcome).__name__}: {outcome}")
        if strict:
            raise error
        first_error = first_error or error
        warnings.append(f"{where} failed and is missing from the result: {type(error).__name__}: {error}")
    if not parts:
        assert first_error is not None
        raise first_error
    content, merged = merge(article, parts)
    metadata = RunMetadata(
        model=engine.settings.model,
        base_url_host=engine.base_url_host,
        mode=engine.mode,
        prompt_version=prompting.prompt_version(),
        article_sha256=hashlib.sha256(article.encode("utf-8")).hexdigest(),
        attempts=books.attempts,
        usage=books.usage,
        latency_ms=int((time.monotonic() - started) * 1000),
        warnings=warnings + merged,
        chunks=n,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        package_version=__version__,
    )
    return ArticleSummary(**content, metadata=metadata)


def _label(label: str, chunk: Chunk) -> str:
    return f"{label}#{chunk.index + 1}" if label else f"chunk-{chunk.index + 1}"


async def asummarize_chunked(
    engine: Engine,
    text: object,
    *,
    max_input_tokens: int,
    strict: bool = False,
    max_reasks: int = DEFAULT_REASKS,
    label: str = "",
    concurrency: int = DEFAULT_CHUNK_CONCURRENCY,
) -> ArticleSummary:
    """Summarise with a ready async ``Engine``, in chunks when the article is over budget."""
    article = check_article(text)
    chunks = split(article, max_input_tokens, engine.settings.model)
    if len(chunks) <= 1:
        return await arun(engine, article, strict=strict, max_reasks=max_reasks, label=label)
    books = transport.CallStats(label=label, prompt_version=prompting.prompt_version())
    started = time.monotonic()
    limit = asyncio.Semaphore(max(1, concurrency))

    async def one(chunk: Chunk) -> ArticleSummary:
        async with limit:
            return await arun(engine, chunk.text, strict=strict, max_reasks=max_reasks, label=_label(label, chunk))

    with transport.tracking(books):
        outcomes = await asyncio.gather(*(one(c) for c in chunks), return_exceptions=True)
    return _assemble(engine, article, chunks, outcomes, books, started, strict)


def summarize_chunked(
    engine: Engine,
    text: object,
    *,
    max_input_tokens: int,
    strict: bool = False,
    max_reasks: int = DEFAULT_REASKS,
    label: str = "",
    concurrency: int = DEFAULT_CHUNK_CONCURRENCY,
) -> ArticleSummary:
    """Summarise with a ready sync ``Engine``, in chunks (run in threads) when over budget."""
    article = check_article(text)
    chunks = split(article, max_input_tokens, engine.settings.model)
    if len(chunks) <= 1:
        return run(engine, article, strict=strict, max_reasks=max_reasks, label=label)
    books = transport.CallStats(label=label, prompt_version=prompting.prompt_version())
    started = time.monotonic()
    outcomes: list[ArticleSummary | BaseException] = []
    with transport.tracking(books), ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [
            pool.submit(
                contextvars.copy_context().run,
                run,
                engine,
                chunk.text,
                strict=strict,
                max_reasks=max_reasks,
                label=_label(label, chunk),
            )
            for chunk in chunks
        ]
        for future in futures:
            try:
                outcomes.append(future.result())
            except Exception as err:
                outcomes.append(err)
    return _assemble(engine, article, chunks, outcomes, books, started, strict)
