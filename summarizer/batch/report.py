"""The report of a batch run: what happened to every article, what it cost, and the final table."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from summarizer.schema import Usage


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
    dropped_lines: int = 0  # lines of articles run again, removed before the run
    repaired: str | None = None  # what was repaired at the end of the file before the run, if anything
    stale: int = 0  # finished articles whose lines were made with another model, mode or prompt version
    redo_stale: bool = False  # ... and whether they were run again
    dropped_items: int = 0  # items (or chunks) lost from succeeded briefs, per metadata.warnings
    repaired_refs: int = 0  # actor references repaired or added
    failures: list[tuple[str, str]] = field(default_factory=list)

    def _cached_note(self) -> str:
        """How much of the prompt the provider served from its prompt cache (a dry run's --cache-hit-rate)."""
        if not self.usage.prompt_tokens:
            return "prompt tokens served from the provider's prompt cache"
        share = self.usage.cached_tokens / self.usage.prompt_tokens
        return f"{share:.0%} of prompt tokens, served from the provider's prompt cache"

    def table(self, output: Path) -> str:
        cost = f"${self.cost:.4f}" if self.cost is not None else "n/a (no price for this model)"
        rows = [
            ("articles", f"{self.total}", ""),
            ("succeeded", f"{self.succeeded}", ""),
            ("failed", f"{self.failed}", "error lines; re-run the same command to retry them" if self.failed else ""),
            ("skipped", f"{self.skipped}", f"already done in {output}" if self.skipped else ""),
            ("not started", f"{self.not_started}", "re-run the same command to resume" if self.not_started else ""),
            ("dropped", f"{self.dropped_items}", "items or chunks missing from succeeded briefs (see their warnings)"),
            ("repaired", f"{self.repaired_refs}", "actor references repaired or added (see their warnings)"),
            ("attempts", f"{self.attempts}", "model calls, retries and re-asks included"),
            (
                "tokens",
                f"{self.usage.total_tokens:,}",
                f"{self.usage.prompt_tokens:,} prompt + {self.usage.completion_tokens:,} completion",
            ),
            ("cached", f"{self.usage.cached_tokens:,}", self._cached_note()),
            ("cost", cost, "cached tokens at the cached-input price" if self.usage.cached_tokens and self.cost is not None else ""),
            ("wall time", f"{self.wall_s:.1f}s", ""),
        ]
        if self.stale:
            why = "made with another model/mode/prompt version"
            rows.insert(5, ("stale", f"{self.stale}", f"{why}; redone" if self.redo_stale else f"{why}; --redo-stale redoes them"))
        out = [f"batch summary ({output})"]
        out += [f"  {k:<12}{v:>14}   {note}".rstrip() for k, v, note in rows]
        return "\n".join(out)
