"""The orchestrator: one article in, one validated ``ArticleSummary`` out. The only place that does so.

``run`` (sync) and ``arun`` (async) share every step but the network call:

1. check the input (``inputs.check_text``), render the prompt, open the call's books (``CallStats``);
2. the instructor call with ``ArticleBrief`` as response model, validated against the article
   (``checks.grounded_in``; not instructor's ``context=``, which would also template the prompt),
   so ungrounded quotes and unknown actors are re-asked with the precise error;
3. on success, or when re-asks run out with a schema-valid last answer, ``checks.finalize`` locates
   evidence and repairs or drops (with warnings); everything else becomes one ``SummarizerError``
   (``failures.handle``).

With ``max_input_tokens``, an article over budget is *chunked*: ``chunking.split`` cuts it, each chunk
is an ordinary call (concurrently: tasks for ``arun``, threads for ``run``), and ``chunking.merge``
unites the results. A chunk whose call fails is a warning naming the chunk, its character range and
the error, never a silent loss; under ``strict`` it is the error; if every chunk fails, the first
chunk's error is raised. Metadata counts every attempt of every chunk, failed ones included.

``metadata`` is the one builder of ``RunMetadata``. ``summarize`` / ``asummarize`` are the public
entry points: they build an ``Engine`` from keyword options (or take one) and call ``run`` / ``arun``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openai

from summarizer import accounting, chunking, failures, prompting
from summarizer.checks import RESPONSE_MODELS, finalize, grounded_in
from summarizer.client import Engine, build_engine
from summarizer.config import DEFAULT_CHUNK_CONCURRENCY, DEFAULT_REASKS, DEFAULT_TIMEOUT_S, Mode, Settings
from summarizer.errors import BudgetExceeded, SummarizerError
from summarizer.inputs import check_text
from summarizer.schema import ArticleSummary, Draft, RunMetadata
from summarizer.version import __version__


def metadata(
    engine: Engine, article: str, stats: accounting.CallStats, started: float, warnings: list[str], chunks: int = 1
) -> RunMetadata:
    """The program's part of a summary: what was asked, of whom, and what it cost."""
    return RunMetadata(
        model=engine.settings.model,
        base_url_host=engine.base_url_host,
        mode=engine.mode,
        prompt_version=stats.prompt_version,
        article_sha256=hashlib.sha256(article.encode("utf-8")).hexdigest(),
        attempts=stats.attempts,
        usage=stats.usage,
        usage_estimated=stats.estimated,
        latency_ms=int((time.monotonic() - started) * 1000),
        warnings=warnings,
        chunks=chunks,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        package_version=__version__,
    )


def _books(label: str) -> accounting.CallStats:
    return accounting.CallStats(label=label, prompt_version=prompting.prompt_version())


def _request(engine: Engine, article: str, max_reasks: int) -> dict[str, Any]:
    return {
        "model": engine.settings.model,
        "messages": prompting.render(article, engine.mode),
        "response_model": RESPONSE_MODELS[engine.mode],
        "max_retries": max_reasks,  # instructor: re-asks after the first attempt
        **engine.output_cap(),  # every request is bounded, so its worst-case cost is known before sending
    }


def _settle(engine: Engine, article: str, stats: accounting.CallStats, started: float, draft: Draft,
            strict: bool) -> ArticleSummary:  # fmt: skip
    content, warnings = finalize(draft, article, strict=strict)
    return ArticleSummary(**content, metadata=metadata(engine, article, stats, started, warnings))


def _failed(engine: Engine, err: Exception, article: str, stats: accounting.CallStats, strict: bool) -> Draft:
    return failures.handle(err, article=article, stats=stats, host=engine.base_url_host, model=engine.settings.model,
                           secret=engine.settings.api_key, strict=strict)  # fmt: skip


def _one(engine: Engine, article: str, strict: bool, max_reasks: int, label: str) -> ArticleSummary:
    stats, started = _books(label), time.monotonic()
    with accounting.tracking(stats), grounded_in(article):
        try:
            draft: Draft = engine.client.chat.completions.create(**_request(engine, article, max_reasks))
        except Exception as err:
            draft = _failed(engine, err, article, stats, strict)
    return _settle(engine, article, stats, started, draft, strict)


