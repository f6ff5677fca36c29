"""A dry run: a batch run priced offline. Token counts come from the offline tokenizer; nothing is
sent and nothing is written. Completion tokens are estimated (``prices.completion_estimate``, fitted
to the shipped briefs). Its assumptions, each stated in the table:

- *first attempts only*: re-asks and retries are not counted (they add to the cost);
- *no prompt-cache hits* unless ``cache_hit_rate`` (``--cache-hit-rate R``) says what share of the
  prompt tokens the provider will serve from its prompt cache, at the cached-input price. The final
  table of a real run reports that share, so a past run's figure can be carried over; a first run
  with a cold cache and articles that differ in every request gets little (the instructions and
  schema are the same in every request, but only a prefix of 1,024 tokens or more is cached, and
  only while the cache is warm).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from summarizer import prices, prompting
from summarizer.batch.options import Options
from summarizer.batch.plan import Stream, chunk_tokens, pricing, survey
from summarizer.batch.results import Made, Results
from summarizer.errors import InputError
from summarizer.overhead import overhead_tokens


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
    cache_hit_rate: float = 0.0  # assumed share of prompt tokens served from the prompt cache
    cached_tokens: int = 0
    cached_price: prices.Price | None = None  # the price the cached tokens were estimated at

    def _cached_note(self) -> str:
        if not self.cache_hit_rate:
            return "none assumed; --cache-hit-rate R assumes a share R (a run's final table shows its share)"
        note = f"assumed: {self.cache_hit_rate:.0%} of prompt tokens (--cache-hit-rate)"
        if self.cached_price is None:
            return note
        if self.cached_price.cached_input is None:
            return f"{note}, at the input price: no cached-input price for this model"
        return f"{note}, at ${self.cached_price.cached:g} per 1M"

    def table(self, options: Options) -> str:
        cost = f"${self.cost:.4f}" if self.cost is not None else f"n/a (no price for {options.settings.model})"
        via = " via the Batch API" if options.openai_batch else ""
        out = [
            f"dry run ({options.settings.model}{via}; prices: {self.price_source}; nothing was sent)",
            f"  {'articles':<20}{self.total:>12,}   {self.total - self.todo} already done, {self.todo} to run",
            f"  {'model calls':<20}{self.calls:>12,}   one per article, one per chunk over --max-input-tokens",
            f"  {'prompt tokens':<20}{self.prompt_tokens:>12,}   articles {self.article_tokens:,} + "
            f"{self.overhead_tokens:,} per call for instructions and schema",
            f"  {'cached tokens':<20}{self.cached_tokens:>12,}   {self._cached_note()}",
            f"  {'completion tokens':<20}{self.completion_tokens:>12,}   estimated per call: {prices.MIN_COMPLETION} + "
            f"{prices.COMPLETION_RATIO:.2f} × article tokens, at most {prices.MAX_COMPLETION} (fitted to the shipped briefs)",
            f"  {'estimated cost':<20}{cost:>12}   first attempts only: re-asks and retries are not counted and add to it",
        ]
        if self.unreadable:
            out.append(f"  {'unreadable':<20}{self.unreadable:>12,}   will be error lines")
        if self.fits is not None and options.max_cost is not None:
            verdict = "all fit" if self.fits == self.todo - self.unreadable else f"only the first {self.fits} fit"
            out.append(f"  {'--max-cost':<20}{'$' + format(options.max_cost, '.4f'):>12}   {verdict}")
        return "\n".join(out)


def dry_run(inputs: Sequence[str], output: Path, options: Options, cache_hit_rate: float = 0.0) -> DryRun:
    """Price a run offline: token counts from the offline tokenizer, nothing sent, nothing written.

    ``cache_hit_rate`` is the share of prompt tokens assumed served from the provider's prompt cache.
    """
    if not 0 <= cache_hit_rate <= 1:
        raise InputError(f"--cache-hit-rate must be between 0 and 1, not {cache_hit_rate:g}")
    made = Made(options.settings.model, options.mode, prompting.prompt_version())
    plan = survey(inputs, Results(output, made, redo_stale=options.redo_stale), options.patterns)
    todo = Stream(inputs, plan, options.patterns)  # read one at a time, not kept
    table, price = pricing(options)
    result = DryRun(total=plan.total, todo=plan.todo, price_source=table.source)
    result.overhead_tokens = overhead_tokens(options.settings.model, options.mode)
    if price is not None and options.openai_batch:
        price = price.scaled(table.batch_discount)
    result.cache_hit_rate, result.cached_price = cache_hit_rate, price
    if price is not None:
        price = price.with_cache_hits(cache_hit_rate)  # each call's prompt at the average of the two prices
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
    result.cached_tokens = round(cache_hit_rate * result.prompt_tokens)
    result.fits = fits if options.max_cost is not None else None
    return result
