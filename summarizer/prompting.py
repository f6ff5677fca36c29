"""Prompts: the templates in ``summarizer/prompts/`` rendered into chat messages by a pure function.

``render(article)`` returns the messages for one article; the same article always yields the same
messages, which is what lets a recorded exchange be replayed. The article is untrusted data: it is
fenced by markers whose tag is derived from the article's own hash, so text inside it cannot close
the fence. ``PROMPT_VERSION`` is a short hash of the templates and of the response schema the model
reads (its field descriptions are instructions too), so any change to either is visible in metadata
and in recordings.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from string import Template


@cache
def _template(name: str) -> str:
    return resources.files("summarizer.prompts").joinpath(name).read_text(encoding="utf-8")


def render(article: str) -> list[dict[str, str]]:
    """The chat messages that ask for a brief of ``article``."""
    delimiter = hashlib.sha256(article.encode("utf-8")).hexdigest()[:12]
    user = Template(_template("user.txt")).substitute(article=article, delimiter=delimiter)
    return [
        {"role": "system", "content": _template("system.txt").strip()},
        {"role": "user", "content": user.strip()},
    ]


@cache
def prompt_version() -> str:
    from summarizer.checks import ArticleBrief

    digest = hashlib.sha256()
    for name in ("system.txt", "user.txt"):
        digest.update(_template(name).encode("utf-8"))
    digest.update(json.dumps(ArticleBrief.model_json_schema(), sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:12]
