"""Prices: what a model call costs in USD, from a price table, and what one will cost, estimated offline.

A *price table* maps model names to USD per 1M input (prompt) and output (completion) tokens, and per
1M *cached* input tokens: prompt tokens the provider served from its prompt cache (OpenAI reports them
as ``usage.prompt_tokens_details.cached_tokens``, counted inside ``prompt_tokens``), billed at the
cheaper ``cached_input`` price. A model without a ``cached_input`` price has its cached tokens priced
at ``input`` (no discount assumed). One table ships with the package (``summarizer/data/prices.json``,
standard-tier list prices with the date they were taken); ``--prices FILE`` overrides or adds models
with a file of the same shape::

    {"models": {"my-model": {"input": 0.15, "output": 0.60, "cached_input": 0.075}}, "batch_discount": 0.5}

Prices are finite, non-negative numbers, and ``cached_input`` is at most ``input`` (so a worst case
priced as if nothing were cached is a true upper bound, see ``summarizer.batch.ledger``).

A model is found by exact name, else by the longest listed name it extends with a dash
(``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini``). There is no silent default: a model
missing from the table cannot be budgeted and is a ``ConfigError`` naming ``--prices``.

An *estimate* prices a call before it is made, with the offline tokenizer (``summarizer.tokens``):
prompt tokens are the article's tokens plus the request's fixed overhead (instructions, delimiters,
schema; measured once per run from a real request body, see ``request_tokens``); completion tokens
are ``MIN_COMPLETION + COMPLETION_RATIO × article tokens``, at most ``MAX_COMPLETION`` (see
``completion_estimate`` for where these come from). Estimates are of first attempts: they ignore
re-asks and retries; a batch run corrects them with the ratio of real to estimated cost observed so
far (``summarizer.batch``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer import tokens
from summarizer.errors import ConfigError, InputError

if TYPE_CHECKING:  # pricing a run offline (batch --dry-run) needs no pydantic model
    from summarizer.schema import Usage

# The completion estimate (``completion_estimate``), fitted to the shipped authored briefs.
COMPLETION_RATIO = 1.0  # completion tokens per article token
MIN_COMPLETION = 560  # completion tokens of the brief of an (almost) empty article
MAX_COMPLETION = 4000  # just under the default completion cap (``--max-output-tokens`` 4096)
PER_MESSAGE_TOKENS = 4  # role and separators around each chat message
REPLY_PRIMING_TOKENS = 3
FORMAT_HINT = (
    'e.g. {"models": {"my-model": {"input": 0.15, "output": 0.60, "cached_input": 0.075}}} '
    "(USD per 1M tokens; cached_input is optional)"
)


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens: prompt tokens (``input``), completion tokens (``output``), and prompt tokens
    served from the provider's prompt cache (``cached_input``; None when no cached price is known: then
    they cost ``input``)."""

    input: float
    output: float
    cached_input: float | None = None

    @property
    def cached(self) -> float:
        """What a cached prompt token costs: ``cached_input``, or ``input`` when there is no cached price."""
        return self.input if self.cached_input is None else self.cached_input

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float:
        """USD for a call; ``cached_tokens`` are part of ``prompt_tokens``, billed at the cached price."""
        fresh = prompt_tokens - cached_tokens
        return (fresh * self.input + cached_tokens * self.cached + completion_tokens * self.output) / 1_000_000

    def of(self, usage: Usage) -> float:
        """(prompt − cached)·input + cached·cached_input + completion·output, per 1M tokens."""
        return self.cost(usage.prompt_tokens, usage.completion_tokens, usage.cached_tokens)

    def scaled(self, factor: float) -> Price:
        """Every price times ``factor`` (the Batch API's discount), the cached one included."""
        cached = None if self.cached_input is None else self.cached_input * factor
        return Price(self.input * factor, self.output * factor, cached)

    def with_cache_hits(self, rate: float) -> Price:
        """The price when a share ``rate`` of all prompt tokens is served from the cache: the input price
        becomes the average of the two (used to estimate, never to book)."""
        return Price((1 - rate) * self.input + rate * self.cached, self.output, self.cached_input)


@dataclass(frozen=True)
class PriceTable:
    models: Mapping[str, Price]
    batch_discount: float = 0.5  # the Batch API bills this fraction of the standard price
    source: str = ""

    def lookup(self, model: str) -> Price | None:
        if model in self.models:
            return self.models[model]
        extended = [name for name in self.models if model.startswith(name + "-")]
        return self.models[max(extended, key=len)] if extended else None

    def require(self, model: str) -> Price:
        price = self.lookup(model)
        if price is None:
            raise ConfigError(
                f"no price for model {model!r} in {self.source or 'the price table'}",
                hint=f"pass --prices FILE, {FORMAT_HINT}",
            )
        return price


