"""OpenAI Batch API: the first attempt at every article of a batch run, submitted as one batch job.

When to use it (``summarizer batch ... --openai-batch``): large runs that can wait. The Batch API
bills half the standard price (the price table's ``batch_discount``) and has its own, much higher
rate limits, but a job may take up to 24 hours to finish (often minutes). For interactive use, small
runs, or servers other than OpenAI's (most OpenAI-compatible servers have no ``/v1/batches``), use
the ordinary concurrent run.

How it works, in order:

1. *Capture*: each article's request bodies (one per chunk over ``--max-input-tokens``) are made by
   running the ordinary pipeline against a transport that keeps the body instead of sending it, so
   the batch asks exactly what a live run would (same prompt, same instructor request shaping).
   Articles are read from the stream of inputs ``CAPTURE_GROUP`` at a time.
2. *Budget*: with ``--max-cost``, articles are admitted in input order at the discounted estimate
   until the next would exceed the budget; only admitted articles are submitted (and kept, with their
   bodies, for step 5); the others are not read.
3. *Submit*: the bodies go up as a JSONL file (``POST /v1/files``, purpose ``batch``; at most
   ``MAX_REQUESTS`` requests or ``MAX_BYTES`` per job) and a job is created (``POST /v1/batches``,
   window 24 h); each request's ``custom_id`` is the hash of its body. The job ids are saved in
   ``OUT.jsonl.openai-batch.json`` before polling, so an interrupted run picks the same jobs up again
   instead of paying twice.
4. *Poll* ``GET /v1/batches/ID`` every ``--poll-interval`` seconds until the job ends, then download
   its output file (and note its error file).
5. *Validate*: the ordinary concurrent run then summarises every article with an engine whose
   network layer answers a request from the downloaded answers when its body matches, and sends it
   to the live endpoint otherwise. So every batch answer goes through the same schema, grounding
   and reference checks (``checks.ArticleBrief`` with the article as context, then
   ``checks.finalize``); an invalid answer is re-asked synchronously by instructor with the precise
   error; a request the job failed, expired or lost is simply made live. Token usage of batch answers
   is priced at the discount, everything else at the standard price.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx2

from summarizer import accounting, prices, recording
from summarizer.batch.articles import Article
from summarizer.batch.ledger import Ledger
from summarizer.batch.options import Options
from summarizer.batch.plan import chunk_tokens
from summarizer.batch.progress import Progress
from summarizer.batch.report import Report
from summarizer.batch.results import Results
from summarizer.batch.workers import build, close_engine, http_pool, work
from summarizer.capture import capture
from summarizer.errors import ConfigError, ProviderError, SummarizerError
from summarizer.overhead import overhead_tokens
from summarizer.schema import Usage

ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
MAX_REQUESTS = 50_000
MAX_BYTES = 190 * 1024 * 1024
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
CAPTURE_GROUP = 64  # articles captured with one capture engine


def key(body: dict[str, Any]) -> str:
    return recording.request_key("POST", ENDPOINT, body)


# --------------------------------------------------------------------------- answering from the job's output


class PrefilledTransport(httpx2.AsyncBaseTransport):
    """Answers a chat request from ``answers`` (by body hash) when it can; sends it on otherwise.

    Usage of served answers is kept per article (the label of the outermost labelled books) in ``served``,
    so the ledger can price it at the batch discount.
    """

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.answers: dict[str, bytes] = {}
        self.served: dict[str, Usage] = {}
        self.hits = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST" and request.url.path.endswith("/chat/completions") and self.answers:
            try:
                body = json.loads(request.content)
            except ValueError:
                body = None
            answer = self.answers.get(recording.request_key("POST", ENDPOINT, body)) if body is not None else None
            if answer is not None:
                self.hits += 1
                self._book(answer)
                return httpx2.Response(200, headers={"content-type": "application/json"}, content=answer, request=request)
        return await self.inner.handle_async_request(request)

    def _book(self, answer: bytes) -> None:
        stats = accounting.current()
        if stats is None:
            return
        outermost = [books for books in stats.ledgers() if books.label][-1]  # the article's books (the run's have no label)
        usage = accounting.usage_of(json.loads(answer)) or Usage()
        self.served[outermost.label] = self.served.get(outermost.label, Usage()) + usage

    async def aclose(self) -> None:
        await self.inner.aclose()


# --------------------------------------------------------------------------- jobs


def state_path(output: Path) -> Path:
    return output.with_name(output.name + ".openai-batch.json")


def _load_state(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [str(b) for b in data.get("batches", [])]
    except (OSError, ValueError, AttributeError):
        return []


def _save_state(path: Path, batch_ids: list[str]) -> None:
    """Write the job ids atomically, through a temp file no one can have planted (``mkstemp``)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps({"batches": batch_ids}, indent=2) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _jobs(requests: dict[str, dict[str, Any]]) -> Iterator[bytes]:
    """The JSONL input files, split to stay under the API's per-job limits."""
    lines: list[bytes] = []
    size = 0
    for custom_id, body in requests.items():
        line = (json.dumps({"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}) + "\n").encode()
        if lines and (len(lines) >= MAX_REQUESTS or size + len(line) > MAX_BYTES):
            yield b"".join(lines)
            lines, size = [], 0
        lines.append(line)
        size += len(line)
    if lines:
        yield b"".join(lines)


async def _submit(sdk: Any, data: bytes) -> str:
    uploaded = await sdk.files.create(file=("summarizer-batch.jsonl", data, "application/jsonl"), purpose="batch")
    job = await sdk.batches.create(
        input_file_id=uploaded.id,
        endpoint=ENDPOINT,
        completion_window=COMPLETION_WINDOW,
        metadata={"created_by": "summarizer"},
    )
    return str(job.id)


async def _collect(sdk: Any, batch_id: str, poll_interval: float, progress: Progress) -> dict[str, bytes]:
    """Poll a job to its end; the answers of its successful requests, by custom id."""
    seen = ""
    while True:
        job = await sdk.batches.retrieve(batch_id)
        counts = job.request_counts
        status = f"{job.status}" + (f" ({counts.completed + counts.failed}/{counts.total})" if counts else "")
        if status != seen:
            progress.note(f"openai batch {batch_id}: {status}")
            seen = status
        if job.status in TERMINAL:
            break
        await asyncio.sleep(poll_interval)
    if job.status != "completed":
        errors = "; ".join(e.message or "" for e in (job.errors.data or [])) if job.errors else ""
        progress.note(f"openai batch {batch_id} ended {job.status}{': ' + errors if errors else ''}; "
                      "its unanswered requests run synchronously")  # fmt: skip
    answers: dict[str, bytes] = {}
    if job.output_file_id:
        content = await sdk.files.content(job.output_file_id)
        for line in content.text.splitlines():
            if not line.strip():
                continue
            record = json.loads(line)
            response = record.get("response") or {}
            if response.get("status_code") == 200 and isinstance(response.get("body"), dict):
                answers[str(record["custom_id"])] = json.dumps(response["body"]).encode("utf-8")
    if job.error_file_id:
        content = await sdk.files.content(job.error_file_id)
        failed = sum(1 for line in content.text.splitlines() if line.strip())
        if failed:
            progress.note(f"openai batch {batch_id}: {failed} request(s) failed in the job; they run synchronously")
    return answers


async def fetch_answers(
    sdk: Any, requests: dict[str, dict[str, Any]], state: Path, poll_interval: float, progress: Progress
) -> dict[str, bytes]:
    """Answers for ``requests`` (custom id → body): from saved jobs first, then from new ones."""
    answers: dict[str, bytes] = {}
    batch_ids = _load_state(state)
    for batch_id in batch_ids:
        progress.note(f"openai batch {batch_id}: picking up the job an earlier run submitted")
        answers.update(await _collect(sdk, batch_id, poll_interval, progress))
    missing = {k: b for k, b in requests.items() if k not in answers}
    if batch_ids and missing:
        progress.note(f"{len(missing)} request(s) were not answered by earlier jobs; submitting them")
    submitted: list[str] = []
    for data in _jobs(missing):
        submitted.append(await _submit(sdk, data))
        _save_state(state, batch_ids + submitted)  # before polling: an interrupted run resumes the job
        progress.note(f"openai batch {submitted[-1]}: submitted {len(data.splitlines())} request(s)")
    for batch_id in submitted:
        answers.update(await _collect(sdk, batch_id, poll_interval, progress))
    return answers


# --------------------------------------------------------------------------- the run


async def run(
    todo: Iterable[Article], total: int, results: Results, options: Options, ledger: Ledger, progress: Progress,
    report: Report,
) -> None:  # fmt: skip
    """A batch run of ``todo`` (``total`` articles) whose first attempts go through the Batch API (see the
    module docstring)."""
    if options.replay is not None or options.record is not None:
        raise ConfigError("--openai-batch cannot be combined with --replay or --record", hint="drop one of them")
    table = prices.load(options.prices_file)
    standard = ledger.price
    discounted = standard.scaled(table.batch_discount) if standard else None  # cached-input price included
    if ledger.max_cost is not None and discounted is not None:
        ledger.overhead_tokens = overhead_tokens(options.settings.model, options.mode)

    admitted: dict[str, float] = {}
    requests: dict[str, dict[str, Any]] = {}
    run_now: list[Article] = []  # admitted articles and unreadable ones (error lines), in input order
    group: list[Article] = []

    def admit_group() -> bool:
        """Capture and admit the articles of ``group``; False once the budget refuses one."""
        readable = [a for a in group if a.text is not None]
        bodies = iter(capture(options.settings, options.mode, [a.text or "" for a in readable],
                              options.max_input_tokens, options.max_output_tokens))  # fmt: skip
        for article in group:
            if article.text is None:
                run_now.append(article)
                continue
            article_bodies = next(bodies)
            estimate = (
                prices.estimate(discounted, chunk_tokens(article, options), ledger.overhead_tokens)
                if ledger.max_cost is not None and discounted is not None
                else None
            )
            reserved = ledger.admit(estimate)
            if reserved is None:
                return False
            admitted[article.id] = reserved
            requests.update({key(b): b for b in article_bodies})
            run_now.append(article)
        group.clear()
        return True

    for article in todo:
        group.append(article)
        if len(group) >= CAPTURE_GROUP and not admit_group():
            break
    else:
        admit_group()
    group.clear()
    report.not_started += max(0, total - len(run_now))  # refused by the budget (from there on, nothing is read)

    prefilled = PrefilledTransport(http_pool(options))
    engine = build(options, network=prefilled)
    sdk = engine.client.client
    state = state_path(results.path)
    try:
        if requests:
            try:
                prefilled.answers = await fetch_answers(sdk, requests, state, options.poll_interval, progress)
            except asyncio.CancelledError:  # Ctrl-C while waiting: the job runs on and is saved in the state file
                report.interrupted = True
                report.not_started += len(run_now)
                progress.note(f"the Batch API job keeps running; re-run the same command to pick up its results ({state})")
                return
            except SummarizerError:
                raise
            except Exception as err:  # the SDK's errors, after our retries
                raise ProviderError(f"the Batch API failed: {type(err).__name__}: {err}") from err
            progress.note(f"openai batch: {len(prefilled.answers)} of {len(requests)} request(s) answered; validating")

        def cost_of(books: accounting.CallStats) -> float:
            if standard is None or discounted is None:
                return 0.0
            served = prefilled.served.pop(books.label, Usage())
            return standard.of(books.usage) - standard.of(served) + discounted.of(served)

        await work(engine, run_now, len(run_now), results, options, ledger, progress, report, cost_of=cost_of,
                   admitted=admitted)  # fmt: skip
        if not report.interrupted:
            state.unlink(missing_ok=True)
    finally:
        await close_engine(engine)
