"""Chunking: splitting on paragraph then sentence boundaries, concurrent chunk calls, and the merge."""

import asyncio
import itertools
import re
import threading
from pathlib import Path

import pytest
from openai_server import Answer, Fault, OpenAIServer, article_of

from summarizer import tokens
from summarizer.chunking import Chunk, merge, split
from summarizer.client import build_engine
from summarizer.config import Settings
from summarizer.errors import InputError, ProviderError
from summarizer.orchestrator import arun, run
from summarizer.schema import ArticleSummary
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


# --------------------------------------------------------------------------- split: boundaries and budgets


def test_an_indented_or_blank_lined_article_still_maps_every_chunk_to_its_place() -> None:
    text = "\n\n   First paragraph opens here.\n\n\t  Second paragraph, indented.\n\n\n  Third one.  \n"
    for budget in (4, 8, 100):
        chunks = split(text, budget, MODEL)
        assert chunks and all(text[c.start : c.end] == c.text == c.text.strip() for c in chunks)
        assert " ".join(c.text for c in chunks).split() == text.split()


def test_blank_lines_are_never_a_chunk_of_their_own() -> None:
    paragraph = "NATO will not send troops to Ukraine."
    text = "\n\n\n" + paragraph
    chunks = split(text, tokens.count(paragraph, MODEL), MODEL)
    assert [(c.index, c.start, c.text) for c in chunks] == [(0, 3, paragraph)]


def test_a_paragraph_of_exactly_the_budget_is_not_cut() -> None:
    paragraph = "NATO will not send troops to Ukraine, its secretary general said on Tuesday"
    text = f"{paragraph}\n\nA second paragraph follows."
    chunks = split(text, tokens.count(f"{paragraph}\n\n", MODEL), MODEL)  # the blank line goes with it
    assert chunks[0].text == paragraph


def test_paragraphs_that_exactly_fill_the_budget_share_a_chunk() -> None:
    first, second = "NATO will not send troops.\n\n", "Poland is considering it."
    budget = tokens.count(first + second, MODEL)
    assert budget == tokens.count(first, MODEL) + tokens.count(second, MODEL)
    chunks = split(first + second + "\n\nA third paragraph.", budget, MODEL)
    assert chunks[0].text == first + second


def test_a_paragraph_over_budget_is_split_between_sentences() -> None:
    # sentences of uneven length: a cut that ignored sentence ends would not land on one by chance (with
    # sentences of one length, ten to a budget, any cut did)
    sentences = [f"Delegation {i} {'spoke at length about ' * (i % 5)}the talks." for i in range(40)]
    text = "A short first paragraph.\n\n" + " ".join(sentences)
    chunks = split(text, 60, MODEL)
    assert len(chunks) > 3
    for chunk in chunks:
        assert tokens.count(chunk.text, MODEL) <= 60
        assert chunk.text.startswith(("Delegation", "A short first paragraph.")) and chunk.text.endswith("the talks.")


def test_a_sentence_over_budget_is_cut_between_words() -> None:
    text = "Intro. " + " ".join(f"word{i}" for i in range(200)) + ". Outro."
    chunks = split(text, 30, MODEL)
    for chunk in chunks:
        assert tokens.count(chunk.text, MODEL) <= 30
        assert text[chunk.end : chunk.end + 1] in ("", " ")  # never inside a word


def test_a_word_over_budget_is_cut_into_the_longest_pieces_within_budget() -> None:
    word = "".join(f"{i:x}" for i in range(400))  # one long word without any break
    text = f"Before it. {word} After it."
    chunks = split(text, 25, MODEL)
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))  # no overlap
    assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")  # nothing lost, nothing twice
    inside = [c for c in chunks if c.text in word]
    assert len(inside) > 3
    for chunk in inside[:-1]:  # each piece would be over budget with one more character
        assert tokens.count(chunk.text, MODEL) <= 25 < tokens.count(text[chunk.start : chunk.end + 1], MODEL)


