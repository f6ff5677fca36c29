"""A batch run: every article of the inputs summarised into the results file, resumably, within budget.

``arun_batch`` checks the options, refuses a results file that is one of the inputs, takes the
results file's lock for the whole run, surveys the inputs (a first pass keeping only ids: duplicate
ids and malformed JSON Lines are refused before anything is sent, the articles already done are
found: same id and hash; with ``redo_stale``, not those made with another model, mode or prompt
version), checks and repairs the file (see ``summarizer.batch.results``), removes the lines of the
articles about to run again, then streams the rest through the workers (each article read when a
worker takes it), or first through the OpenAI Batch API with ``--openai-batch``, and returns the
``Report``. A failed write of the results file stops the run and is raised (``ResultsWriteError``)
once the workers have stopped; so is an input that became unreadable since the survey.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from summarizer import prompting
from summarizer.batch import openai_batch
from summarizer.batch.articles import check_output
from summarizer.batch.ledger import Ledger
from summarizer.batch.lock import hold
from summarizer.batch.options import Options
from summarizer.batch.plan import Stream, asurvey, pricing
from summarizer.batch.progress import Progress
from summarizer.batch.report import Report
from summarizer.batch.results import Made, Results
from summarizer.batch.workers import build, close_engine, work
from summarizer.errors import InputError


def _check(options: Options) -> None:
    if options.concurrency < 1:
        raise InputError("--concurrency must be at least 1")
    if options.max_cost is not None and options.max_cost < 0:
        raise InputError("--max-cost must not be negative")
    if options.max_input_tokens is not None and options.max_input_tokens <= 0:
        raise InputError("--max-input-tokens must be positive")


async def arun_batch(inputs: Sequence[str], output: Path, options: Options, stream: TextIO | None = None) -> Report:
    """Summarise every article of ``inputs`` into ``output`` (see ``summarizer.batch``)."""
    _check(options)
    started = time.monotonic()
    check = check_output(output, inputs, options.patterns)
    _, price = pricing(options)
    made = Made(options.settings.model, options.mode, prompting.prompt_version())
    results = Results(output, made, redo_stale=options.redo_stale)
    with hold(output):
        plan = await asurvey(inputs, results, options.patterns, check)
        repaired = results.load()
        report = Report(total=plan.total, skipped=len(plan.skip))
        report.stale = plan.stale
        report.redo_stale = options.redo_stale
        ledger = Ledger(price=price, max_cost=options.max_cost)
        progress = Progress(plan.todo, ledger, stream)
        if repaired is not None:
            report.repaired = repaired
            progress.note(repaired)
        report.dropped_lines = results.prepare(plan.rerun)
        if report.dropped_lines:
            progress.note(f"resuming: removed {report.dropped_lines} line(s) of articles to run again from {output}")
        if report.skipped:
            progress.note(f"resuming: {report.skipped} article(s) already done in {output} are skipped")
        if report.stale:
            progress.note(
                f"resuming: redoing {report.stale} finished line(s) made with another model/mode/prompt version"
                if options.redo_stale
                else f"{report.stale} finished line(s) were made with another model/mode/prompt version; "
                "--redo-stale redoes them"
            )
        todo = Stream(inputs, plan, options.patterns)
        results.open()
        try:
            if options.openai_batch:
                await openai_batch.run(todo, todo.total, results, options, ledger, progress, report)
            elif todo.total:
                engine = build(options)
                try:
                    await work(engine, todo, todo.total, results, options, ledger, progress, report)
                finally:
                    await close_engine(engine)
        finally:
            todo.close()
            results.close()
            if todo.late:
                progress.note(f"{todo.late} article(s) appeared in the inputs after the run began; the next run does them")
            progress.finish()
    if results.failure is not None:
        raise results.failure
    if todo.failure is not None:
        raise todo.failure
    report.attempts = ledger.attempts
    report.usage = ledger.usage
    report.cost = ledger.spent if price is not None else None
    report.budget_stop = ledger.stopped
    report.wall_s = time.monotonic() - started
    return report


def run_batch(inputs: Sequence[str], output: Path, options: Options, stream: TextIO | None = None) -> Report:
    """``arun_batch`` from sync code. Ctrl-C ends the run cleanly: ``report.interrupted`` is set."""
    return asyncio.run(arun_batch(inputs, output, options, stream))
