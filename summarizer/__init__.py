"""summarizer: news and policy articles in, validated source-grounded briefs out.

    from summarizer import summarize
    brief = summarize(article_text, model="gpt-4o-mini")

The public names are loaded on first use, so ``summarizer --help`` does not pay for importing the
openai SDK and instructor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from summarizer.version import __version__

if TYPE_CHECKING:
    from summarizer.errors import SummarizerError
    from summarizer.orchestrator import asummarize, summarize
    from summarizer.schema import ArticleSummary

__all__ = ["ArticleSummary", "SummarizerError", "__version__", "asummarize", "summarize"]

_LAZY = {
    "ArticleSummary": "summarizer.schema",
    "SummarizerError": "summarizer.errors",
    "asummarize": "summarizer.orchestrator",
    "summarize": "summarizer.orchestrator",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'summarizer' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