def _parse(data: Any, source: str) -> tuple[dict[str, Price], float | None]:
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise InputError(f"{source}: expected an object with a \"models\" object", hint=FORMAT_HINT)
    models: dict[str, Price] = {}
    for name, entry in data["models"].items():
        try:
            cached = entry.get("cached_input")
            price = Price(
                input=_number(entry["input"]),
                output=_number(entry["output"]),
                cached_input=None if cached is None else _number(cached),
            )
        except (TypeError, KeyError, ValueError, AttributeError) as e:
            raise InputError(
                f"{source}: model {name!r} needs numeric \"input\" and \"output\" prices (and \"cached_input\", if given)",
                hint=FORMAT_HINT,
            ) from e
        if min(price.input, price.output, price.cached) < 0:
            raise InputError(f"{source}: model {name!r} has a negative price")
        if price.cached > price.input:
            raise InputError(f"{source}: model {name!r} has a \"cached_input\" price above its \"input\" price")
        models[str(name)] = price
    discount = data.get("batch_discount")
    if discount is not None and not (isinstance(discount, int | float) and 0 < discount <= 1):
        raise InputError(f"{source}: batch_discount must be a number in (0, 1]")
    return models, float(discount) if discount is not None else None


def _number(value: Any) -> float:
    """A price: a finite number (a JSON number or a numeric string; not a boolean, NaN or infinity)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a price")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite price")
    return number


def shipped() -> PriceTable:
    raw = (Path(__file__).resolve().parent / "data" / "prices.json").read_text(encoding="utf-8")  # not importlib.resources: 4 ms of imports
    data = json.loads(raw)
    models, discount = _parse(data, "the shipped price table")
    return PriceTable(models, discount or 0.5, f"the shipped price table (as of {data.get('as_of', '?')})")


def load(path: Path | None = None) -> PriceTable:
    """The shipped table, with ``path``'s models (and batch discount) laid over it."""
    table = shipped()
    if path is None:
        return table
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise InputError(f"price file {path} does not exist") from e
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read price file {path}: {e}") from e
    except ValueError as e:
        raise InputError(f"price file {path} is not valid JSON: {e}") from e
    models, discount = _parse(data, str(path))
    return PriceTable(
        {**table.models, **models},
        discount if discount is not None else table.batch_discount,
        f"{path} over {table.source}",
    )


# --------------------------------------------------------------------------- estimates


def request_tokens(body: Mapping[str, Any], model: str) -> int:
    """Approximate prompt tokens of a chat request body: messages, plus tools or response format.

    Counts each message's text plus a fixed per-message cost, and the JSON of the schema the request
    carries; the API's own count differs by a few percent (it renders tools its own way).
    """
    total = REPLY_PRIMING_TOKENS
    for message in body.get("messages", []):
        content = message.get("content")
        text = content if isinstance(content, str) else json.dumps(content or "")
        total += PER_MESSAGE_TOKENS + tokens.count(text, model)
    for key in ("tools", "functions", "response_format"):
        if body.get(key):
            total += tokens.count(json.dumps(body[key], separators=(",", ":")), model)
    return total


def completion_estimate(article_tokens: int) -> int:
    """Completion tokens of the first answer for a call carrying ``article_tokens`` of article text.

    ``MIN_COMPLETION + COMPLETION_RATIO × article_tokens``, at most ``MAX_COMPLETION``: a brief has a
    fixed part (the summary, the actor list, the JSON around them) and items that grow with what the
    article says. The two constants are a robust straight-line fit (Theil–Sen: the median of the
    slopes between all 120 pairs of points, then the median intercept) of the size of the first
    answer in each of the 16 shipped authored conversations (``evals/authored/*.json``, the tool-call
    arguments as ``json.dumps`` writes them, counted with the offline tokenizer) against its article's
    tokens: slope 0.99, intercept 565, rounded to 1.0 and 560 (``tests/test_cached_tokens.py`` refits
    them). The ratio of brief to article varies from 0.4 (the one long article, 4,826 tokens, whose
    1,781-token brief suggests briefs saturate; the estimate errs high there) to 5.6 (a 128-token
    statement); the fit is for totals over many articles, not for any one. On the shipped set the
    estimate is within 10% of the first answers' recorded completion tokens and about 20% under all
    answers' (re-asks included), see the test.
    """
    return int(min(MIN_COMPLETION + COMPLETION_RATIO * max(article_tokens, 0), MAX_COMPLETION))


@dataclass(frozen=True)
class Estimate:
    prompt_tokens: int
    completion_tokens: int
    cost: float


def estimate(price: Price, chunk_tokens: list[int], overhead_tokens: int) -> Estimate:
    """The expected cost of summarising an article sent as chunks of ``chunk_tokens`` (one call each)."""
    prompt = sum(n + overhead_tokens for n in chunk_tokens)
    completion = sum(completion_estimate(n) for n in chunk_tokens)
    return Estimate(prompt, completion, price.cost(prompt, completion))
