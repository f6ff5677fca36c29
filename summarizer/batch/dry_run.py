"""A dry run: a batch run priced offline. Token counts come from the offline tokenizer; nothing is
sent and nothing is written. Completion tokens are estimated (``prices.estimate``); re-asks and
retries are not counted, and the table says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from summarizer import prices, prompting
from summarizer.batch.options import Options
from summarizer.batch.results import Made, Results
from summarizer.batch.workers import Stream, chunk_tokens, pricing, survey
from summarizer.capture import overhead_tokens


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
    made = Made(options.settings.model, options.mode, prompting.prompt_version())
    plan = survey(inputs, Results(output, made, redo_stale=options.redo_stale), options.patterns)
    todo = Stream(inputs, plan, options.patterns)  # read one at a time, not kept
    table, price = pricing(options)
    result = DryRun(total=plan.total, todo=plan.todo, price_source=table.source)
    result.overhead_tokens = overhead_tokens(options.settings, options.mode)
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
    if todo.failure is not None:
        raise todo.failure
    result.cost = spent if price is not None else None
    result.fits = fits if options.max_cost is not None else None
    return result
