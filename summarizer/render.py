"""Renderers: an ``ArticleSummary`` as JSON (the contract) or as a Markdown briefing note."""

from __future__ import annotations

import json

from summarizer.schema import ArticleSummary, Evidence


def to_json(summary: ArticleSummary) -> str:
    return json.dumps(summary.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def _quotes(evidence: list[Evidence]) -> str:
    return "; ".join(f"“{e.quote}” [{e.start}–{e.end}]" for e in evidence)


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else "—"


def to_markdown(summary: ArticleSummary) -> str:
    """A briefing note: gist, actors, then one section per non-empty category, evidence quoted."""
    out = ["# Brief", "", summary.summary.strip(), ""]
    if summary.actors:
        out += ["## Actors", ""]
        for a in summary.actors:
            aff = f", {a.affiliation}" if a.affiliation else ""
            out.append(f"- **{a.name}** ({a.type}{aff})")
        out.append("")
    if summary.positions:
        out += ["## Positions", ""]
        for p in summary.positions:
            out.append(f"- **{p.actor}** — {p.stance} — *{p.topic}*: {p.statement}")
            out.append(f"  - Evidence: {_quotes(p.evidence)}")
        out.append("")
    if summary.proposals:
        out += ["## Proposals", ""]
        for pr in summary.proposals:
            out.append(f"- **{pr.proposer}** → {_names(pr.addressees)} ({pr.status}): {pr.proposal}")
            out.append(f"  - Evidence: {_quotes(pr.evidence)}")
        out.append("")
    if summary.risks:
        out += ["## Risks", ""]
        for r in summary.risks:
            who = r.raised_by or "the article"
            out.append(f"- {r.risk} (raised by {who}; affects {_names(r.affected)})")
            out.append(f"  - Evidence: {_quotes(r.evidence)}")
        out.append("")
    if summary.support_commitments:
        out += ["## Support commitments", ""]
        for s in summary.support_commitments:
            out.append(f"- **{s.provider}** → **{s.recipient}**: {s.support_type}, {s.status} — {s.description}")
            if s.conditions:
                out.append(f"  - Conditions: {'; '.join(s.conditions)}")
            out.append(f"  - Evidence: {_quotes(s.evidence)}")
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
