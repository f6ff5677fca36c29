"""Rendering: an ``ArticleSummary`` as JSON (the contract) or as a Markdown *briefing note* (gist, actors,
then one section per non-empty category in ``schema.CATEGORY`` order, evidence quoted)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from summarizer.categories import CATEGORY
from summarizer.snapshots import ARTICLE_SUMMARY

if TYPE_CHECKING:
    from summarizer.schema import ArticleSummary, Evidence


def to_json(summary: ArticleSummary) -> str:
    """The summary as JSON (a pydantic model, or a record of one read through its snapshot)."""
    return json.dumps(ARTICLE_SUMMARY.dump_plain(summary), indent=2, ensure_ascii=False) + "\n"


def _quotes(evidence: list[Evidence]) -> str:
    return "; ".join(f"“{e.quote}”" for e in evidence)  # offsets stay in the JSON and HTML


def _one_line(value: object) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def source_line(source: Mapping[str, Any] | None) -> str | None:
    """The line naming where the article is from (site, date, url: those known), or None."""
    if not source:
        return None
    site, published, url = (_one_line(source.get(key)) for key in ("source", "published", "url"))
    known = [part for part in (site, published, f"<{url}>" if url else None) if part]
    return " · ".join(known) if known else None


def to_markdown(
    summary: ArticleSummary, source: Mapping[str, Any] | None = None, provenance: str | None = None
) -> str:  # fmt: skip
    """A briefing note: the article's title (when known) as heading, where it is from, the gist, actors,
    then one section per non-empty category with its evidence quoted. ``provenance`` (say, "replayed
    from authored response(s): ...") is shown as a marker under the heading: the brief is not live."""
    title = _one_line((source or {}).get("title"))
    out = [f"# {title}" if title else "# Brief", ""]
    named = source_line(source)
    if named is not None:
        out += [named, ""]
    if provenance:
        out += [f"> {provenance}", ""]
    out += [summary.summary.strip(), ""]
    if summary.actors:
        out += ["## Actors", ""]
        for a in summary.actors:
            aff = f", {a.affiliation}" if a.affiliation else ""
            out.append(f"- **{a.name}** ({a.type}{aff})")
        out.append("")
    for category in CATEGORY.values():
        items = getattr(summary, category.name)
        if not items:
            continue
        out += [f"## {category.heading}", ""]
        for item in items:
            out.append(f"- {category.headline(item)}")
            if getattr(item, "conditions", None):
                out.append(f"  - Conditions: {'; '.join(item.conditions)}")
            out.append(f"  - Evidence: {_quotes(item.evidence)}")
        out.append("")
    m = summary.metadata
    out += [
        "---",
        f"*{m.model} via {m.base_url_host} ({m.mode}), prompt {m.prompt_version}, "
        f"{m.attempts} attempt(s), {m.usage.total_tokens} tokens.*",
    ]
    if m.warnings:
        out += ["", "**Warnings**", ""] + [f"- {w}" for w in m.warnings]
    return "\n".join(out) + "\n"
