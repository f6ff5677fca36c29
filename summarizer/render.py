"""Rendering: an ``ArticleSummary`` as JSON (the contract) or as a Markdown *briefing note* (gist, actors,
then one section per non-empty category in ``schema.CATEGORY`` order, evidence quoted)."""

from __future__ import annotations

import json

from summarizer.schema import CATEGORY, ArticleSummary, Evidence


def to_json(summary: ArticleSummary) -> str:
    return json.dumps(summary.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def _quotes(evidence: list[Evidence]) -> str:
    return "; ".join(f"“{e.quote}” [{e.start}–{e.end}]" for e in evidence)


def to_markdown(summary: ArticleSummary) -> str:
    """A briefing note: gist, actors, then one section per non-empty category, evidence quoted."""
    out = ["# Brief", "", summary.summary.strip(), ""]
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
