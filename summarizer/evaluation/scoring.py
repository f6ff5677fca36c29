"""Scoring: one document's prediction against its gold, and the aggregate over documents.

A *document score* (``DocumentScore``) is one document's alignments and counts per category.
``score_document`` turns gold and predicted items into ``matching.Item``s (evidence as located
spans, actors as canonical sides), aligns them per category and counts. ``aggregate`` sums document
scores into an ``EvalReport``: per-category and micro-averaged precision/recall/F1, attribute
accuracy on matched pairs, grounding counts, and a 95% bootstrap interval over documents for micro F1.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

from summarizer.evaluation.gold import Aliases, Gold, sides
from summarizer.evaluation.matching import Alignment, Counts, Item, align, count
from summarizer.evaluation.report import (
    AttributeAccuracy,
    Bootstrap,
    DocumentEntry,
    EvalReport,
    Grounding,
    Scores,
    Source,
    Tokens,
)
from summarizer.grounding import locate
from summarizer.schema import CATEGORIES, CATEGORY, ArticleSummary


def _side(name: str, table: dict[str, set[str]], aliases: Aliases) -> frozenset[str]:
    canonical = aliases.canonical(name)
    return frozenset(table.get(canonical, {canonical}))


def match_text(category: str, item: BaseModel) -> str:
    """The free text of ``item`` that matching compares (its category's ``match_text`` fields, joined)."""
    return " ".join(str(getattr(item, f)) for f in CATEGORY[category].match_text)


def to_item(category: str, item: BaseModel, spans: list[tuple[int, int]], table: dict[str, set[str]],
            aliases: Aliases, optional: bool = False) -> Item:  # fmt: skip
    kind = CATEGORY[category]
    attrs = {a: str(getattr(item, a)) for a in kind.attributes}
    return Item(
        text=match_text(category, item),
        actors=tuple(_side(getattr(item, r), table, aliases) for r in kind.parties),
        stance=attrs.get("stance"),
        attributes=attrs,
        spans=tuple(spans),
        optional=optional,
    )


def gold_items(gold: Gold, aliases: Aliases) -> dict[str, list[Item]]:
    table = sides(gold.draft.actors, aliases)
    out: dict[str, list[Item]] = {}
    for category in CATEGORIES:
        items = []
        for item, optional in zip(getattr(gold.draft, category), gold.optional[category], strict=True):
            spans = [(s.start, s.end) for q in item.evidence if (s := locate(q, gold.article_text))]
            items.append(to_item(category, item, spans, table, aliases, optional))
        out[category] = items
    return out


def predicted_items(summary: ArticleSummary, aliases: Aliases) -> dict[str, list[Item]]:
    table = sides(list(summary.actors), aliases)
    return {
        category: [
            to_item(category, item, [(e.start, e.end) for e in item.evidence], table, aliases)
            for item in getattr(summary, category)
        ]
        for category in CATEGORIES
    }


@dataclass
class DocumentScore:
    id: str
    counts: dict[str, Counts]
    alignments: dict[str, Alignment]
    attributes: dict[str, list[bool]]  # "positions.stance" -> correct? per matched pair
    grounding: Grounding
    summary: ArticleSummary | None
    error: str | None = None
    provenance: dict[str, int] = field(default_factory=dict)

    def entry(self) -> DocumentEntry:
        """The document's entry in the report."""
        return DocumentEntry(
            id=self.id,
            categories={c: Scores.of(self.counts[c]) for c in CATEGORIES},
            micro=Scores.of(_sum(self.counts.values())),
            error=self.error or None,
        )


def _sum(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in counts:
        total += c
    return total


def _grounding(summary: ArticleSummary | None) -> Grounding:
    g = dict.fromkeys(Grounding.model_fields, 0)
    if summary is None:
        return Grounding(**g)
    for category in CATEGORIES:
        for item in getattr(summary, category):
            for e in item.evidence:
                g[e.match] += 1
                g["quotes"] += 1
    dropped = sum(1 for w in summary.metadata.warnings if "unlocated quote" in w)
    g["not_found"] += dropped
    g["quotes"] += dropped
    return Grounding(**g)


def score_document(gold: Gold, summary: ArticleSummary | None, aliases: Aliases, error: str | None = None) -> DocumentScore:
    golds = gold_items(gold, aliases)
    preds = predicted_items(summary, aliases) if summary is not None else {c: [] for c in CATEGORIES}
    counts: dict[str, Counts] = {}
    alignments: dict[str, Alignment] = {}
    attributes: dict[str, list[bool]] = {}
    for category in CATEGORIES:
        alignment = align(preds[category], golds[category])
        alignments[category] = alignment
        counts[category] = count(alignment, golds[category])
        for attr in CATEGORY[category].attributes:
            attributes[f"{category}.{attr}"] = [
                preds[category][i].attributes[attr] == golds[category][j].attributes[attr]
                for i, j, _ in alignment.pairs
            ]
    return DocumentScore(gold.id, counts, alignments, attributes, _grounding(summary), summary, error)


def bootstrap(docs: list[DocumentScore], samples: int = 1000, seed: int = 0) -> Bootstrap:
    """95% percentile interval of micro F1, resampling documents with replacement."""
    if not docs:
        return Bootstrap(low=0.0, high=0.0, samples=0, seed=seed)
    per_doc = [(c.tp, c.fp + c.fn) for c in (_sum(d.counts.values()) for d in docs)]
    rng = random.Random(seed)
    n = len(per_doc)
    values = []
    for _ in range(samples):
        tp = errors = 0
        for i in rng.choices(range(n), k=n):
            tp += per_doc[i][0]
            errors += per_doc[i][1]
        values.append(2 * tp / (2 * tp + errors) if tp + errors else 1.0)
    values.sort()
    return Bootstrap(low=round(values[int(0.025 * samples)], 4), high=round(values[int(0.975 * samples) - 1], 4),
                     samples=samples, seed=seed)  # fmt: skip


def aggregate(docs: list[DocumentScore], source: Source) -> EvalReport:
    """The report of one run: ``docs`` summed, in the order given."""
    categories = {c: Scores.of(_sum(d.counts[c] for d in docs)) for c in CATEGORIES}
    micro = Scores.of(_sum(_sum(d.counts.values()) for d in docs))
    attributes: dict[str, AttributeAccuracy] = {}
    for key in [f"{c.name}.{a}" for c in CATEGORY.values() for a in c.attributes]:
        results = [ok for d in docs for ok in d.attributes.get(key, [])]
        attributes[key] = AttributeAccuracy(
            pairs=len(results),
            correct=results.count(True),
            accuracy=round(sum(results) / len(results), 4) if results else 1.0,
        )
    grounding = Grounding(**{k: sum(getattr(d.grounding, k) for d in docs) for k in Grounding.model_fields})
    valid = [d.summary for d in docs if d.summary is not None]
    provenance: dict[str, int] = {}
    for d in docs:
        for k, v in d.provenance.items():
            provenance[k] = provenance.get(k, 0) + v
    return EvalReport(
        source=source,
        micro=micro,
        categories=categories,
        attributes=attributes,
        grounding=grounding,
        schema_valid_rate=round(len(valid) / len(docs), 4) if docs else 1.0,
        attempts=sum(s.metadata.attempts for s in valid),
        tokens=Tokens(**{k: sum(getattr(s.metadata.usage, k) for s in valid) for k in Tokens.model_fields}),
        provenance=provenance,
        bootstrap_micro_f1=bootstrap(docs),
        documents=[d.entry() for d in docs],
    )
