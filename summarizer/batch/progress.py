"""Progress of a batch run: one status line on stderr (articles, rate, tokens and cost so far), redrawn
in place on a terminal and printed every 10% otherwise; notes (failures, resumes) go above it.
"""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO

from summarizer.batch.ledger import Ledger


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
