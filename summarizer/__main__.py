"""``python -m summarizer``: the same command line as the ``summarizer`` console script."""

from summarizer.cli import main

raise SystemExit(main())
