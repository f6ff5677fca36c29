"""summarizer: news and policy articles in, validated source-grounded briefs out.

    from summarizer import summarize
    brief = summarize(article_text, model="gpt-4o-mini")
"""

__version__ = "0.1.0"

from summarizer.errors import SummarizerError  # noqa: E402
from summarizer.schema import ArticleSummary  # noqa: E402
from summarizer.summarize import asummarize, summarize  # noqa: E402

__all__ = ["ArticleSummary", "SummarizerError", "__version__", "asummarize", "summarize"]