def test_a_character_over_budget_on_its_own_still_makes_progress() -> None:
    text = "🦀🦀🦀"  # three tokens each
    chunks = split(text, 1, MODEL)
    assert [c.text for c in chunks] == ["🦀", "🦀", "🦀"]


@pytest.mark.parametrize("model", [MODEL, "cl100k_base"])
def test_chunks_stay_within_budget_when_joining_sentences_costs_more_than_its_parts(model: str) -> None:
    # "   " then a number: the spaces join the number's token, so two pieces count more together
    for text in ("   ".join(f"Item {i} was agreed.   {10 + i} delegates voted." for i in range(6)),
                 "   ".join(f"Пункт {i} погоджено.   {10 + i} делегатів проголосували." for i in range(6))):  # fmt: skip
        for budget in range(8, 40):
            chunks = split(text, budget, model)
            assert all(tokens.count(c.text, model) <= budget for c in chunks), (text[:5], budget)
            assert "".join(c.text for c in chunks).replace(" ", "") == text.replace(" ", "")
            assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))


def test_tokens_are_counted_with_the_models_own_encoding() -> None:
    # cl100k (bpe-openai knows it by its encoding name) needs about twice o200k's tokens for Ukrainian
    sentence = "Україна просить союзників закрити небо над західними регіонами. "
    long_sentence = ("Україна просить союзників закрити небо над західними регіонами й розмістити системи "
                     "протиповітряної оборони в Польщі та Румунії")  # fmt: skip
    text = sentence * 3 + "\n\n" + sentence * 4 + "\n\n" + "Незалежність" * 30 + "\n\n" + long_sentence
    assert tokens.count(long_sentence, MODEL) <= 60 < tokens.count(long_sentence, "cl100k_base")
    assert tokens.count(sentence, "cl100k_base") > 1.5 * tokens.count(sentence, MODEL)
    for model in ("cl100k_base", MODEL):
        chunks = split(text, 60, model)
        assert all(tokens.count(c.text, model) <= 60 for c in chunks), model
    assert len(split(text, 60, "cl100k_base")) > len(split(text, 60, MODEL))


@pytest.mark.parametrize("budget", [0, -5])
def test_non_positive_budget_is_bad_usage_and_says_so(budget: int) -> None:
    with pytest.raises(InputError, match="^--max-input-tokens must be positive$"):
        split("text", budget, MODEL)


def test_a_budget_of_one_token_is_allowed() -> None:
    assert [c.text for c in split("a b", 1, MODEL)] == ["a", "b"]


# --------------------------------------------------------------------------- merge, piece by piece


def _summary(summary: str = "Part of the call.", actors: list[dict] | None = None, **items: list[dict]) -> ArticleSummary:
    meta = {"model": "m", "base_url_host": "h", "mode": "tools", "prompt_version": "p", "article_sha256": "x",
            "attempts": 1, "usage": {}, "latency_ms": 1, "warnings": [], "chunks": 1, "created_at": "t",
            "package_version": "0"}  # fmt: skip
    return ArticleSummary.model_validate({
        "summary": summary, "actors": actors if actors is not None else [NATO_ACTOR], "positions": [], "proposals": [],
        "risks": [], "support_commitments": [], "metadata": meta, **items,
    })  # fmt: skip


NATO_ACTOR = {"name": "NATO", "type": "organization", "affiliation": None}
SAME = "NATO will not send troops."
ARTICLE = f"Talks opened on Monday. {SAME}\n\nOn Friday the ministers met again. {SAME}"


def _chunks(article: str) -> tuple[Chunk, Chunk]:
    cut = article.index("\n\n") + 2
    return Chunk(0, 0, article[: cut - 2]), Chunk(1, cut, article[cut:])


