"""Prompts: the templates in ``prompts/`` rendered into chat messages by a pure function.

The templates live in the repository's top-level ``prompts/`` folder; the wheel carries them as
``summarizer/prompts/`` (hatch's ``force-include`` in ``pyproject.toml``). ``_prompts_dir()`` finds
them either way: the packaged folder next to this module when it exists (an installed wheel), else
``<repo>/prompts`` (a source checkout, including the editable install ``uv sync`` makes).

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
from pathlib import Path
from string import Template

from summarizer.errors import SummarizerError

_TEMPLATES = ("system.txt", "user.txt")


def _prompts_dir() -> Path:
    """The template folder: ``summarizer/prompts`` in a wheel, ``<repo>/prompts`` in a checkout.

    A folder counts only if it holds the templates: an old checkout may keep a leftover
    ``summarizer/prompts/__pycache__`` after the templates moved out.
    """
    package = Path(__file__).resolve().parent
    candidates = (package / "prompts", package.parent / "prompts")
    for folder in candidates:
        if all((folder / name).is_file() for name in _TEMPLATES):
            return folder
    raise SummarizerError(
        "prompt templates not found (looked in " + " and ".join(str(c) for c in candidates) + ")",
        hint="reinstall summarizer, or run it from a checkout that has the top-level prompts/ folder",
    )


@cache
def _template(name: str) -> str:
    return (_prompts_dir() / name).read_text(encoding="utf-8")


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
    for name in _TEMPLATES:
        digest.update(_template(name).encode("utf-8"))
    digest.update(json.dumps(ArticleBrief.model_json_schema(), sort_keys=True).encode("utf-8"))
    return digest.hexdigest()[:12]
