"""Batch workers: the articles of a run summarised concurrently, each finished one a line in the file.

``work`` runs ``options.concurrency`` workers that share ONE async ``Engine`` (one HTTP pool, one
instructor client, see ``build``) and take articles in input order. Before starting an article a
worker asks the ledger to admit its estimated cost; once the budget refuses, no worker starts
another. One article's failure is its error line, never the run's end; an article interrupted in
flight writes no line, so the next run does it again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import httpx2

from summarizer import accounting, chunking, prices, prompting, tokens
from summarizer.batch.articles import Article
from summarizer.batch.ledger import Ledger
from summarizer.batch.options import Options
from summarizer.batch.progress import Progress
from summarizer.batch.report import Report
from summarizer.batch.results import Results, error_line, ok_line
from summarizer.client import Engine, build_engine
from summarizer.errors import SummarizerError, redact
from summarizer.orchestrator import arun


def chunk_tokens(article: Article, options: Options) -> list[int]:
    """The article tokens of each call the article will need (one per chunk)."""
    assert article.text is not None
    model = options.settings.model
    if options.max_input_tokens is None:
        return [tokens.count(article.text, model)]
    return [tokens.count(c.text, model) for c in chunking.split(article.text, options.max_input_tokens, model)]


def pricing(options: Options) -> tuple[prices.PriceTable, prices.Price | None]:
    """The price table in force and the model's price in it (required when there is a budget)."""
    table = prices.load(options.prices_file)
    price = table.lookup(options.settings.model)
    if price is None and options.max_cost is not None:
        table.require(options.settings.model)  # raises: a budget needs a price
    return table, price


def todo_of(articles: list[Article], results: Results) -> list[Article]:
    """The articles without an ``ok`` line for the same id and text in the results file."""
    done = results.done()
    return [a for a in articles if (a.id, a.sha256) not in done]


async def _summarise(engine: Engine, article: Article, options: Options) -> dict[str, Any]:
    assert article.text is not None
    try:
        summary = await arun(engine, article.text, strict=options.strict, max_reasks=options.max_reasks,
                             label=article.id, max_input_tokens=options.max_input_tokens)  # fmt: skip
    except SummarizerError as err:
        return error_line(article, type(err).__name__, str(err))
    except Exception as err:  # one article's surprise must not end the run
        return error_line(article, type(err).__name__, f"unexpected failure: {redact(str(err), options.settings.api_key)}")
    return ok_line(article, summary)


async def work(
    engine: Engine,
    todo: list[Article],
    results: Results,
    options: Options,
    ledger: Ledger,
    progress: Progress,
    report: Report,
    cost_of: Callable[[accounting.CallStats], float] | None = None,
    admitted: dict[str, float] | None = None,
) -> None:
    """Run ``todo`` with ``options.concurrency`` workers, appending a line per finished article.

    Every attempt is metered by the ledger (a per-attempt ceiling), unless ``admitted`` is given: the
    Batch API path, whose articles were admitted on estimates before its job was paid for, and whose
    articles' real cost ``cost_of(books)`` prices.
    """
    queue = iter(todo)
    ledger.books.meter = ledger if admitted is None else None

    def unstarted(article: Article) -> bool:
        if admitted is not None:
            return article.id not in admitted
        return ledger.stopped is not None  # sticky: once the budget refused, no article starts

    async def worker() -> None:
        for article in queue:
            if article.text is None:
                record = error_line(article, "InputError", article.problem or "unreadable article")
                results.append(record)
                report.failures.append((article.id, record["error"]["message"]))
                progress.update(ok=False)
                continue
            if unstarted(article):
                report.not_started += 1
                continue
            books = accounting.CallStats(label=article.id, prompt_version=prompting.prompt_version(), parent=ledger.books)
            try:
                with accounting.tracking(books):
                    record = await _summarise(engine, article, options)
            except asyncio.CancelledError:
                report.not_started += 1  # interrupted in flight: no line, so the next run does it
                raise
            finally:
                if admitted is not None:
                    cost = cost_of(books) if cost_of else ledger.price.of(books.usage) if ledger.price else 0.0
                    ledger.settle(admitted.get(article.id, 0.0), cost)
            if not record["ok"] and record["error"]["type"] == "BudgetExceeded" and books.attempts == 0:
                report.not_started += 1  # refused before anything was sent: no line, the next run does it
                continue
            results.append(record)
            if record["ok"]:
                report.succeeded += 1
            else:
                report.failed += 1
                report.failures.append((article.id, f"{record['error']['type']}: {record['error']['message']}"))
                progress.note(f"failed: {article.id}: {record['error']['type']}: {record['error']['message']}")
            progress.update(ok=bool(record["ok"]))

    workers = [asyncio.create_task(worker()) for _ in range(max(1, min(options.concurrency, len(todo))))]
    try:
        await asyncio.gather(*workers)
    except asyncio.CancelledError:
        report.interrupted = True
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    report.not_started += sum(1 for _ in queue)


def http_pool(options: Options) -> httpx2.AsyncHTTPTransport:
    """The network transport, keeping a connection alive per worker (httpx keeps only 20 by default)."""
    workers = max(1, options.concurrency)
    return httpx2.AsyncHTTPTransport(
        limits=httpx2.Limits(max_connections=max(100, 2 * workers), max_keepalive_connections=workers)
    )


def build(options: Options, network: Any = None) -> Engine:
    """The run's one async engine; ``network`` replaces the bottom of its transport chain."""
    if network is None and options.replay is None:
        network = http_pool(options)
    return build_engine(
        options.settings,
        mode=options.mode,
        is_async=True,
        replay=options.replay,
        record=options.record,
        timeout=options.timeout,
        max_output_tokens=options.max_output_tokens,
        retry=options.retry,
        network=network,
    )


async def close_engine(engine: Engine) -> None:
    sdk = getattr(engine.client, "client", None)
    if sdk is not None and hasattr(sdk, "close"):
        with contextlib.suppress(Exception):
            await sdk.close()
