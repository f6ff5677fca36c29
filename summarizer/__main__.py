"""``python -m summarizer``: the same command line as the ``summarizer`` console script."""

from summarizer.cli import console

raise SystemExit(console())
