"""The ``export`` command: a batch results file into tables for analysis (see ``summarizer.export``).

It calls no model, so it never imports the openai SDK or instructor.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

FORMATS = ("sqlite", "csv", "parquet")  # summarizer.export.FORMATS, not imported here to keep --help light


def cmd_export(args: argparse.Namespace) -> int:
    """Export a batch results file (JSON Lines) to SQLite (-o x.db), CSV (-o DIR) or Parquet (--format parquet)."""
    from summarizer.export import export

    report = export(Path(args.results), Path(args.output), args.format)
    what = "one file per table in " if report.format != "sqlite" else ""
    replaced = f"; {report.replaced} line(s) of an id seen before replaced its earlier line" if report.replaced else ""
    print(f"exported {report.articles} article(s) ({report.ok} ok, {report.failed} failed) as {report.format} to "
          f"{what}{report.target}{replaced}", file=sys.stderr)  # fmt: skip
    counts = ", ".join(f"{name} {n}" for name, n in report.counts.items())
    print(f"rows: {counts}", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("export", help=cmd_export.__doc__, description=cmd_export.__doc__)
    p.add_argument("results", metavar="RESULTS.jsonl", help="results file of summarizer batch")
    p.add_argument("-o", "--output", required=True, metavar="FILE|DIR",
                   help="a .db/.sqlite file (SQLite), or a directory (one CSV file per table); replaced, never appended to")  # fmt: skip
    p.add_argument("--format", choices=FORMATS, help="default: sqlite for a .db/.sqlite/.sqlite3 name, else csv; "
                   "parquet needs the parquet extra (pyarrow)")  # fmt: skip
    p.set_defaults(handler=cmd_export, quick=lambda args: True)  # calls no model: quick (see summarizer.cli)
