"""The ledger of a batch run: what it has spent, and what the budget has set aside for requests in flight.

``--max-cost`` is a ceiling on booked spend, not a hint. The ledger is the *meter* on the run's books
(``accounting.Meter``): before any HTTP attempt is sent (first tries, retries, re-asks and chunks
alike) it reserves that attempt's worst case, the request's bytes as prompt tokens (a token is at
least one byte of what is sent; ``PROMPT_MARGIN_TOKENS`` covers the server's chat template) plus the
completion cap the request carries, at the model's price, every prompt token at the full input price
(none assumed served from the prompt cache: the cached-input price is never above the input price, so
this stays an upper bound); an attempt whose worst case does not fit beside what is spent and
reserved is refused (``BudgetExceeded``) and the run stops starting articles (for good). After the
attempt the reservation is released and what the server reported (validated, or estimated offline
when it reported nothing) is booked, its cached prompt tokens at the cached-input price
(``prices.Price.of``). So spent never exceeds the budget, at any concurrency.

With ``--openai-batch`` the first attempts are paid as one Batch API job, before any of them is seen:
there ``admit`` reserves each article's *estimated* cost (``prices.estimate`` at the discounted price)
and ``settle`` books the article's real cost afterwards; that ceiling is on estimates.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import httpx2

from summarizer import accounting, prices
from summarizer.errors import BudgetExceeded
from summarizer.schema import Usage

PROMPT_MARGIN_TOKENS = 256
UNCAPPED_COMPLETION_TOKENS = 65_536  # assumed for a request that carries no completion cap


def worst_case_tokens(request: httpx2.Request) -> tuple[int, int]:
    """(prompt, completion) tokens an attempt can be billed at most."""
    cap = accounting.output_cap(request)
    completion = cap if cap else UNCAPPED_COMPLETION_TOKENS
    return len(request.content) + PROMPT_MARGIN_TOKENS, completion


@dataclass
class Ledger:
    """What the run has spent so far, and what the budget has set aside for what is in flight."""

    price: prices.Price | None
    max_cost: float | None = None
    overhead_tokens: int = 0  # per call, for estimates (``admit``)
    books: accounting.CallStats = field(default_factory=accounting.CallStats)  # the whole run's attempts and usage
    spent: float = 0.0
    reserved: float = 0.0
    stopped: str | None = None  # why the budget stopped the run
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def attempts(self) -> int:
        return self.books.attempts

    @property
    def usage(self) -> Usage:
        return self.books.usage

    def _refuse(self, what: str, amount: float) -> None:
        assert self.max_cost is not None
        self.stopped = self.stopped or (
            f"stopped before exceeding --max-cost ${self.max_cost:.4f}: spent ${self.spent:.4f}, "
            f"${self.reserved:.4f} in flight, {what} ${amount:.4f}"
        )

    # ----------------------------------------------------------------------- per attempt (the meter)

    def reserve(self, request: httpx2.Request) -> float:
        """Set aside the attempt's worst-case cost, or refuse it (``BudgetExceeded``) when it does not fit."""
        if self.max_cost is None or self.price is None:
            return 0.0
        worst = self.price.cost(*worst_case_tokens(request))  # nothing cached: the full input price
        with self._lock:
            if self.spent + self.reserved + worst > self.max_cost:
                self._refuse("and the next request could cost up to", worst)
                raise BudgetExceeded(str(self.stopped))
            self.reserved += worst
        return worst

    def book(self, reserved: float, usage: Usage) -> None:
        """Release an attempt's reservation and book what it cost (cached prompt tokens at the cached price)."""
        cost = self.price.of(usage) if self.price else 0.0
        with self._lock:
            self.reserved -= reserved
            self.spent += cost

    # ----------------------------------------------------------------------- per article, on estimates

    def admit(self, estimate: prices.Estimate | None) -> float | None:
        """Reserve an article's estimated cost, or None (and stop) if it would break the budget."""
        if self.stopped is not None:
            return None
        if self.max_cost is None or estimate is None:
            return 0.0
        with self._lock:
            if self.spent + self.reserved + estimate.cost > self.max_cost:
                self._refuse("and the next article is estimated at", estimate.cost)
                return None
            self.reserved += estimate.cost
        return estimate.cost

    def settle(self, reserved: float, cost: float) -> None:
        """Release an admitted article's reservation and book its real cost."""
        with self._lock:
            self.reserved -= reserved
            self.spent += cost