async def _aone(engine: Engine, article: str, strict: bool, max_reasks: int, label: str) -> ArticleSummary:
    stats, started = _books(label), time.monotonic()
    with accounting.tracking(stats), grounded_in(article):
        try:
            draft: Draft = await engine.client.chat.completions.create(**_request(engine, article, max_reasks))
        except Exception as err:
            draft = _failed(engine, err, article, stats, strict)
    return _settle(engine, article, stats, started, draft, strict)


# --------------------------------------------------------------------------- chunked


def _chunk_label(label: str, chunk: chunking.Chunk) -> str:
    return f"{label}#{chunk.index + 1}" if label else f"chunk-{chunk.index + 1}"


def _assemble(
    engine: Engine, article: str, chunks: list[chunking.Chunk], outcomes: Sequence[ArticleSummary | BaseException],
    books: accounting.CallStats, started: float, strict: bool,
) -> ArticleSummary:  # fmt: skip
    n = len(chunks)
    parts: list[tuple[chunking.Chunk, ArticleSummary]] = []
    warnings: list[str] = []
    first_error: SummarizerError | None = None
    for chunk, outcome in zip(chunks, outcomes, strict=True):
        if isinstance(outcome, ArticleSummary):
            parts.append((chunk, outcome))
            warnings += [f"chunk {chunk.index + 1}/{n}: {w}" for w in outcome.metadata.warnings]
            continue
        if not isinstance(outcome, Exception):
            raise outcome  # cancellation and the like are not a chunk's failure
        error = outcome if isinstance(outcome, SummarizerError) else SummarizerError(f"{type(outcome).__name__}: {outcome}")
        if strict or isinstance(error, BudgetExceeded):  # a brief missing chunks for want of budget is not a brief
            raise error
        first_error = first_error or error
        warnings.append(f"chunk {chunk.index + 1}/{n} (characters {chunk.start}-{chunk.end}) failed and is "
                        f"missing from the result: {type(error).__name__}: {error}")  # fmt: skip
    if not parts:
        assert first_error is not None
        raise first_error
    content, merged = chunking.merge(article, parts)
    return ArticleSummary(**content, metadata=metadata(engine, article, books, started, warnings + merged, n))


def _chunks(engine: Engine, article: str, max_input_tokens: int | None) -> list[chunking.Chunk]:
    if max_input_tokens is None:
        return []
    return chunking.split(article, max_input_tokens, engine.settings.model)


ChunkProgress = Callable[[int, int, str | None], None]
"""Called as each chunk ends: (chunks done, chunks in all, the error of a failed chunk or None)."""


def _in_threads(calls: Sequence[Callable[[], ArticleSummary]], concurrency: int,
                progress: ChunkProgress | None) -> list[ArticleSummary | BaseException]:  # fmt: skip
    """Run ``calls`` on daemon threads, ``concurrency`` at a time; each one's result or exception.

    Daemon threads and an interruptible wait, so Ctrl-C ends a chunked run at once: the main thread
    raises ``KeyboardInterrupt``, no further chunk starts, and the process does not wait for the
    chunks in flight (``concurrent.futures`` would join them at exit).
    """
    outcomes: list[ArticleSummary | BaseException | None] = [None] * len(calls)
    pending = iter(range(len(calls)))
    lock, stop = threading.Lock(), threading.Event()
    done = 0

    def worker() -> None:
        nonlocal done
        while not stop.is_set():
            with lock:
                index = next(pending, None)
            if index is None:
                return
            try:
                outcomes[index] = calls[index]()
            except BaseException as err:
                outcomes[index] = err
            with lock:
                done += 1
                failed = outcomes[index]
                if progress is not None:
                    progress(done, len(calls), str(failed) if isinstance(failed, BaseException) else None)

    threads = [threading.Thread(target=contextvars.copy_context().run, args=(worker,), daemon=True,
                                name=f"summarizer-chunk-{n}") for n in range(max(1, min(concurrency, len(calls))))]  # fmt: skip
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)  # short waits: a signal is handled between them
    except BaseException:
        stop.set()
        raise
    return [o if o is not None else RuntimeError("chunk did not run") for o in outcomes]


