"""The ``schema`` command: the JSON Schema of ``ArticleSummary`` (schema v1)."""

from __future__ import annotations

import argparse
from typing import Any

from summarizer.cli.common import write


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of ArticleSummary (schema v1)."""
    import json

    from summarizer.snapshots import ARTICLE_SUMMARY  # the shipped copy: no pydantic import while current

    write(json.dumps(ARTICLE_SUMMARY.json_schema(), indent=2) + "\n", None)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("schema", help=cmd_schema.__doc__, description=cmd_schema.__doc__)
    p.set_defaults(handler=cmd_schema, quick=lambda args: True)  # quick: see summarizer.cli
