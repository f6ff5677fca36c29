"""The ledger of a batch run: what it has spent, and what the budget has set aside for articles in flight.

Every attempt's tokens count, failed attempts, re-asks and failed articles included
(``accounting.CallStats`` books nest per article); cost comes from ``summarizer.prices``. With
``max_cost``, ``admit`` reserves an article's estimated cost (``prices.estimate``, scaled by the ratio
of real to estimated cost of the articles finished so far) and refuses, for good, the first article
whose reservation would take spent + in flight past the budget; ``settle`` books what it really cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from summarizer import accounting, prices
from summarizer.schema import Usage


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

    def settle(self, reserved: float, estimate: prices.Estimate | None, books: accounting.CallStats, cost: float) -> None:
        self.reserved -= reserved
        self.attempts += books.attempts
        self.usage = self.usage + books.usage
        self.spent += cost
        if estimate is not None and books.attempts:
            self.estimated_done += estimate.cost
            self.spent_done += cost