def run(
    engine: Engine, text: object, *, strict: bool = False, max_reasks: int = DEFAULT_REASKS, label: str = "",
    max_input_tokens: int | None = None, chunk_concurrency: int = DEFAULT_CHUNK_CONCURRENCY,
    progress: ChunkProgress | None = None,
) -> ArticleSummary:  # fmt: skip
    """Summarise with a ready sync ``Engine``; in chunks (run in threads) when over ``max_input_tokens``."""
    article = check_text(text)
    chunks = _chunks(engine, article, max_input_tokens)
    if len(chunks) <= 1:
        return _one(engine, article, strict, max_reasks, label)
    books, started = _books(label), time.monotonic()
    calls = [functools.partial(_one, engine, c.text, strict, max_reasks, _chunk_label(label, c)) for c in chunks]
    with accounting.tracking(books):
        outcomes = _in_threads(calls, chunk_concurrency, progress)
    return _assemble(engine, article, chunks, outcomes, books, started, strict)


async def arun(
    engine: Engine, text: object, *, strict: bool = False, max_reasks: int = DEFAULT_REASKS, label: str = "",
    max_input_tokens: int | None = None, chunk_concurrency: int = DEFAULT_CHUNK_CONCURRENCY,
    progress: ChunkProgress | None = None,
) -> ArticleSummary:  # fmt: skip
    """Summarise with a ready async ``Engine``; in concurrent chunks when over ``max_input_tokens``."""
    article = check_text(text)
    chunks = _chunks(engine, article, max_input_tokens)
    if len(chunks) <= 1:
        return await _aone(engine, article, strict, max_reasks, label)
    books, started = _books(label), time.monotonic()
    limit = asyncio.Semaphore(max(1, chunk_concurrency))
    done = 0

    async def one(chunk: chunking.Chunk) -> ArticleSummary:
        nonlocal done
        async with limit:
            try:
                result = await _aone(engine, chunk.text, strict, max_reasks, _chunk_label(label, chunk))
            except Exception as err:
                done += 1
                if progress is not None:
                    progress(done, len(chunks), str(err))
                raise
        done += 1
        if progress is not None:
            progress(done, len(chunks), None)
        return result

    with accounting.tracking(books):
        outcomes = await asyncio.gather(*(one(c) for c in chunks), return_exceptions=True)
    return _assemble(engine, article, chunks, outcomes, books, started, strict)


# --------------------------------------------------------------------------- the public entry points


def _engine(
    *, is_async: bool, model: str | None, base_url: str | None, api_key: str | None, mode: Mode,
    client: Any, replay: str | Path | None, record: str | Path | None, timeout: float,
    settings: Settings | None,
) -> Engine:  # fmt: skip
    if isinstance(client, Engine):
        return client
    resolved = (settings or Settings.from_env()).with_overrides(model=model, base_url=base_url, api_key=api_key)
    return build_engine(
        resolved,
        mode=mode,
        is_async=is_async,
        replay=Path(replay) if replay is not None else None,
        record=Path(record) if record is not None else None,
        timeout=timeout,
        openai_client=client,
    )


def summarize(
    text: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    mode: Mode = "tools",
    client: Engine | openai.OpenAI | None = None,
    strict: bool = False,
    max_reasks: int = DEFAULT_REASKS,
    replay: str | Path | None = None,
    record: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    settings: Settings | None = None,
) -> ArticleSummary:
    """Summarise one article into a validated, source-grounded ``ArticleSummary``.

    Options left as None come from the environment (``OPENAI_API_KEY``, ``OPENAI_BASE_URL``,
    ``SUMMARIZER_MODEL``). ``client`` may be a ready ``openai.OpenAI`` (or an ``Engine``) to reuse.
    Raises a ``SummarizerError`` subclass on failure.
    """
    engine = _engine(
        is_async=False, model=model, base_url=base_url, api_key=api_key, mode=mode, client=client,
        replay=replay, record=record, timeout=timeout, settings=settings,
    )  # fmt: skip
    return run(engine, text, strict=strict, max_reasks=max_reasks)


async def asummarize(
    text: str,
    *,
    model: str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    mode: Mode = "tools",
    client: Engine | openai.AsyncOpenAI | None = None,
    strict: bool = False,
    max_reasks: int = DEFAULT_REASKS,
    replay: str | Path | None = None,
    record: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    settings: Settings | None = None,
) -> ArticleSummary:
    """Async ``summarize``; same options, same result."""
    engine = _engine(
        is_async=True, model=model, base_url=base_url, api_key=api_key, mode=mode, client=client,
        replay=replay, record=record, timeout=timeout, settings=settings,
    )  # fmt: skip
    return await arun(engine, text, strict=strict, max_reasks=max_reasks)
