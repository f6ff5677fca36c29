"""Batch: many articles in, one JSON line per article out, concurrently, resumably, within a budget.

A *batch run* is made of small parts, one module each: ``articles`` (what the inputs name),
``results`` (the JSON Lines file), ``ledger`` (spend and budget), ``progress`` (the status line),
``options``, ``report`` (the final table), ``workers`` (concurrent summarising), ``run`` (the whole
run), ``dry_run`` (pricing offline) and ``openai_batch`` (first attempts via the Batch API).

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
  (``accounting.CallStats`` books nest per article); cost comes from ``summarizer.prices``.
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

from summarizer.batch.articles import DEFAULT_PATTERNS, Article, collect
from summarizer.batch.dry_run import DryRun, dry_run
from summarizer.batch.options import Options
from summarizer.batch.report import Report
from summarizer.batch.run import arun_batch, run_batch

__all__ = ["DEFAULT_PATTERNS", "Article", "DryRun", "Options", "Report", "arun_batch", "collect", "dry_run", "run_batch"]
