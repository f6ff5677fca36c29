"""Chunking: splitting on paragraph then sentence boundaries, concurrent chunk calls, and the merge."""

import asyncio
import itertools
import re
import threading
from pathlib import Path

import pytest
from openai_server import Answer, Fault, OpenAIServer, article_of

from summarizer import tokens
from summarizer.chunking import split
from summarizer.client import build_engine
from summarizer.config import Settings
from summarizer.errors import InputError, ProviderError
from summarizer.orchestrator import arun, run
from summarizer.transport import RetryPolicy

ROOT = Path(__file__).resolve().parent.parent
LONGEST = ROOT / "evals/articles/27_wh_gaza_ceasefire_bridging_proposal_call.txt"
MODEL = "test-model"
FAST = RetryPolicy(attempts=2, initial_wait=0.01, max_wait=0.05)
BUDGET = 800


@pytest.fixture
def article() -> str:
    return LONGEST.read_text(encoding="utf-8")


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0][:150]


class ChunkAnswers:
    """Answers each chunk with one shared actor (spelled one way in the first chunk, another way in
    the rest, typed ``other`` only in the first), one position that is the same across chunks, and
    one risk that is not."""

    def __init__(self, fail_if: str | None = None) -> None:
        self.fail_if = fail_if
        self.calls = itertools.count()
        self.lock = threading.Lock()

    def __call__(self, request: dict) -> Answer | Fault:
        chunk = article_of(request)
        if self.fail_if and self.fail_if in chunk:
            return Fault(400, body='{"error": {"message": "injected bad request"}}')
        with self.lock:
            n = next(self.calls)
        first = chunk.startswith("Via Teleconference")  # the article's first chunk
        name = "United States" if first else "UNITED STATES"
        quote = _first_sentence(chunk)
        return Answer({
            "summary": f"Part {n} of the call. More detail follows.",
            "actors": [{"name": name, "type": "other" if first else "state", "affiliation": None}],
            "positions": [{"actor": name, "topic": "the Gaza ceasefire deal", "stance": "support",
                           "statement": "The US backs the deal.", "evidence": [quote]}],
            "proposals": [],
            "risks": [{"risk": f"risk number {n}: {quote}", "raised_by": None, "affected": [name], "evidence": [quote]}],
            "support_commitments": [],
        })  # fmt: skip


def _engine(settings: Settings, is_async: bool = True):
    return build_engine(settings, is_async=is_async, retry=FAST, timeout=5.0)


# --------------------------------------------------------------------------- split


def test_every_chunk_is_a_slice_of_the_article_within_budget(article: str) -> None:
    chunks = split(article, BUDGET, MODEL)
    assert len(chunks) > 3
    for chunk in chunks:
        assert article[chunk.start : chunk.end] == chunk.text
        assert tokens.count(chunk.text, MODEL) <= BUDGET
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))
    # nothing but white space falls between chunks
    gaps = [article[a.end : b.start] for a, b in itertools.pairwise(chunks)]
    assert all(not gap.strip() for gap in gaps)


def test_chunks_end_on_paragraph_boundaries_when_paragraphs_fit(article: str) -> None:
    paragraphs = [p for p in re.split(r"\n\s*\n", article) if p.strip()]
    assert max(tokens.count(p, MODEL) for p in paragraphs) <= BUDGET
    for chunk in split(article, BUDGET, MODEL)[:-1]:
        assert article[chunk.end :].startswith("\n\n")


def test_a_paragraph_over_budget_is_split_between_sentences() -> None:
    paragraph = " ".join(f"Sentence number {i} says something about the talks." for i in range(60))
    text = "A short first paragraph.\n\n" + paragraph + "\n\nA short last paragraph."
    chunks = split(text, 100, MODEL)
    assert len(chunks) >= 5
    for chunk in chunks:
        assert tokens.count(chunk.text, MODEL) <= 100
        assert chunk.text.endswith(".")  # a sentence was never cut in the middle


def test_text_without_any_boundary_is_still_cut_within_budget() -> None:
    text = "x" * 5000
    chunks = split(text, 50, MODEL)
    assert "".join(c.text for c in chunks) == text
    assert all(tokens.count(c.text, MODEL) <= 50 for c in chunks)


def test_an_article_within_budget_is_one_chunk(seed_text: str) -> None:
    chunks = split(seed_text, 100_000, MODEL)
    assert len(chunks) == 1 and chunks[0].text == seed_text.strip()


def test_non_positive_budget_is_bad_usage() -> None:
    with pytest.raises(InputError):
        split("text", 0, MODEL)


# --------------------------------------------------------------------------- summarise and merge


