"""The *category table* (``CATEGORY``): what each kind of item means to every part of the program.

A *category* is one of the four lists of items of schema v1 (positions, proposals, risks, support
commitments). ``CATEGORY`` declares, once, which fields of its items name actors, which text says what
the item is, which attributes are scored, and how it reads in a brief; checks, chunk merging, eval
scoring, reports and rendering all read it, so adding a category touches this module and
``summarizer.schema`` only. It imports no pydantic: commands that call no model read it without the models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Category:
    """What one category of item means, declared once for the whole program."""

    name: str  # the list's field name in ``Draft`` and ``ArticleSummary``
    heading: str  # its section heading in a brief
    references: tuple[str, ...]  # fields that name actors (a name, or a list of names)
    parties: tuple[str, ...]  # roles that must name the same side for two items to be the same item (eval)
    gist: str  # the field that says in one line what the item is (warnings, reports)
    match_text: tuple[str, ...]  # free text compared when scoring against gold
    merge_text: str  # free text compared to find duplicates when merging chunks
    merge_same: tuple[str, ...]  # fields that must be equal for two chunks' items to be duplicates
    merge_lists: tuple[str, ...]  # list fields united when duplicates merge
    attributes: tuple[str, ...]  # categorical fields whose accuracy is scored on matched pairs
    headline: Callable[[Any], str]  # the item's line in a Markdown brief

    def names(self, item: Any) -> list[tuple[str, str]]:
        """(field, actor name) for each actor reference ``item`` makes."""
        out: list[tuple[str, str]] = []
        for field in self.references:
            value = getattr(item, field)
            out += [(field, name) for name in (value if isinstance(value, list) else [value]) if name is not None]
        return out

    def label(self, item: Any, width: int = 80) -> str:
        """The item's gist, cut to ``width`` characters."""
        value = str(getattr(item, self.gist))
        return value if len(value) <= width else value[: width - 3] + "..."


def _to(names: list[str]) -> str:
    return f" → {', '.join(names)}" if names else ""


def _affects(names: list[str]) -> str:
    return f"; affects {', '.join(names)}" if names else ""


CATEGORY: dict[str, Category] = {
    c.name: c
    for c in (
        Category(
            name="positions", heading="Positions", references=("actor",), parties=("actor",),
            gist="statement", match_text=("topic", "statement"), merge_text="topic",
            merge_same=("actor", "stance"), merge_lists=(), attributes=("stance",),
            headline=lambda p: f"**{p.actor}** — {p.stance} — *{p.topic}*: {p.statement}",
        ),
        Category(
            name="proposals", heading="Proposals", references=("proposer", "addressees"), parties=("proposer",),
            gist="proposal", match_text=("proposal",), merge_text="proposal",
            merge_same=("proposer",), merge_lists=("addressees",), attributes=("status",),
            headline=lambda p: f"**{p.proposer}**{_to(p.addressees)} ({p.status}): {p.proposal}",
        ),
        Category(
            name="risks", heading="Risks", references=("raised_by", "affected"), parties=(),
            gist="risk", match_text=("risk",), merge_text="risk",
            merge_same=("raised_by",), merge_lists=("affected",), attributes=(),
            headline=lambda r: f"{r.risk} (raised by {r.raised_by or 'the article'}{_affects(r.affected)})",
        ),
        Category(
            name="support_commitments", heading="Support commitments", references=("provider", "recipient"),
            parties=("provider", "recipient"), gist="description", match_text=("description",),
            merge_text="description", merge_same=("provider", "recipient", "support_type"),
            merge_lists=("conditions",), attributes=("status", "support_type"),
            headline=lambda s: f"**{s.provider}** → **{s.recipient}**: {s.support_type}, {s.status} — {s.description}",
        ),
    )
}  # fmt: skip
CATEGORIES: tuple[str, ...] = tuple(CATEGORY)
