"""The plan of a batch run: what its inputs hold and what it will cost, without keeping any text.

The inputs are walked twice and never held: ``survey`` (the first pass) keeps only ids, refusing
duplicates and malformed JSON Lines before anything is sent, hashes the articles the results file
has a line for (to skip the finished ones), and counts what is to run; ``Stream`` (the second pass)
reads each article to run when it is taken, so one article's text is held at a time.
``chunk_tokens`` and ``pricing`` say what an article's calls and the model cost. Nothing here calls
a model (``batch --dry-run`` uses it without loading the openai SDK).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field

from summarizer import prices, tokens
from summarizer.batch.articles import DEFAULT_PATTERNS, Article, OutputCheck, duplicate, names, nothing_found
from summarizer.batch.options import Options
from summarizer.batch.results import Results
from summarizer.errors import InputError


def chunk_tokens(article: Article, options: Options) -> list[int]:
    """The article tokens of each call the article will need (one per chunk)."""
    assert article.text is not None
    model = options.settings.model
    if options.max_input_tokens is None:
        return [tokens.count(article.text, model)]
    from summarizer import chunking  # with rapidfuzz and the schema: only when articles are split

    return [tokens.count(c.text, model) for c in chunking.split(article.text, options.max_input_tokens, model)]


def pricing(options: Options) -> tuple[prices.PriceTable, prices.Price | None]:
    """The price table in force and the model's price in it (required when there is a budget)."""
    table = prices.load(options.prices_file)
    price = table.lookup(options.settings.model)
    if price is None and options.max_cost is not None:
        table.require(options.settings.model)  # raises: a budget needs a price
    return table, price


SURVEY_STEP = 256  # articles surveyed between two chances for Ctrl-C to land


@dataclass
class Plan:
    """What the inputs hold, from ``survey``: counts and ids, no text."""

    total: int = 0  # articles the inputs name
    skip: set[str] = field(default_factory=set)  # ids with an ok line for the same text: not run again
    rerun: set[str] = field(default_factory=set)  # ids to run that have a line in the results file
    stale: int = 0  # articles whose only finished lines were made with another model, mode or prompt version
    ids: set[str] = field(default_factory=set)  # every id (the second pass runs only these, each once)

    @property
    def todo(self) -> int:
        """Articles to run."""
        return self.total - len(self.skip)


def _surveying(plan: Plan, inputs: Sequence[str], results: Results, patterns: Sequence[str],
               check: OutputCheck | None) -> Iterator[None]:  # fmt: skip
    """``survey``'s walk, pausing (a yield) every ``SURVEY_STEP`` articles."""
    have = results.ids()
    for named in names(inputs, patterns):
        if check is not None:
            check.source(named.path)
        if named.id in plan.ids:
            raise duplicate(inputs, patterns, named)
        plan.ids.add(named.id)
        plan.total += 1
        if named.id in have:
            key = (named.id, named.read().sha256)
            plan.stale += results.is_stale(key)
            (plan.skip if results.is_done(key) else plan.rerun).add(named.id)
        if plan.total % SURVEY_STEP == 0:
            yield
    if not plan.total:
        raise nothing_found(inputs, patterns)


def survey(inputs: Sequence[str], results: Results, patterns: Sequence[str] = DEFAULT_PATTERNS,
           check: OutputCheck | None = None) -> Plan:  # fmt: skip
    """The first pass over the inputs: ids, duplicates refused (naming both places), malformed JSON
    Lines refused (naming the line), every file checked against ``check``, and the articles the
    results file has a line for hashed and sorted into finished (``skip``) and to run again
    (``rerun``). Texts are read one at a time and dropped; only ids are kept.
    """
    plan = Plan()
    for _ in _surveying(plan, inputs, results, patterns, check):
        pass
    return plan


async def asurvey(inputs: Sequence[str], results: Results, patterns: Sequence[str] = DEFAULT_PATTERNS,
                  check: OutputCheck | None = None) -> Plan:  # fmt: skip
    """``survey`` that Ctrl-C (cancellation) interrupts at once, however long the inputs."""
    import asyncio  # here, not at the top: a dry run has no event loop and need not import one

    plan = Plan()
    for _ in _surveying(plan, inputs, results, patterns, check):
        await asyncio.sleep(0)
    return plan


class Stream:
    """The second pass: the articles to run, in input order, each read when it is taken.

    It yields the articles ``plan`` counted to run and no others: an id the survey did not see (the
    inputs changed since) is left for the next run and counted in ``late``. If reading the inputs
    fails now (a JSON Lines line malformed since the survey), the stream ends and ``failure`` says
    why; what was taken before stays taken. ``plan.ids`` is consumed.
    """

    def __init__(self, inputs: Sequence[str], plan: Plan, patterns: Sequence[str] = DEFAULT_PATTERNS) -> None:
        self.total = plan.todo
        self.late = 0
        self.failure: InputError | None = None
        self._articles = self._walk(inputs, plan, patterns)

    def _walk(self, inputs: Sequence[str], plan: Plan, patterns: Sequence[str]) -> Generator[Article, None, None]:
        expected = plan.ids
        try:
            for named in names(inputs, patterns):
                if named.id not in expected:
                    self.late += 1
                    continue
                expected.discard(named.id)
                if named.id not in plan.skip:
                    yield named.read()
        except InputError as err:
            self.failure = InputError(f"{err} (the input changed during the run)",
                                      hint="the lines written so far are kept; fix the input and re-run the same "
                                      "command to resume")  # fmt: skip

    def __iter__(self) -> Iterator[Article]:
        return self

    def __next__(self) -> Article:
        return next(self._articles)

    def close(self) -> None:
        self._articles.close()
