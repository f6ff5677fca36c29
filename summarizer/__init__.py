"""summarizer: news and policy articles in, validated source-grounded briefs out.

    from summarizer import summarize
    brief = summarize(article_text, model="gpt-4o-mini")
"""

__version__ = "0.1.0"

from summarizer.errors import SummarizerError
from summarizer.schema import ArticleSummary
from summarizer.summarize import asummarize, summarize

__all__ = ["ArticleSummary", "SummarizerError", "__version__", "asummarize", "summarize"]
