"""Token overhead: what the instructions and the schema cost on every call, per mode.

For each mode (tools, json_schema, md_json) the script captures the exact request bodies the
pipeline sends for every corpus article (nothing is sent; ``capture.capture``), counts their
prompt tokens offline with the gpt-4o-mini encoding (``prices.request_tokens``: message texts plus a
few tokens per message, plus the JSON of the tool or response format), and subtracts the article's
own tokens. The rest is the overhead: system prompt, delimiters, schema and field descriptions.

Baseline, measured in the same run: a plain instructor call with the same schema (same fields,
types and enums) but no descriptions and no system prompt, the article as the only user message.

    uv run python benchmarks/token_overhead.py
"""

from __future__ import annotations

import contextlib
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2
import instructor
import openai
from pydantic import BaseModel, ConfigDict

from summarizer import prices, tokens
from summarizer.capture import capture
from summarizer.client import MODES
from summarizer.config import Settings
from summarizer.schema import ActorType, ProposalStatus, Stance, SupportStatus, SupportType

ROOT = Path(__file__).resolve().parent.parent
MODEL = "gpt-4o-mini"


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


class _Captured(Exception):
    pass


class _Capture(httpx2.BaseTransport):
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.bodies.append(json.loads(request.content))
        raise _Captured


def plain_bodies(mode: str, texts: list[str]) -> list[dict[str, Any]]:
    network = _Capture()
    sdk = openai.OpenAI(api_key="sk-benchmark", max_retries=0, http_client=httpx2.Client(transport=network))
    client = instructor.from_openai(sdk, mode=MODES[mode])
    for text in texts:
        with contextlib.suppress(Exception):  # our capture, wrapped by the SDK and instructor
            client.chat.completions.create(
                model=MODEL, response_model=Brief, max_retries=0, messages=[{"role": "user", "content": text}]
            )
    return network.bodies


def schema_tokens(body: dict[str, Any]) -> int:
    part = body.get("tools") or body.get("response_format")
    return tokens.count(json.dumps(part, separators=(",", ":")), MODEL) if part else 0


def main() -> int:
    import logging

    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "evals/articles").glob("*.txt"))]
    article_tokens = [tokens.count(t, MODEL) for t in texts]
    settings = replace(Settings(), model=MODEL, api_key="sk-benchmark")
    print(f"token overhead per call ({len(texts)} corpus articles, {MODEL} encoding; median article "
          f"{statistics.median(article_tokens):.0f} tokens)")  # fmt: skip
    print(f"  {'mode':<12}{'summarizer':>12}{'plain':>10}{'ratio':>8}{'schema':>10}{'plain schema':>14}"
          f"{'% of median article':>22}")  # fmt: skip
    for mode in MODES:
        ours = [bodies[0] for bodies in capture(settings, mode, texts)]  # type: ignore[arg-type]
        plain = plain_bodies(mode, texts)
        assert len(ours) == len(plain) == len(texts)
        ours_over = [prices.request_tokens(b, MODEL) - n for b, n in zip(ours, article_tokens, strict=True)]
        plain_over = [prices.request_tokens(b, MODEL) - n for b, n in zip(plain, article_tokens, strict=True)]
        o, p = statistics.median(ours_over), statistics.median(plain_over)
        share = 100 * o / statistics.median(article_tokens)
        print(f"  {mode:<12}{o:>12.0f}{p:>10.0f}{o / p:>8.2f}{schema_tokens(ours[0]):>10}"
              f"{schema_tokens(plain[0]):>14}{share:>21.0f}%")  # fmt: skip
    print("  summarizer/plain = prompt tokens per call minus article tokens; 'schema' = tool or response-format JSON")
    print("  (md_json carries its schema inside the messages, so it shows under the totals, not under 'schema')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
