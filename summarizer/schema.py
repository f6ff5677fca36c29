"""Schema v1: the output contract (``ArticleSummary``) and the draft the model fills (``Draft``).

The *draft* models are what the model sees through instructor: the same field names as schema v1,
with ``evidence`` as plain quote strings and no metadata. Their field descriptions are the
instructions the model reads, so they are short and imperative. The *output* models add located
``Evidence`` (offsets into the article) and ``RunMetadata``, both filled by the program.

What each of the four lists of items (a *category*) means to the rest of the program is declared in
``summarizer.categories`` (``CATEGORY``), re-exported here; adding a category touches the two modules.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from summarizer.categories import CATEGORIES, CATEGORY, Category
from summarizer.config import Mode

__all__ = ["CATEGORIES", "CATEGORY", "Category"]  # the category table, defined in summarizer.categories

SCHEMA_VERSION: Literal["1"] = "1"

ActorType = Literal["state", "organization", "person", "group", "other"]
Stance = Literal["support", "oppose", "conditional", "considering", "neutral"]
ProposalStatus = Literal["proposed", "under_consideration", "accepted", "rejected", "implemented"]
SupportType = Literal["military", "financial", "humanitarian", "diplomatic", "political", "other"]
SupportStatus = Literal["pledged", "ongoing", "delivered", "considering", "refused"]
MatchKind = Literal["exact", "normalized", "fuzzy"]

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- what the model fills

_QUOTES = "Verbatim quotes copied character for character from the article that support this item."


class Actor(_Strict):
    name: str = Field(description="Short canonical name as used in the text, e.g. 'NATO', 'Poland', 'Jens Stoltenberg'.")
    type: ActorType
    affiliation: str | None = Field(description="For a person: the state or organisation they speak for; else null.")


class DraftPosition(_Strict):
    actor: str = Field(description="An actors[].name.")
    topic: str = Field(description="Short noun phrase.")
    stance: Stance
    statement: str = Field(description="One-sentence paraphrase of the actor's view.")
    evidence: list[str] = Field(min_length=1, description=_QUOTES)


class DraftProposal(_Strict):
    proposer: str = Field(description="An actors[].name.")
    proposal: str = Field(description="The course of action put forward.")
    addressees: list[str] = Field(description="actors[].name of those asked to act.")
    status: ProposalStatus
    evidence: list[str] = Field(min_length=1, description=_QUOTES)


class DraftRisk(_Strict):
    risk: str = Field(description="The danger or downside named in the article.")
    raised_by: str | None = Field(description="An actors[].name; null when it is the article's own analysis.")
    affected: list[str] = Field(description="actors[].name of those exposed.")
    evidence: list[str] = Field(min_length=1, description=_QUOTES)


class DraftSupportCommitment(_Strict):
    provider: str = Field(description="An actors[].name.")
    recipient: str = Field(description="An actors[].name.")
    support_type: SupportType
    description: str
    status: SupportStatus
    conditions: list[str] = Field(description="Limits and conditions stated, e.g. 'no direct NATO involvement'.")
    evidence: list[str] = Field(min_length=1, description=_QUOTES)


class Draft(_Strict):
    """Structured brief of the article: only what the article states."""

    summary: str = Field(description="Neutral gist in 1-3 sentences.")
    actors: list[Actor] = Field(description="Every actor referred to by the items below.")
    positions: list[DraftPosition] = Field(description="Views actors hold on a topic.")
    proposals: list[DraftProposal] = Field(description="Courses of action actors put forward.")
    risks: list[DraftRisk] = Field(description="Dangers or downsides the article names.")
    support_commitments: list[DraftSupportCommitment] = Field(
        description="Support given, pledged, considered or refused by one actor to another."
    )


# --------------------------------------------------------------------------- what the program returns


class Evidence(_Strict):
    quote: str
    start: int
    end: int
    match: MatchKind


class Position(DraftPosition):
    evidence: list[Evidence] = Field(min_length=1)  # type: ignore[assignment]


class Proposal(DraftProposal):
    evidence: list[Evidence] = Field(min_length=1)  # type: ignore[assignment]


class Risk(DraftRisk):
    evidence: list[Evidence] = Field(min_length=1)  # type: ignore[assignment]


class SupportCommitment(DraftSupportCommitment):
    evidence: list[Evidence] = Field(min_length=1)  # type: ignore[assignment]


class Usage(_Strict):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int = 0  # of the prompt tokens, those served from the provider's prompt cache (included above)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
        )


class RunMetadata(BaseModel):
    # Readers ignore unknown metadata fields, so outputs of newer versions still load.
    model_config = ConfigDict(extra="ignore")

    model: str
    base_url_host: str
    mode: Mode
    prompt_version: str
    schema_version: Literal["1"] = SCHEMA_VERSION
    article_sha256: str
    attempts: int
    usage: Usage
    usage_estimated: bool = False  # some attempt's usage was counted offline: the server reported none
    latency_ms: int
    warnings: list[str]
    chunks: int
    created_at: str
    package_version: str


class ArticleSummary(_Strict):
    schema_version: Literal["1"] = SCHEMA_VERSION
    summary: str
    actors: list[Actor]
    positions: list[Position]
    proposals: list[Proposal]
    risks: list[Risk]
    support_commitments: list[SupportCommitment]
    metadata: RunMetadata


def json_schema() -> dict[str, object]:
    """JSON Schema of ``ArticleSummary`` (what ``summarizer schema`` prints)."""
    return ArticleSummary.model_json_schema()
