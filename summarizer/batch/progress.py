"""Progress of a batch run on stderr: on a terminal, one live line drawn by ``rich`` (articles done of
all, a bar, rate, tokens, cost and time left), fitted to the terminal's width from 60 columns up and
redrawn in place; otherwise plain lines every 10%. Notes (failures, resumes) go above it.
"""

from __future__ import annotations

import math
import shutil
import sys
import time
from typing import Any, TextIO

from summarizer.batch.ledger import Ledger

MIN_WIDTH = 60


class Progress:
    """The status of a batch run: a live line on a terminal, a line every 10% otherwise."""

    def __init__(self, total: int, ledger: Ledger, stream: TextIO | None = None, width: int | None = None) -> None:
        self.total = total
        self.ledger = ledger
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.ok = 0
        self.failed = 0
        self._step = -1
        self._live: Any = None
        if self.tty:
            self._live, self._task = self._start(width)

    def _start(self, width: int | None) -> tuple[Any, Any]:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        columns = width or shutil.get_terminal_size((80, 24)).columns
        console = Console(file=self.stream, width=max(MIN_WIDTH, columns), force_terminal=True, highlight=False)
        live = Progress(
            TextColumn("{task.completed}/{task.total}"),
            BarColumn(bar_width=None),
            TextColumn("{task.fields[status]}"),
            TimeRemainingColumn(compact=True),
            console=console,
            refresh_per_second=4,
        )
        task = live.add_task("batch", total=self.total, status=self._status())
        live.start()
        return live, task

    @property
    def done(self) -> int:
        return self.ok + self.failed

    def _status(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        cost = f"${self.ledger.spent:.4f}" if self.ledger.price else "cost n/a"
        tokens = self.ledger.usage.total_tokens
        shown = f"{tokens / 1_000_000:.1f}M" if tokens >= 1_000_000 else f"{tokens / 1000:.0f}k" if tokens >= 10_000 else f"{tokens}"
        return f"{self.done / elapsed:.1f}/s {shown} tok {cost}"

    def line(self) -> str:
        """The plain status line (no terminal)."""
        pct = 100 * self.done / self.total if self.total else 100.0
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        eta = f" · eta {(self.total - self.done) / rate:.0f}s" if rate > 0 and self.done < self.total else ""
        cost = f"${self.ledger.spent:.4f}" if self.ledger.price else "cost n/a"
        return (f"{self.done}/{self.total} ({pct:.0f}%) · {rate:.1f} articles/s · "
                f"{self.ledger.usage.total_tokens:,} tokens · {cost} · {self.ok} ok, {self.failed} failed{eta}")  # fmt: skip

    def update(self, ok: bool) -> None:
        if ok:
            self.ok += 1
        else:
            self.failed += 1
        if self._live is not None:
            self._live.update(self._task, completed=self.done, status=self._status())
            return
        step = math.floor(10 * self.done / self.total) if self.total else 10
        if step > self._step:
            self._step = step
            print(self.line(), file=self.stream, flush=True)

    def note(self, message: str) -> None:
        if self._live is not None:
            self._live.console.print(message, markup=False, highlight=False)  # wrapped to the width
            return
        print(message, file=self.stream, flush=True)

    def finish(self) -> None:
        if self._live is not None:
            self._live.update(self._task, completed=self.done, status=self._status())
            self._live.stop()
            self._live = None
