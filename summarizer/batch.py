"""Batch: many articles in, one JSON line per article out, concurrently, resumably, within a budget.

A *batch run* summarises every article named by its inputs (files; directories, searched recursively
for ``*.txt``, or ``--glob`` patterns; JSON Lines files of ``{"id", "text"}``) into a *results file* of JSON
Lines, one line per article (contract, DESIGN.md §2)::

    {"id": ..., "article_sha256": ..., "ok": true,  "summary": {...ArticleSummary...}}
    {"id": ..., "article_sha256": ..., "ok": false, "error": {"type": ..., "message": ...}}

An article's id is its path relative to the input argument, without extension (a file given
directly: its name without extension); ids must be unique across the inputs.

- *Concurrency*: ``concurrency`` workers share ONE async ``Engine`` (one HTTP pool, one instructor
  client) and take articles in input order; one article's failure is its error line, never the
  run's end.
- *Writing*: each line is encoded whole and written with a single ``os.write`` on an ``O_APPEND``
  descriptor the moment its article finishes, so the file never holds a half line, even after
  Ctrl-C (cancellation lands only between lines) or a crash.
- *Resume*: running the same command again skips every article that already has an ``ok`` line with
  the same id and ``article_sha256``; failed articles, changed articles and articles never started
  run again, and their old lines are removed first (an atomic rewrite), so the file keeps one line
  per article. Lines of ids not in the current inputs are kept.
- *Ledger*: every attempt's tokens count, failed attempts, re-asks and failed articles included
  (``transport.CallStats`` books nest per article); cost comes from ``summarizer.prices``.
- *Budget*: with ``max_cost``, a worker estimates the next article's cost before starting it
  (``prices.estimate``, scaled by the ratio of real to estimated cost of the articles finished so
  far) and, if what is spent plus what is in flight plus that estimate would exceed the budget, the
  run stops starting work, finishes what is in flight and says so (``BudgetExceeded``, exit 8).
- *Dry run*: prices the run offline (offline tokenizer, no model calls, no file written).
- *Progress* is one line on stderr (articles, rate, tokens and cost so far), redrawn in place on a
  terminal and printed every 10% otherwise; a final table sums successes, failures, tokens, cost
  and wall time. A run with failed articles exits 9 (``BATCH_PARTIAL_FAILURE_EXIT``).

``openai_batch`` (``--openai-batch``) submits the first attempts through the OpenAI Batch API and
then runs the same workers, which validate each answer like any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx2

from summarizer import chunking, prices, prompting, tokens, transport
from summarizer.client import DEFAULT_TIMEOUT_S, Engine, build_engine
from summarizer.config import Settings
from summarizer.errors import InputError, SummarizerError
from summarizer.inputs import decode
from summarizer.orchestrator import DEFAULT_REASKS, arun
from summarizer.schema import Mode, Usage

DEFAULT_PATTERNS = ("*.txt",)  # what a directory is searched for; notes like SOURCES.md stay out
DEFAULT_CONCURRENCY = 8


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Article:
    id: str
    sha256: str
    text: str | None  # None when the article could not be read; ``problem`` says why
    problem: str | None = None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _from_file(path: Path, article_id: str) -> Article:
    try:
        data = path.read_bytes()
    except OSError as e:
        return Article(article_id, _sha(b""), None, f"cannot read {path}: {e.strerror or e}")
    try:
        text = decode(data, str(path))
    except InputError as e:
        return Article(article_id, _sha(data), None, str(e))
    return Article(article_id, _sha(text.encode("utf-8")), text)


def _from_jsonl(path: Path) -> Iterator[Article]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}") from e
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            raise InputError(f"{path}:{n} is not valid JSON: {e}", hint='each line must be {"id": ..., "text": ...}') from e
        if not isinstance(record, dict) or not isinstance(record.get("id"), str | int) or "text" not in record:
            raise InputError(f"{path}:{n} needs an \"id\" and a \"text\"", hint='each line must be {"id": ..., "text": ...}')
        text = record["text"]
        if not isinstance(text, str):
            yield Article(str(record["id"]), _sha(json.dumps(text).encode()), None, "text is not a string")
        elif not text.strip():
            yield Article(str(record["id"]), _sha(text.encode("utf-8")), None, "the article is empty")
        else:
            yield Article(str(record["id"]), _sha(text.encode("utf-8")), text)


def _matching(folder: Path, patterns: Sequence[str]) -> list[Path]:
    """Files under ``folder`` whose names match a pattern, skipping hidden files and folders."""
    found: set[Path] = set()
    for pattern in patterns:
        found.update(
            p for p in folder.rglob(pattern)
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )  # fmt: skip
    return sorted(found)


def collect(inputs: Sequence[str], patterns: Sequence[str] = DEFAULT_PATTERNS) -> list[Article]:
    """Every article the inputs name, in order; an unreadable file becomes an article with a problem.

    Directories are searched recursively for file names matching ``patterns`` (``*.txt`` unless told
    otherwise); a file named directly is always taken.
    """
    found: list[Article] = []
    for source in inputs:
        path = Path(source)
        if path.is_dir():
            files = _matching(path, patterns)
            found += [_from_file(p, p.relative_to(path).with_suffix("").as_posix()) for p in files]
        elif path.suffix.lower() == ".jsonl" and path.is_file():
            found += list(_from_jsonl(path))
        elif path.exists():
            found.append(_from_file(path, path.stem))
        else:
            raise InputError(f"{source} does not exist", hint="pass article files, directories or a JSONL of {id, text}")
    seen: set[str] = set()
    for article in found:
        if article.id in seen:
            raise InputError(f"two articles share the id {article.id!r}", hint="ids must be unique across the inputs")
        seen.add(article.id)
    if not found:
        raise InputError(
            f"no articles found in {' '.join(inputs)}",
            hint=f"directories are searched for {' '.join(patterns)}; --glob PATTERN searches for others",
        )
    return found


# --------------------------------------------------------------------------- the results file


def ok_line(article: Article, summary: Any) -> dict[str, Any]:
    return {"id": article.id, "article_sha256": article.sha256, "ok": True, "summary": summary.model_dump(mode="json")}


def error_line(article: Article, kind: str, message: str) -> dict[str, Any]:
    return {"id": article.id, "article_sha256": article.sha256, "ok": False, "error": {"type": kind, "message": message}}


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    ok = isinstance(record, dict) and isinstance(record.get("id"), str) and isinstance(record.get("ok"), bool)
    return record if ok else None


class Results:
    """The JSON Lines results file: read for resuming, appended to one whole line at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def read(self) -> list[tuple[bytes, dict[str, Any] | None]]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as e:
            raise InputError(f"cannot read {self.path}: {e.strerror or e}") from e
        return [(line, _parse(line)) for line in data.splitlines(keepends=True) if line.strip()]

    def done(self) -> set[tuple[str, str]]:
        return {(r["id"], str(r.get("article_sha256"))) for _, r in self.read() if r is not None and r["ok"] is True}

    def prepare(self, rerun: set[str]) -> int:
        """Drop the lines of articles about to run again (and unreadable lines); returns how many."""
        lines = self.read()
        keep = [raw if raw.endswith(b"\n") else raw + b"\n" for raw, r in lines if r is not None and r["id"] not in rerun]
        dropped = len(lines) - len(keep)
        if dropped:
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_bytes(b"".join(keep))
            os.replace(tmp, self.path)  # atomic: an interruption leaves the old file or the new one
        return dropped

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            raise InputError(f"cannot write {self.path}: {e.strerror or e}", hint="pick a writable -o path") from e

    def append(self, record: dict[str, Any]) -> None:
        """One whole line, in one write (looping only if the OS takes it in parts)."""
        assert self._fd is not None, "open() first"
        data = memoryview((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        while data:
            data = data[os.write(self._fd, data) :]

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


# --------------------------------------------------------------------------- ledger and budget


@dataclass
class Ledger:
    """What the run has spent so far, and what the budget has set aside for articles in flight."""

    price: prices.Price | None
    max_cost: float | None = None
    overhead_tokens: int = 0
    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    spent: float = 0.0
    reserved: float = 0.0
    estimated_done: float = 0.0
    spent_done: float = 0.0
    stopped: str | None = None  # why the budget stopped the run

    @property
    def calibration(self) -> float:
        """Real over estimated cost of finished articles (never below 1: estimates stay cautious)."""
        return max(1.0, self.spent_done / self.estimated_done) if self.estimated_done > 0 else 1.0

    def admit(self, estimate: prices.Estimate | None) -> float | None:
        """Reserve an article's expected cost, or None (and stop) if it would break the budget."""
        if self.stopped is not None:
            return None
        if self.max_cost is None or estimate is None:
            return 0.0
        expected = estimate.cost * self.calibration
        if self.spent + self.reserved + expected > self.max_cost:
            self.stopped = (
                f"stopped before exceeding --max-cost ${self.max_cost:.4f}: spent ${self.spent:.4f}, "
                f"${self.reserved:.4f} in flight, next article estimated at ${expected:.4f}"
            )
            return None
        self.reserved += expected
        return expected

    def settle(self, reserved: float, estimate: prices.Estimate | None, books: transport.CallStats, cost: float) -> None:
        self.reserved -= reserved
        self.attempts += books.attempts
        self.usage = self.usage + books.usage
        self.spent += cost
        if estimate is not None and books.attempts:
            self.estimated_done += estimate.cost
            self.spent_done += cost


# --------------------------------------------------------------------------- progress


class Progress:
    """One status line on stderr: redrawn in place on a terminal, every 10% otherwise."""

    def __init__(self, total: int, ledger: Ledger, stream: TextIO | None = None) -> None:
        self.total = total
        self.ledger = ledger
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.ok = 0
        self.failed = 0
        self._step = -1
        self._drawn = 0.0

    @property
    def done(self) -> int:
        return self.ok + self.failed

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        pct = 100 * self.done / self.total if self.total else 100.0
        cost = f"${self.ledger.spent:.4f}" if self.ledger.price else "cost n/a"
        eta = f" · eta {(self.total - self.done) / rate:.0f}s" if rate > 0 and self.done < self.total else ""
        width = 20
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        return (
            f"[{bar}] {self.done}/{self.total} ({pct:.0f}%) · {rate:.1f} articles/s · "
            f"{self.ledger.usage.total_tokens:,} tokens · {cost} · {self.ok} ok, {self.failed} failed{eta}"
        )

    def update(self, ok: bool) -> None:
        if ok:
            self.ok += 1
        else:
            self.failed += 1
        if self.tty:
            now = time.monotonic()
            if now - self._drawn >= 0.1 or self.done == self.total:
                self._drawn = now
                self.stream.write("\r\x1b[2K" + self.line())
                self.stream.flush()
            return
        step = math.floor(10 * self.done / self.total) if self.total else 10
        if step > self._step:
            self._step = step
            print(self.line(), file=self.stream, flush=True)

    def note(self, message: str) -> None:
        if self.tty:
            self.stream.write("\r\x1b[2K")
        print(message, file=self.stream, flush=True)
        if self.tty and self.done:
            self.stream.write(self.line())
            self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


# --------------------------------------------------------------------------- options and report


@dataclass(frozen=True)
class Options:
    settings: Settings
    mode: Mode = "tools"
    concurrency: int = DEFAULT_CONCURRENCY
    strict: bool = False
    max_reasks: int = DEFAULT_REASKS
    max_input_tokens: int | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    retry: transport.RetryPolicy | None = None
    replay: Path | None = None
    record: Path | None = None
    max_cost: float | None = None
    prices_file: Path | None = None
    openai_batch: bool = False
    poll_interval: float = 30.0
    patterns: tuple[str, ...] = DEFAULT_PATTERNS  # file names a directory input is searched for


@dataclass
class Report:
    total: int
    skipped: int = 0
    succeeded: int = 0
    failed: int = 0
    not_started: int = 0
    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None
    wall_s: float = 0.0
    interrupted: bool = False
    budget_stop: str | None = None
    dropped_lines: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)

    def table(self, output: Path) -> str:
        cost = f"${self.cost:.4f}" if self.cost is not None else "n/a (no price for this model)"
        rows = [
            ("articles", f"{self.total}", ""),
            ("succeeded", f"{self.succeeded}", ""),
            ("failed", f"{self.failed}", "error lines; re-run the same command to retry them" if self.failed else ""),
            ("skipped", f"{self.skipped}", f"already done in {output}" if self.skipped else ""),
            ("not started", f"{self.not_started}", "re-run the same command to resume" if self.not_started else ""),
            ("attempts", f"{self.attempts}", "model calls, retries and re-asks included"),
            (
                "tokens",
                f"{self.usage.total_tokens:,}",
                f"{self.usage.prompt_tokens:,} prompt + {self.usage.completion_tokens:,} completion",
            ),
            ("cost", cost, ""),
            ("wall time", f"{self.wall_s:.1f}s", ""),
        ]
        out = [f"batch summary ({output})"]
        out += [f"  {k:<12}{v:>14}   {note}".rstrip() for k, v, note in rows]
        return "\n".join(out)


# --------------------------------------------------------------------------- the run


def chunk_tokens(article: Article, options: Options) -> list[int]:
    assert article.text is not None
    model = options.settings.model
    if options.max_input_tokens is None:
        return [tokens.count(article.text, model)]
    return [tokens.count(c.text, model) for c in chunking.split(article.text, options.max_input_tokens, model)]


def _pricing(options: Options) -> tuple[prices.PriceTable, prices.Price | None]:
    table = prices.load(options.prices_file)
    price = table.lookup(options.settings.model)
    if price is None and options.max_cost is not None:
        table.require(options.settings.model)  # raises: a budget needs a price
    return table, price


def overhead_tokens(options: Options) -> int:
    """Prompt tokens a call adds to its article: instructions, delimiters, schema (measured offline)."""
    from summarizer.openai_batch import capture

    probe = "Probe."
    body = capture(options.settings, options.mode, [probe])[0][0]
    return prices.request_tokens(body, options.settings.model) - tokens.count(probe, options.settings.model)


def _todo(articles: list[Article], results: Results) -> list[Article]:
    done = results.done()
    return [a for a in articles if (a.id, a.sha256) not in done]


async def _summarise(engine: Engine, article: Article, options: Options) -> dict[str, Any]:
    assert article.text is not None
    try:
        if options.max_input_tokens is not None:
            summary = await chunking.asummarize_chunked(
                engine, article.text, max_input_tokens=options.max_input_tokens, strict=options.strict,
                max_reasks=options.max_reasks, label=article.id,
            )  # fmt: skip
        else:
            summary = await arun(engine, article.text, strict=options.strict, max_reasks=options.max_reasks, label=article.id)
    except SummarizerError as err:
        return error_line(article, type(err).__name__, str(err))
    except Exception as err:  # one article's surprise must not end the run
        return error_line(article, type(err).__name__, f"unexpected failure: {err}")
    return ok_line(article, summary)


async def work(
    engine: Engine,
    todo: list[Article],
    results: Results,
    options: Options,
    ledger: Ledger,
    progress: Progress,
    report: Report,
    cost_of: Callable[[transport.CallStats], float] | None = None,
    admitted: dict[str, tuple[float, prices.Estimate | None]] | None = None,
) -> None:
    """Run ``todo`` with ``options.concurrency`` workers, appending a line per finished article.

    ``cost_of(books)`` prices an article's books (default: the ledger's price of its usage);
    ``admitted`` holds budget reservations already made (the Batch API pays up front).
    """
    queue = iter(todo)

    def price(books: transport.CallStats) -> float:
        if cost_of is not None:
            return cost_of(books)
        return ledger.price.of(books.usage) if ledger.price else 0.0

    async def worker() -> None:
        for article in queue:
            if article.text is None:
                record = error_line(article, "InputError", article.problem or "unreadable article")
                results.append(record)
                report.failures.append((article.id, record["error"]["message"]))
                progress.update(ok=False)
                continue
            if admitted is not None:
                reserved, estimate = admitted.get(article.id, (None, None))
            else:
                estimate = (
                    prices.estimate(ledger.price, chunk_tokens(article, options), ledger.overhead_tokens)
                    if ledger.max_cost is not None and ledger.price is not None
                    else None
                )
                reserved = ledger.admit(estimate)
            if reserved is None:
                report.not_started += 1
                continue
            books = transport.CallStats(label=article.id, prompt_version=prompting.prompt_version())
            try:
                with transport.tracking(books):
                    record = await _summarise(engine, article, options)
            except asyncio.CancelledError:
                report.not_started += 1  # interrupted in flight: no line, so the next run does it
                raise
            finally:
                ledger.settle(reserved, estimate, books, price(books))
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
        retry=options.retry,
        network=network,
    )


