"""The batch progress display: a live line that fits the terminal, plain lines elsewhere; the final
table counts dropped items and repaired references."""

from __future__ import annotations

import io
import re
from pathlib import Path

from summarizer.batch.ledger import Ledger
from summarizer.batch.progress import Progress
from summarizer.batch.report import Report
from summarizer.prices import Price

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _drive(stream: io.StringIO, width: int | None = None) -> None:
    ledger = Ledger(price=Price(1.0, 2.0))
    progress = Progress(100, ledger, stream, width=width)
    for i in range(100):
        if i == 40:
            progress.note("failed: a long article id that goes on and on: ProviderError: the server said no " * 2)
        progress.update(ok=i % 10 != 0)
    progress.finish()


def test_on_a_60_column_terminal_every_drawn_line_fits(tmp_path: Path) -> None:
    screen = Terminal()
    _drive(screen, width=60)
    drawn = [ANSI.sub("", line) for line in re.split(r"[\r\n]", screen.getvalue())]
    assert max(len(line) for line in drawn) <= 60
    assert any(line.startswith("100/100") for line in drawn)
    assert any("failed: a long article id" in line for line in drawn)  # the note, above the bar


def test_without_a_terminal_a_plain_line_every_tenth() -> None:
    log = io.StringIO()
    _drive(log)
    lines = [line for line in log.getvalue().splitlines() if "articles/s" in line]
    assert len(lines) == 11 and lines[-1].startswith("100/100 (100%)") and "\x1b" not in log.getvalue()  # the first, then each tenth
    assert "90 ok, 10 failed" in lines[-1]


def test_final_table_counts_dropped_items_and_repaired_references() -> None:
    table = Report(total=3, succeeded=3, dropped_items=2, repaired_refs=5).table(Path("out.jsonl"))
    assert re.search(r"dropped\s+2\s+items or chunks missing", table)
    assert re.search(r"repaired\s+5\s+actor references", table)
