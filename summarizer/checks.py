"""Checks: the rules the program enforces on a draft, whatever the model says.

*Grounding*: every evidence quote must be located in the article (``grounding.locate``).
*Referential integrity*: every actor reference must name an ``actors[].name``.

While re-asks remain, a violation is a validation error fed back to the model, naming the exact
offending quote or name (``ArticleBrief``'s validator). When they run out, ``finalize`` repairs what
it can and drops what it cannot, and says so in warnings:

- a quote that cannot be located is dropped; an item left with no evidence is dropped;
- a reference that differs from an actor only in case is repaired to the actor's spelling;
- a reference to an unknown actor adds that actor (type ``other``) rather than losing the item.

Under ``strict`` any of these is a ``ValidationFailed`` instead. The final output never carries an
unlocated quote.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from instructor import OpenAISchema
from pydantic import ValidationInfo, model_validator

from summarizer import prompting
from summarizer.categories import CATEGORIES, CATEGORY
from summarizer.errors import ValidationFailed
from summarizer.grounding import locate
from summarizer.schema import Actor, Draft

_ARTICLE: contextvars.ContextVar[str | None] = contextvars.ContextVar("summarizer_article", default=None)


@contextmanager
def grounded_in(article: str) -> Iterator[None]:
    """Validate ``ArticleBrief`` against ``article`` inside this block.

    Not instructor's ``context=``: instructor also renders every message as a Jinja template with
    it, which would run template syntax found in the (untrusted) article and cost a template
    compile per message per call.
    """
    token = _ARTICLE.set(article)
    try:
        yield
    finally:
        _ARTICLE.reset(token)


class ArticleBrief(Draft, OpenAISchema):
    """Structured brief of the article: only what the article states, every item quoted verbatim."""

    # Subclassing instructor's OpenAISchema here, once, lets instructor reuse this class (and its
    # cached function schema) on every call instead of wrapping and re-deriving it per request.

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """What the model reads as the schema (``prompting.brief_schema``: compact); instructor asks for
        it in every mode. Validation does not use it: it runs on the pydantic model itself."""
        return prompting.brief_schema()

    @model_validator(mode="after")
    def _grounded_and_consistent(self, info: ValidationInfo) -> ArticleBrief:
        article = (info.context or {}).get("article", _ARTICLE.get())
        if isinstance(article, str):
            found = problems(self, article)
            if found:
                raise ValueError(
                    "Fix these and answer again (quotes must be copied verbatim from the article):\n- "
                    + "\n- ".join(found)
                )
        return self


class DeclaredArticleBrief(ArticleBrief):
    """The response model of ``md_json`` mode: the instructions declare the type
    (``prompting.declaration``), so the schema instructor appends only points at it."""

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return dict(prompting.DECLARED_SCHEMA)


RESPONSE_MODELS: dict[str, type[ArticleBrief]] = {
    "tools": ArticleBrief,
    "json_schema": ArticleBrief,
    "md_json": DeclaredArticleBrief,
}


def problems(draft: Draft, article: str) -> list[str]:
    """Every grounding and reference violation in ``draft``, one precise line each."""
    found: list[str] = []
    known = {a.name.casefold() for a in draft.actors}
    for category in CATEGORIES:
        for i, item in enumerate(getattr(draft, category)):
            for j, quote in enumerate(item.evidence):
                if locate(quote, article) is None:
                    found.append(f"{category}[{i}].evidence[{j}] is not in the article: {quote!r}")
            for field, name in CATEGORY[category].names(item):
                if name.casefold() not in known:
                    found.append(
                        f"{category}[{i}].{field} names {name!r}, which is not in actors; "
                        "use an actors[].name or add the actor"
                    )
    return found


def finalize(draft: Draft, article: str, *, strict: bool) -> tuple[dict[str, Any], list[str]]:
    """Locate evidence, repair references, drop what cannot be grounded.

    Returns the schema-v1 content (everything but ``schema_version`` and ``metadata``) and the
    warnings that say what was changed.
    """
    warnings: list[str] = []
    actors: list[Actor] = []
    by_fold: dict[str, str] = {}
    for actor in draft.actors:
        fold = actor.name.casefold()
        if fold in by_fold:
            warnings.append(f"actors: duplicate actor {actor.name!r} merged")
            continue
        by_fold[fold] = actor.name
        actors.append(actor)

    def resolve(where: str, name: str) -> str:
        canonical = by_fold.get(name.casefold())
        if canonical is None:
            if strict:
                raise ValidationFailed(f"{where} names unknown actor {name!r}")
            warnings.append(f"{where}: unknown actor {name!r} added to actors")
            actors.append(Actor(name=name, type="other", affiliation=None))
            by_fold[name.casefold()] = name
            return name
        if canonical != name:
            warnings.append(f"{where}: actor {name!r} repaired to {canonical!r}")
        return canonical

    content: dict[str, Any] = {"summary": draft.summary}
    for category in CATEGORIES:
        kept: list[dict[str, Any]] = []
        for item in getattr(draft, category):
            where = f"{category} “{CATEGORY[category].label(item, 60)}”"  # by content: indexes shift as items drop
            evidence = []
            for quote in item.evidence:
                span = locate(quote, article)
                if span is None:
                    if strict:
                        raise ValidationFailed(f"{where}: quote not found in the article: {quote!r}")
                    warnings.append(f"{where}: dropped unlocated quote {quote!r}")
                    continue
                located = article[span.start : span.end]
                evidence.append({"quote": located, "start": span.start, "end": span.end, "match": span.match})
            if not evidence:
                warnings.append(f"{where}: dropped item with no grounded evidence")
                continue
            data = item.model_dump()
            data["evidence"] = evidence
            for field in CATEGORY[category].references:
                value = data[field]
                if isinstance(value, list):
                    data[field] = [resolve(f"{where} ({field})", v) for v in value]
                elif value is not None:
                    data[field] = resolve(f"{where} ({field})", value)
            kept.append(data)
        content[category] = kept
    content["actors"] = [a.model_dump() for a in actors]
    return content, warnings


def warning_kind(warning: str) -> str | None:
    """What a ``metadata.warnings`` line says happened: ``dropped`` (an item lost, here or in a chunk),
    ``repaired`` (an actor reference fixed or added), or None (a dropped quote of a kept item, ...)."""
    if "dropped item" in warning or "dropped an item" in warning or "failed and is missing" in warning:
        return "dropped"
    if "repaired to" in warning or "added to actors" in warning or "duplicate actor" in warning:
        return "repaired"
    return None
