"""Batch workers: the articles of a run summarised concurrently, each finished one a line in the file.

``work`` runs ``options.concurrency`` workers that share ONE async ``Engine`` (one HTTP pool, one
instructor client, see ``build``) and take articles in input order. Every attempt is metered by the
ledger; once the budget refuses one, no worker takes another article. One article's failure is its
error line, never the run's end; an article interrupted in flight writes no line, so the next run
does it again.

The articles come from ``plan.Stream``: a worker holds one article's text at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any

import httpx2

from summarizer import accounting, prompting
from summarizer.batch.articles import Article
from summarizer.batch.ledger import Ledger
from summarizer.batch.options import Options
from summarizer.batch.progress import Progress
from summarizer.batch.report import Report
from summarizer.batch.results import Results, error_line, ok_line
from summarizer.checks import warning_kind
from summarizer.client import Engine, build_engine
from summarizer.errors import SummarizerError, redact
from summarizer.orchestrator import arun


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
    todo: Iterable[Article],
    total: int,
    results: Results,
    options: Options,
    ledger: Ledger,
    progress: Progress,
    report: Report,
    cost_of: Callable[[accounting.CallStats], float] | None = None,
    admitted: dict[str, float] | None = None,
) -> None:
    """Run ``todo`` (``total`` articles) with ``options.concurrency`` workers, appending a line per
    finished article. Articles are taken from ``todo`` one at a time, as workers are free.

    Every attempt is metered by the ledger (a per-attempt ceiling), unless ``admitted`` is given: the
    Batch API path, whose articles were admitted on estimates before its job was paid for, and whose
    articles' real cost ``cost_of(books)`` prices. Once the ledger has refused an attempt, no worker
    takes another article (those not taken, unreadable ones too, count as not started).
    """
    queue = iter(todo)
    ledger.books.meter = ledger if admitted is None else None
    taken = 0

    def take() -> Article | None:
        nonlocal taken
        if admitted is None and ledger.stopped is not None:
            return None  # sticky: once the budget refused, no article starts
        article = next(queue, None)
        if article is not None:
            taken += 1
        return article

    async def worker() -> None:
        while (article := take()) is not None:
            if article.note is not None:
                progress.note(f"note: {article.id}: {article.note}")
            if article.text is None:
                record = error_line(article, "InputError", article.problem or "unreadable article")
                results.append(record)
                report.failed += 1
                report.failures.append((article.id, f"InputError: {record['error']['message']}"))
                progress.note(f"failed: {article.id}: InputError: {record['error']['message']}")
                progress.update(ok=False)
                continue
            if admitted is not None and article.id not in admitted:
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
                kinds = [warning_kind(w) for w in record["summary"]["metadata"]["warnings"]]
                report.dropped_items += kinds.count("dropped")
                report.repaired_refs += kinds.count("repaired")
            else:
                report.failed += 1
                report.failures.append((article.id, f"{record['error']['type']}: {record['error']['message']}"))
                progress.note(f"failed: {article.id}: {record['error']['type']}: {record['error']['message']}")
            progress.update(ok=bool(record["ok"]))

    workers = [asyncio.create_task(worker()) for _ in range(max(1, min(options.concurrency, total)))]
    try:
        await asyncio.gather(*workers)
    except BaseException as err:  # Ctrl-C, or the results file could not be written: stop every worker
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if not isinstance(err, asyncio.CancelledError):
            raise
        report.interrupted = True
    report.not_started += max(0, total - taken)  # counted, not read


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