async def close_engine(engine: Engine) -> None:
    sdk = getattr(engine.client, "client", None)
    if sdk is not None and hasattr(sdk, "close"):
        with contextlib.suppress(Exception):
            await sdk.close()


async def arun_batch(inputs: Sequence[str], output: Path, options: Options, stream: TextIO | None = None) -> Report:
    """Summarise every article of ``inputs`` into ``output`` (see the module docstring)."""
    if options.concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    if options.max_cost is not None and options.max_cost < 0:
        raise InputError("--max-cost must not be negative")
    if options.max_input_tokens is not None and options.max_input_tokens <= 0:
        raise InputError("--max-input-tokens must be positive")
    started = time.monotonic()
    articles = collect(inputs, options.patterns)
    results = Results(output)
    todo = _todo(articles, results)
    report = Report(total=len(articles), skipped=len(articles) - len(todo))
    _, price = _pricing(options)
    ledger = Ledger(price=price, max_cost=options.max_cost)
    if options.max_cost is not None:
        ledger.overhead_tokens = overhead_tokens(options)
    progress = Progress(len(todo), ledger, stream)
    report.dropped_lines = results.prepare({a.id for a in todo})
    if report.dropped_lines:
        progress.note(f"resuming: removed {report.dropped_lines} line(s) of articles to run again from {output}")
    if report.skipped:
        progress.note(f"resuming: {report.skipped} article(s) already done in {output} are skipped")
    results.open()
    try:
        if options.openai_batch:
            from summarizer import openai_batch

            await openai_batch.run(todo, results, options, ledger, progress, report)
        elif todo:
            engine = build(options)
            try:
                await work(engine, todo, results, options, ledger, progress, report)
            finally:
                await close_engine(engine)
    finally:
        results.close()
        progress.finish()
    report.attempts = ledger.attempts
    report.usage = ledger.usage
    report.cost = ledger.spent if price is not None else None
    report.budget_stop = ledger.stopped
    report.wall_s = time.monotonic() - started
    return report


