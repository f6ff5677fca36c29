"""The ``render`` command: a batch results file into a static review site (see ``summarizer.review_site``).

It calls no model, so it never imports the openai SDK or instructor.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def cmd_render(args: argparse.Namespace) -> int:
    """Render a batch results file as a static review site: DIR/index.html and one page per brief."""
    from summarizer.batch.articles import DEFAULT_PATTERNS
    from summarizer.review_site import render

    report = render(Path(args.results), args.inputs, Path(args.output), tuple(args.glob or DEFAULT_PATTERNS))
    print(f"rendered {report.articles} article(s) ({report.ok} ok, {report.failed} failed) to "
          f"{report.target / 'index.html'}: {report.pages} page(s), {report.highlighted} highlighted, "
          f"{report.changed} whose input's text changed since the run, {report.missing} without an input text",
          file=sys.stderr)  # fmt: skip
    return 0


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("render", help=cmd_render.__doc__, description=cmd_render.__doc__)
    p.add_argument("results", metavar="RESULTS.jsonl", help="results file of summarizer batch")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="the inputs the batch read (files, directories, JSONL of {id, text|html}): each brief is "
                        "highlighted over its article's text when that text still has the hash in the results")  # fmt: skip
    p.add_argument("--glob", action="append", metavar="PATTERN",
                   help="file names to take from directories, as given to batch (default: *.txt)")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="the site's directory: index.html and a/<id>.html; pages are replaced, never appended to")
    p.set_defaults(handler=cmd_render, quick=lambda args: True)  # calls no model: quick (see summarizer.cli)
