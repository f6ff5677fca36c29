"""The ``compare`` command: two runs on the same gold, paired by document."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from summarizer.cli.common import add_report_outputs, import_yaml, write
from summarizer.errors import InputError


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare run B against run A on the same gold: per-category scores of each and the difference,
    a paired bootstrap interval of the micro-F1 difference, wins/ties/losses per document, what changed.
    A and B are each a predictions directory, a batch results .jsonl, a gold directory (another
    labelling) or a saved eval --json report."""
    import_yaml()  # gold files are YAML
    from summarizer.evaluation.gold import DEFAULT_ALIASES, DEFAULT_GOLD, default_path

    sides = [Path(args.a), Path(args.b)]
    for side in sides:
        if not side.exists():
            raise InputError(f"not found: {side}", hint="each side is a predictions directory, a batch results "
                                                        ".jsonl, a gold directory or an eval --json report")  # fmt: skip
    from summarizer.errors import RegressionDetected
    from summarizer.evaluation.compare import compare, kind_of, load_sides, to_markdown, to_text

    needs_gold = any(kind_of(side) != "report" for side in sides)
    gold_dir = default_path(args.gold, DEFAULT_GOLD, "--gold DIR") if needs_gold else Path(args.gold or DEFAULT_GOLD)
    aliases = default_path(args.aliases, DEFAULT_ALIASES, "--aliases F") if needs_gold else None
    a, b = load_sides(sides, gold_dir=gold_dir, aliases=aliases)
    comparison = compare(a, b)
    sys.stdout.write(to_text(comparison))
    if args.json:
        write(comparison.to_json(), args.json)
    if args.markdown:
        write(to_markdown(comparison), args.markdown)
    if args.html:
        from summarizer.evaluation.compare_page import to_html

        write(to_html(comparison, a, b), args.html)
    if args.fail_if_worse and comparison.worse:
        i = comparison.bootstrap
        raise RegressionDetected(f"B's micro F1 is lower than A's by {-i.difference:.3f}, "
                                 f"95% interval [{i.low:+.3f}, {i.high:+.3f}] excludes 0",
                                 hint="B is worse than A on this gold")  # fmt: skip
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("compare", help=cmd_compare.__doc__, description=cmd_compare.__doc__)
    p.add_argument("a", metavar="A", help="the run compared against (the reference)")
    p.add_argument("b", metavar="B", help="the run compared")
    p.add_argument("--gold", metavar="DIR", help="gold files to score A and B against (default: evals/gold of the project)")
    p.add_argument("--aliases", metavar="F", help="actor aliases (default: evals/aliases.yaml of the project)")
    add_report_outputs(p, "comparison", "both runs side by side")
    p.add_argument("--fail-if-worse", action="store_true",
                   help="exit 10 when B's micro F1 is lower and the 95%% interval excludes 0")  # fmt: skip
    p.set_defaults(handler=cmd_compare, quick=lambda args: True)  # calls no model: quick (see summarizer.cli)