def _position(chunk: Chunk, quote: str, topic: str = "sending troops", stance: str = "oppose", actor: str = "NATO") -> dict:
    at = chunk.text.index(quote) if quote in chunk.text else 0
    return {"actor": actor, "topic": topic, "stance": stance, "statement": "NATO will not send troops.",
            "evidence": [{"quote": quote, "start": at, "end": at + len(quote), "match": "exact"}]}  # fmt: skip


def test_the_same_quote_in_two_chunks_keeps_each_chunks_own_place() -> None:
    one, two = _chunks(ARTICLE)
    content, warnings = merge(ARTICLE, [(one, _summary(positions=[_position(one, SAME)])),
                                        (two, _summary(positions=[_position(two, SAME)]))])  # fmt: skip
    assert warnings == [] and len(content["positions"]) == 1
    spans = [(e["start"], e["end"]) for e in content["positions"][0]["evidence"]]
    first, second = ARTICLE.index(SAME), ARTICLE.rindex(SAME)
    assert spans == [(first, first + len(SAME)), (second, second + len(SAME))]
    assert all(ARTICLE[s:e] == SAME for s, e in spans)


def test_evidence_whose_offsets_do_not_fit_is_found_again_or_dropped_with_its_item() -> None:
    one, two = _chunks(ARTICLE)
    moved = _position(two, "Talks opened on Monday.", topic="the talks opening")  # quoted from chunk one's text
    moved["evidence"][0].update(start=5, end=28)  # offsets that point at something else
    lost = _position(two, "NATO will send troops.", topic="a made-up quote")  # in no chunk of the article
    kept = _position(two, SAME)
    kept["evidence"].insert(0, lost["evidence"][0])  # its other quote is lost, this one kept
    content, warnings = merge(ARTICLE, [(one, _summary()), (two, _summary(positions=[moved, lost, kept]))])
    assert [p["topic"] for p in content["positions"]] == ["the talks opening", "sending troops"]
    assert [e["quote"] for e in content["positions"][1]["evidence"]] == [SAME]
    assert content["positions"][0]["evidence"] == [{"quote": "Talks opened on Monday.", "start": 0, "end": 23,
                                                     "match": "exact"}]  # fmt: skip
    assert warnings == ["positions: dropped an item from chunk 2 whose evidence moved"]


def test_items_with_a_different_stance_are_not_duplicates() -> None:
    one, two = _chunks(ARTICLE)
    parts = [(one, _summary(positions=[_position(one, SAME)])),
             (two, _summary(positions=[_position(two, SAME, stance="support")]))]  # fmt: skip
    assert [p["stance"] for p in merge(ARTICLE, parts)[0]["positions"]] == ["oppose", "support"]


def test_items_sharing_a_quote_are_duplicates_whatever_their_wording() -> None:
    one, _ = _chunks(ARTICLE)
    parts = [(one, _summary(positions=[_position(one, SAME, topic="troops"), _position(one, SAME, topic="Monday")]))]
    assert [p["topic"] for p in merge(ARTICLE, parts)[0]["positions"]] == ["troops"]


@pytest.mark.parametrize(("topic", "merged"), [("sending troops to Ukraine", True), ("a no-fly zone", False)])
def test_duplicates_are_told_by_the_similarity_of_their_wording(topic: str, merged: bool) -> None:
    one, two = _chunks(ARTICLE)
    first = _position(one, "Talks opened on Monday.", topic="NATO sending troops to Ukraine")
    second = _position(two, SAME, topic=topic)
    positions = merge(ARTICLE, [(one, _summary(positions=[first])), (two, _summary(positions=[second]))])[0]["positions"]
    assert len(positions) == (1 if merged else 2)


