"""Batch: many articles in, one JSON line per article out, concurrently, resumably, within a budget.

A *batch run* summarises every article named by its inputs (files; directories, searched recursively
for ``*.txt``, or ``--glob`` patterns; JSON Lines files of ``{"id", "text"}``) into a *results file* of
JSON Lines, one line per article (contract, DESIGN.md §2)::

    {"id": ..., "article_sha256": ..., "ok": true,  "summary": {...ArticleSummary...}}
    {"id": ..., "article_sha256": ..., "ok": false, "error": {"type": ..., "message": ...}}

It is made of small parts, one module each, bottom to top:

- ``articles``: what the inputs name (ids, texts read on demand) and the checks on ``-o``;
- ``report``: what happened, and the final table; ``ledger``: spend and the ``--max-cost`` ceiling
  (every HTTP attempt's worst case reserved before it is sent); ``results``: the results file
  (only result lines, torn lines repaired, atomic rewrites, resume index of ids and hashes);
- ``options``; ``progress``: the status line; ``lock``: one run per results file;
- ``plan``: the inputs walked without keeping texts (``survey``, then ``Stream``), token counts and
  prices; nothing in it calls a model;
- ``workers``: concurrent summarising with one shared engine; ``openai_batch``: first attempts via
  the OpenAI Batch API; ``run``: the whole run; ``dry_run``: the run priced offline.

The names that need the openai SDK (``run_batch``, ``arun_batch``) load on first use, so
``batch --dry-run`` never imports it. ``dry_run`` is imported at once: the function shares its
module's name, and a lazy name would be shadowed by the module once anything imported it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from summarizer.batch.dry_run import DryRun, dry_run

if TYPE_CHECKING:
    from summarizer.batch.articles import DEFAULT_PATTERNS, Article, collect
    from summarizer.batch.options import Options
    from summarizer.batch.report import Report
    from summarizer.batch.run import arun_batch, run_batch

__all__ = ["DEFAULT_PATTERNS", "Article", "DryRun", "Options", "Report", "arun_batch", "collect", "dry_run", "run_batch"]

_LAZY = {
    "DEFAULT_PATTERNS": "articles", "Article": "articles", "collect": "articles", "Options": "options",
    "Report": "report", "arun_batch": "run", "run_batch": "run",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'summarizer.batch' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"summarizer.batch.{module}"), name)
    globals()[name] = value
    return value