def run_batch(inputs: Sequence[str], output: Path, options: Options, stream: TextIO | None = None) -> Report:
    """``arun_batch`` from sync code. Ctrl-C ends the run cleanly: ``report.interrupted`` is set."""
    return asyncio.run(arun_batch(inputs, output, options, stream))


# --------------------------------------------------------------------------- dry run


@dataclass
class DryRun:
    total: int
    todo: int
    calls: int = 0
    article_tokens: int = 0
    overhead_tokens: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    unreadable: int = 0
    fits: int | None = None  # articles that fit --max-cost, in input order
    price_source: str = ""

    def table(self, options: Options) -> str:
        cost = f"${self.cost:.4f}" if self.cost is not None else f"n/a (no price for {options.settings.model})"
        via = " via the Batch API" if options.openai_batch else ""
        out = [
            f"dry run ({options.settings.model}{via}; prices: {self.price_source}; nothing was sent)",
            f"  {'articles':<20}{self.total:>12,}   {self.total - self.todo} already done, {self.todo} to run",
            f"  {'model calls':<20}{self.calls:>12,}   one per article, one per chunk over --max-input-tokens",
            f"  {'prompt tokens':<20}{self.prompt_tokens:>12,}   articles {self.article_tokens:,} + "
            f"{self.overhead_tokens:,} per call for instructions and schema",
            f"  {'completion tokens':<20}{self.completion_tokens:>12,}   estimated: "
            f"{prices.COMPLETION_RATIO:.0%} of article tokens, {prices.MIN_COMPLETION}-{prices.MAX_COMPLETION} per call",
            f"  {'estimated cost':<20}{cost:>12}   first attempts only; re-asks and retries add to it",
        ]
        if self.unreadable:
            out.append(f"  {'unreadable':<20}{self.unreadable:>12,}   will be error lines")
        if self.fits is not None and options.max_cost is not None:
            verdict = "all fit" if self.fits == self.todo - self.unreadable else f"only the first {self.fits} fit"
            out.append(f"  {'--max-cost':<20}{'$' + format(options.max_cost, '.4f'):>12}   {verdict}")
        return "\n".join(out)


def dry_run(inputs: Sequence[str], output: Path, options: Options) -> DryRun:
    """Price a run offline: token counts from the offline tokenizer, nothing sent, nothing written."""
    articles = collect(inputs, options.patterns)
    todo = _todo(articles, Results(output))
    table, price = _pricing(options)
    result = DryRun(total=len(articles), todo=len(todo), price_source=table.source)
    result.overhead_tokens = overhead_tokens(options)
    if price is not None and options.openai_batch:
        price = prices.Price(price.input * table.batch_discount, price.output * table.batch_discount)
    spent = 0.0
    fits = started = 0
    for article in todo:
        if article.text is None:
            result.unreadable += 1
            continue
        counts = chunk_tokens(article, options)
        result.calls += len(counts)
        result.article_tokens += sum(counts)
        estimate = prices.estimate(price or prices.Price(0, 0), counts, result.overhead_tokens)
        result.prompt_tokens += estimate.prompt_tokens
        result.completion_tokens += estimate.completion_tokens
        spent += estimate.cost
        if options.max_cost is not None and spent <= options.max_cost and fits == started:
            fits += 1  # the run stops at the first article that does not fit
        started += 1
    result.cost = spent if price is not None else None
    result.fits = fits if options.max_cost is not None else None
    return result