def test_duplicates_at_exactly_the_threshold_are_merged() -> None:
    from rapidfuzz import fuzz

    from summarizer.chunking import DUPLICATE_THRESHOLD

    a, b = "abcdefghijklmnopqrst", "abcdefghijklmnopqXYZ"  # 17 of 20 characters in common: 2*17 / (20+20) = 85%
    assert fuzz.token_set_ratio(a, b) == DUPLICATE_THRESHOLD
    one, two = _chunks(ARTICLE)
    parts = [(one, _summary(positions=[_position(one, "Talks opened on Monday.", topic=a)])),
             (two, _summary(positions=[_position(two, SAME, topic=b)]))]  # fmt: skip
    assert len(merge(ARTICLE, parts)[0]["positions"]) == 1


def test_merged_duplicates_unite_their_evidence_in_order_and_their_lists_without_repeats() -> None:
    one, two = _chunks(ARTICLE)
    actors = [NATO_ACTOR, {"name": "Poland", "type": "state", "affiliation": None},
              {"name": "Romania", "type": "state", "affiliation": None}]  # fmt: skip

    def proposal(chunk: Chunk, quote: str, addressees: list[str]) -> dict:
        at = chunk.text.index(quote)
        return {"proposer": "NATO", "proposal": "keep troops out of Ukraine", "addressees": addressees,
                "status": "proposed", "evidence": [{"quote": quote, "start": at, "end": at + len(quote),
                                                    "match": "exact"}]}  # fmt: skip

    parts = [(two, _summary(actors=actors, proposals=[proposal(two, SAME, ["Poland"])])),
             (one, _summary(actors=actors, proposals=[proposal(one, SAME, ["poland", "Romania"])]))]  # fmt: skip
    (merged,) = merge(ARTICLE, parts)[0]["proposals"]
    assert merged["addressees"] == ["Poland", "Romania"]
    assert [e["start"] for e in merged["evidence"]] == [ARTICLE.index(SAME), ARTICLE.rindex(SAME)]


def test_actors_are_united_filling_what_the_first_spelling_left_open() -> None:
    one, two = _chunks(ARTICLE)
    first = [{"name": "NATO", "type": "other", "affiliation": None},
             {"name": "Jens Stoltenberg", "type": "person", "affiliation": None},
             {"name": "Poland", "type": "state", "affiliation": "EU"}]  # fmt: skip
    later = [{"name": "nato", "type": "organization", "affiliation": "the West"},
             {"name": "JENS STOLTENBERG", "type": "other", "affiliation": "NATO"},
             {"name": "poland", "type": "organization", "affiliation": "NATO"},
             {"name": "Romania", "type": "state", "affiliation": None}]  # fmt: skip
    content, _ = merge(ARTICLE, [(one, _summary(actors=first)), (two, _summary(actors=later))])
    assert content["actors"] == [
        {"name": "NATO", "type": "organization", "affiliation": "the West"},  # "other" and a missing affiliation filled
        {"name": "Jens Stoltenberg", "type": "person", "affiliation": "NATO"},  # a known type is kept
        {"name": "Poland", "type": "state", "affiliation": "EU"},  # a known affiliation is kept
        {"name": "Romania", "type": "state", "affiliation": None},
    ]


def test_references_take_the_first_spelling_and_an_unknown_name_is_kept_as_written() -> None:
    one, two = _chunks(ARTICLE)
    parts = [(one, _summary()), (two, _summary(actors=[], positions=[_position(two, SAME, actor="nato"),
                                                                      _position(two, SAME, actor="Hungary",
                                                                                stance="support")]))]  # fmt: skip
    assert [p["actor"] for p in merge(ARTICLE, parts)[0]["positions"]] == ["NATO", "Hungary"]


def test_the_summary_is_the_first_sentence_of_each_chunk_at_most_three() -> None:
    one, two = _chunks(ARTICLE)
    parts = [(one, _summary("One. More.")), (two, _summary("  ")), (one, _summary("Two! Else.")),
             (two, _summary("Three? Rest.")), (one, _summary("Four."))]  # fmt: skip
    assert merge(ARTICLE, parts)[0]["summary"] == "One. Two! Three?"