async def test_longest_article_is_summarised_in_concurrent_chunks_and_merged(
    server: OpenAIServer, settings: Settings, article: str
) -> None:
    server.responder = ChunkAnswers()
    chunks = split(article, BUDGET, MODEL)
    summary = await arun(_engine(settings), article, max_input_tokens=BUDGET, label="long")
    m = summary.metadata
    assert m.chunks == len(chunks) == len(server.requests)
    assert m.attempts == len(chunks) and m.usage.total_tokens == 150 * len(chunks)
    assert m.warnings == []
    # actors unified case-insensitively, the better type kept, references rewritten to one spelling
    assert [(a.name, a.type) for a in summary.actors] == [("United States", "state")]
    assert {r.affected[0] for r in summary.risks} == {"United States"}
    # the same position from every chunk is one item carrying every chunk's evidence
    assert len(summary.positions) == 1
    evidence = summary.positions[0].evidence
    assert len(evidence) == len(chunks)
    # offsets point into the whole article, one quote inside each chunk
    for ev, chunk in zip(evidence, chunks, strict=True):
        assert article[ev.start : ev.end] == ev.quote
        assert chunk.start <= ev.start < ev.end <= chunk.end
    # distinct items stay distinct
    assert len(summary.risks) == len(chunks)
    assert summary.summary.count("Part") == 3  # at most three sentences


async def test_a_failed_chunk_is_a_warning_naming_it_not_a_silent_loss(
    server: OpenAIServer, settings: Settings, article: str
) -> None:
    chunks = split(article, BUDGET, MODEL)
    victim = chunks[2]
    server.responder = ChunkAnswers(fail_if=victim.text[:60])
    summary = await arun(_engine(settings), article, max_input_tokens=BUDGET)
    failed = [w for w in summary.metadata.warnings if "failed" in w]
    assert len(failed) == 1
    assert f"chunk 3/{len(chunks)}" in failed[0] and f"characters {victim.start}-{victim.end}" in failed[0]
    assert "ProviderError" in failed[0]
    assert len(summary.risks) == len(chunks) - 1
    assert summary.metadata.chunks == len(chunks)
    assert summary.metadata.attempts == len(chunks)  # the failed chunk's attempt is counted too


async def test_a_failed_chunk_under_strict_is_the_error(server: OpenAIServer, settings: Settings, article: str) -> None:
    server.responder = ChunkAnswers(fail_if=split(article, BUDGET, MODEL)[1].text[:60])
    with pytest.raises(ProviderError):
        await arun(_engine(settings), article, max_input_tokens=BUDGET, strict=True)


async def test_every_chunk_failing_raises_the_first_error(server: OpenAIServer, settings: Settings, article: str) -> None:
    server.responder = lambda request: Fault(400, body='{"error": {"message": "nope"}}')
    with pytest.raises(ProviderError, match="HTTP 400"):
        await arun(_engine(settings), article, max_input_tokens=BUDGET)


async def test_chunk_calls_are_bounded_by_concurrency(server: OpenAIServer, settings: Settings, article: str) -> None:
    inflight = peak = 0
    lock = threading.Lock()
    answers = ChunkAnswers()

    def responder(request: dict) -> Answer | Fault:
        nonlocal inflight, peak
        with lock:
            inflight += 1
            peak = max(peak, inflight)
        try:
            threading.Event().wait(0.05)
            return answers(request)
        finally:
            with lock:
                inflight -= 1

    server.responder = responder
    await arun(_engine(settings), article, max_input_tokens=BUDGET, chunk_concurrency=3)
    assert 1 < peak <= 3


def test_sync_wrapper_runs_chunks_and_merges_the_same_way(server: OpenAIServer, settings: Settings, article: str) -> None:
    server.responder = ChunkAnswers()
    summary = run(_engine(settings, is_async=False), article, max_input_tokens=BUDGET)
    chunks = split(article, BUDGET, MODEL)
    assert summary.metadata.chunks == len(chunks)
    assert summary.metadata.attempts == len(chunks)  # books nest across threads too
    assert len(summary.positions) == 1 and len(summary.positions[0].evidence) == len(chunks)


def test_article_within_budget_is_one_ordinary_call(server: OpenAIServer, settings: Settings, seed_text: str) -> None:
    server.responder = ChunkAnswers()
    summary = run(_engine(settings, is_async=False), seed_text, max_input_tokens=100_000)
    assert summary.metadata.chunks == 1 and len(server.requests) == 1


def test_chunked_call_can_run_inside_a_running_loop(server: OpenAIServer, settings: Settings, article: str) -> None:
    server.responder = ChunkAnswers()

    async def main() -> int:
        summary = await arun(_engine(settings), article, max_input_tokens=2000)
        return summary.metadata.chunks

    assert asyncio.run(main()) == len(split(article, 2000, MODEL)) > 1
