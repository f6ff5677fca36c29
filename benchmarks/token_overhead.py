"""Token overhead: what the instructions and the schema cost on every call, per mode.

For each mode (tools, json_schema, md_json) the script captures the exact first request body the
pipeline sends for every corpus article (nothing is sent; ``capture.capture``) and counts, with the
o200k encoding (gpt-4o-mini), the JSON as sent (compact separators) of the messages plus the tool or
response format, minus the article's own tokens. That is the overhead, printed in parts: the system
message (for md_json it holds the declared type, and instructor's own schema note), the user
template around the article, the schema (tools / response_format) and, inside it, the field
descriptions. The static prefix (schema, system message and the template up to the article: what a
provider's prompt cache can serve; OpenAI caches prefixes of 1,024 tokens or more) is printed too.

Baseline, measured in the same run: the JSON Schema pydantic makes of the same model (same fields,
types and enums) with no descriptions, as sent (compact). Targets: tools and json_schema ≤ 1.2× it,
md_json ≤ 1.0×.

    uv run python benchmarks/token_overhead.py
"""

from __future__ import annotations

import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from summarizer import tokens
from summarizer.capture import capture
from summarizer.config import MODE_NAMES, Settings
from summarizer.schema import ActorType, ProposalStatus, Stance, SupportStatus, SupportType

ROOT = Path(__file__).resolve().parent.parent
MODEL = "gpt-4o-mini"
TARGET = {"tools": 1.2, "json_schema": 1.2, "md_json": 1.0}


# --------------------------------------------------------------------------- the baseline schema


class _Bare(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Actor(_Bare):
    name: str
    type: ActorType
    affiliation: str | None


class Position(_Bare):
    actor: str
    topic: str
    stance: Stance
    statement: str
    evidence: list[str]


class Proposal(_Bare):
    proposer: str
    proposal: str
    addressees: list[str]
    status: ProposalStatus
    evidence: list[str]


class Risk(_Bare):
    risk: str
    raised_by: str | None
    affected: list[str]
    evidence: list[str]


class SupportCommitment(_Bare):
    provider: str
    recipient: str
    support_type: SupportType
    description: str
    status: SupportStatus
    conditions: list[str]
    evidence: list[str]


class Brief(_Bare):
    summary: str
    actors: list[Actor]
    positions: list[Position]
    proposals: list[Proposal]
    risks: list[Risk]
    support_commitments: list[SupportCommitment]


def sent(value: Any) -> int:
    """Tokens of ``value`` as the SDK sends it (compact JSON)."""
    return tokens.count(json.dumps(value, separators=(",", ":"), ensure_ascii=False), MODEL)


def descriptions(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["description"]] if isinstance(node.get("description"), str) else []
        return found + [d for v in node.values() for d in descriptions(v)]
    if isinstance(node, list):
        return [d for v in node for d in descriptions(v)]
    return []


def parts(body: dict[str, Any], article: str) -> dict[str, int]:
    schema = {k: body[k] for k in ("tools", "tool_choice", "response_format") if k in body}
    messages = body["messages"]
    system = next(m for m in messages if m["role"] == "system")
    users = [m for m in messages if m["role"] == "user"]
    template = sent(users) - tokens.count(json.dumps(article, ensure_ascii=False)[1:-1], MODEL)
    total = sent(messages) + (sent(schema) if schema else 0) - tokens.count(json.dumps(article, ensure_ascii=False)[1:-1], MODEL)
    head = users[0]["content"].split(article)[0]
    return {
        "total": total,
        "system": sent(system),
        "template": template,
        "schema": sent(schema) if schema else 0,
        "descriptions": sum(tokens.count(d, MODEL) for d in descriptions(schema)),
        "prefix": (sent(schema) if schema else 0) + sent(system) + tokens.count(head, MODEL),
    }


def main() -> int:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "evals/articles").glob("*.txt"))]
    article_tokens = [tokens.count(t, MODEL) for t in texts]
    plain = sent(Brief.model_json_schema())
    settings = replace(Settings(), model=MODEL, api_key="sk-benchmark")
    print(f"token overhead per call ({len(texts)} corpus articles, o200k; median article "
          f"{statistics.median(article_tokens):.0f} tokens); baseline: plain pydantic schema, no descriptions, "
          f"{plain} tokens")  # fmt: skip
    print(f"  {'mode':<12}{'overhead':>9}{'ratio':>7}{'target':>8}{'system':>8}{'template':>10}{'schema':>8}"
          f"{'descr.':>8}{'static prefix':>15}")  # fmt: skip
    for mode in MODE_NAMES:
        bodies = [b[0] for b in capture(settings, mode, texts)]
        measured = [parts(b, t) for b, t in zip(bodies, texts, strict=True)]
        m = {k: statistics.median(x[k] for x in measured) for k in measured[0]}
        ratio = m["total"] / plain
        verdict = "ok" if ratio <= TARGET[mode] else "OVER"
        print(f"  {mode:<12}{m['total']:>9.0f}{ratio:>7.2f}{'≤' + str(TARGET[mode]):>8}{m['system']:>8.0f}"
              f"{m['template']:>10.0f}{m['schema']:>8.0f}{m['descriptions']:>8.0f}{m['prefix']:>15.0f}  {verdict}")  # fmt: skip
    print("  overhead = messages + tools/response_format as sent, minus the article; medians over the articles")
    print("  static prefix = what every call starts with (cacheable by providers at 1,024 tokens or more)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
