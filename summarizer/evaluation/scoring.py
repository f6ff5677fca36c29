"""Scoring: one document's prediction against its gold, and the aggregate over documents.

A *document score* (``DocumentScore``) is one document's alignments and counts per category.
``score_document`` turns gold and predicted items into ``matching.Item``s (evidence as located
spans, actors as canonical sides, actor roles as ``matching.Role``s), aligns them per category,
counts, and records each category's outcome item by item: matched pairs with their similarity,
evidence overlap and the fields that disagree, missed gold items and spurious predictions.
``aggregate`` sums document scores into an ``EvalReport``: per-category and micro-averaged
precision/recall/F1, attribute accuracy and field-level detail on matched pairs, grounding counts,
tokens and cost, and a 95% bootstrap interval over documents for micro F1.

What is scored may be a model's ``ArticleSummary`` or a second hand labelling of the same article
(a ``Gold``): then its optional items are not penalised when nothing matches them, as on the gold side.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING, Any

from summarizer import prices
from summarizer.categories import CATEGORIES, CATEGORY
from summarizer.evaluation.gold import Aliases, Gold, sides
from summarizer.evaluation.matching import Alignment, Counts, Item, Role, align, count, differences, span_agreement
from summarizer.evaluation.report import (
    AttributeAccuracy,
    Bootstrap,
    Difference,
    DocumentEntry,
    EvalReport,
    FieldDetail,
    Grounding,
    ItemRef,
    Outcome,
    Pair,
    RunInfo,
    Scores,
    Source,
    Tokens,
)
from summarizer.grounding import locate
from summarizer.snapshots import DRAFT

if TYPE_CHECKING:
    from summarizer.schema import ArticleSummary


def _side(name: str, table: dict[str, set[str]], aliases: Aliases) -> frozenset[str]:
    canonical = aliases.canonical(name)
    return frozenset(table.get(canonical, {canonical}))


def match_text(category: str, item: Any) -> str:
    """The free text of ``item`` that matching compares (its category's ``match_text`` fields, joined)."""
    return " ".join(str(getattr(item, f)) for f in CATEGORY[category].match_text)


def to_item(category: str, item: Any, spans: list[tuple[int, int]], table: dict[str, set[str]],
            aliases: Aliases, optional: bool = False) -> Item:  # fmt: skip
    kind = CATEGORY[category]
    attrs = {a: str(getattr(item, a)) for a in kind.attributes}
    roles = {}
    for name in kind.references:
        value = getattr(item, name)
        many = isinstance(value, list)
        given = tuple(value) if many else ((value,) if value else ())
        roles[name] = Role(given, tuple(_side(n, table, aliases) for n in given), many)
    return Item(
        text=match_text(category, item),
        actors=tuple(_side(getattr(item, r), table, aliases) for r in kind.parties),
        stance=attrs.get("stance"),
        attributes=attrs,
        spans=tuple(spans),
        optional=optional,
        roles=roles,
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
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # per category, item by item
    predicted: dict[str, list[Any]] = field(default_factory=dict)  # per category, the items scored
    predicted_optional: dict[str, list[bool]] = field(default_factory=dict)  # a second labelling's flags
    gold_sha256: str | None = None
    labelling: bool = False  # what was scored is a second hand labelling, not a model's summary

    def entry(self) -> DocumentEntry:
        """The document's entry in the report."""
        return DocumentEntry(
            id=self.id,
            categories={c: Scores.of(self.counts[c]) for c in CATEGORIES},
            micro=Scores.of(_sum(self.counts.values())),
            error=self.error or None,
            gold_sha256=self.gold_sha256,
            items=self.outcomes or None,
        )


def _sum(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in counts:
        total += c
    return total


def _names(part: type) -> list[str]:
    return [f.name for f in dataclasses.fields(part)]


def _grounding(summary: ArticleSummary | None) -> Grounding:
    g = dict.fromkeys(_names(Grounding), 0)
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


def gold_digest(gold: Gold) -> str:
    """sha256 of what is scored against: the labelled items (optional flags included) and the article's
    text. Two reports scored a document against the same gold exactly when their digests agree; a
    change of layout or comments in the YAML file does not count."""
    h = hashlib.sha256(DRAFT.dump_json(gold.draft))
    h.update(json.dumps(gold.optional, sort_keys=True).encode("utf-8"))
    h.update(b"\0")
    h.update(gold.article_text.encode("utf-8"))
    return h.hexdigest()


def _ref(category: str, index: int, item: Any, optional: bool = False) -> ItemRef:
    return ItemRef(index=index, label=CATEGORY[category].label(item), optional=optional)


def _outcome(category: str, alignment: Alignment, preds: list[Item], golds: list[Item],
             pred_models: list[Any], gold_models: list[Any]) -> Outcome:  # fmt: skip
    matched = []
    for i, j, score in alignment.pairs:
        diffs = differences(preds[i], golds[j])
        matched.append(Pair(
            predicted=_ref(category, i, pred_models[i], preds[i].optional),
            gold=_ref(category, j, gold_models[j], golds[j].optional),
            similarity=round(score, 4),
            evidence_overlap=round(span_agreement(preds[i].spans, golds[j].spans), 4),
            differences={k: Difference(predicted=p, gold=g) for k, (p, g) in diffs.items()},
        ))  # fmt: skip
    return Outcome(
        matched=matched,
        missed=[_ref(category, j, gold_models[j], golds[j].optional) for j in alignment.missed],
        spurious=[_ref(category, i, pred_models[i], preds[i].optional) for i in alignment.spurious],
    )


def score_document(gold: Gold, summary: ArticleSummary | None, aliases: Aliases, error: str | None = None,
                   *, labelling: Gold | None = None) -> DocumentScore:  # fmt: skip
    """Score ``summary`` (or ``labelling``, another labelling of the same article) against ``gold``."""
    golds = gold_items(gold, aliases)
    if labelling is not None:
        preds = gold_items(labelling, aliases)
        models = {c: list(getattr(labelling.draft, c)) for c in CATEGORIES}
    elif summary is not None:
        preds = predicted_items(summary, aliases)
        models = {c: list(getattr(summary, c)) for c in CATEGORIES}
    else:
        preds = models = {c: [] for c in CATEGORIES}
    counts: dict[str, Counts] = {}
    alignments: dict[str, Alignment] = {}
    attributes: dict[str, list[bool]] = {}
    outcomes: dict[str, Outcome] = {}
    for category in CATEGORIES:
        alignment = align(preds[category], golds[category])
        alignments[category] = alignment
        counts[category] = count(alignment, golds[category], preds[category])
        for attr in CATEGORY[category].attributes:
            attributes[f"{category}.{attr}"] = [
                preds[category][i].attributes[attr] == golds[category][j].attributes[attr]
                for i, j, _ in alignment.pairs
            ]
        outcomes[category] = _outcome(category, alignment, preds[category], golds[category], models[category],
                                      list(getattr(gold.draft, category)))  # fmt: skip
    return DocumentScore(gold.id, counts, alignments, attributes, _grounding(summary), summary, error,
                         outcomes=outcomes, predicted=models, gold_sha256=gold_digest(gold),
                         predicted_optional={c: [it.optional for it in preds[c]] for c in CATEGORIES},
                         labelling=labelling is not None)  # fmt: skip


def resamples(n: int, samples: int, seed: int) -> Iterator[list[int]]:
    """Indices of ``samples`` resamplings of ``n`` documents with replacement, as
    ``random.Random(seed).choices(range(n), k=n)`` draws them (``floor(random() * n)`` each: the same
    numbers, ``tests/test_scoring.py`` checks), without that call's overhead per resampling."""
    rand, size = random.Random(seed).random, float(n)
    for _ in range(samples):
        yield [int(rand() * size) for _ in repeat(None, n)]


def bootstrap(docs: list[DocumentScore], samples: int = 1000, seed: int = 0) -> Bootstrap:
    """95% percentile interval of micro F1, resampling documents with replacement."""
    if not docs:
        return Bootstrap(low=0.0, high=0.0, samples=0, seed=seed)
    totals = [_sum(d.counts.values()) for d in docs]
    tps, errs = [c.tp for c in totals], [c.fp + c.fn for c in totals]
    values = []
    for drawn in resamples(len(totals), samples, seed):
        tp, errors = sum(map(tps.__getitem__, drawn)), sum(map(errs.__getitem__, drawn))
        values.append(2 * tp / (2 * tp + errors) if tp + errors else 1.0)
    values.sort()
    return Bootstrap(low=round(values[int(0.025 * samples)], 4), high=round(values[int(0.975 * samples) - 1], 4),
                     samples=samples, seed=seed)  # fmt: skip


def _fields(docs: list[DocumentScore]) -> dict[str, FieldDetail]:
    out = {}
    for c in CATEGORIES:
        pairs = [p for d in docs if c in d.outcomes for p in d.outcomes[c].matched]
        compared = [*CATEGORY[c].attributes, *CATEGORY[c].references]
        out[c] = FieldDetail(
            pairs=len(pairs),
            differ={f: sum(1 for p in pairs if f in p.differences) for f in compared},
            mean_similarity=round(sum(p.similarity for p in pairs) / len(pairs), 4) if pairs else 0.0,
            mean_evidence_overlap=round(sum(p.evidence_overlap for p in pairs) / len(pairs), 4) if pairs else 0.0,
        )
    return out


def _common(values: Iterable[str]) -> str | None:
    distinct = set(values)
    return None if not distinct else distinct.pop() if len(distinct) == 1 else "mixed"


def _cost(summaries: list[ArticleSummary]) -> float | None:
    """USD at the shipped standard prices; None when a model is not in the table (or nothing was called)."""
    if not summaries:
        return None
    table = prices.shipped()
    total = 0.0
    for s in summaries:
        price = table.lookup(s.metadata.model)
        if price is None:
            return None
        total += price.of(s.metadata.usage)
    return round(total, 6)


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
    grounding = Grounding(**{k: sum(getattr(d.grounding, k) for d in docs) for k in _names(Grounding)})
    valid = [d.summary for d in docs if d.summary is not None]
    scored = [d for d in docs if d.summary is not None or d.labelling]
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
        schema_valid_rate=round(len(scored) / len(docs), 4) if docs else 1.0,
        attempts=sum(s.metadata.attempts for s in valid),
        tokens=Tokens(**{k: sum(getattr(s.metadata.usage, k) for s in valid) for k in _names(Tokens)}),
        provenance=provenance,
        bootstrap_micro_f1=bootstrap(docs),
        documents=[d.entry() for d in docs],
        fields=_fields(docs),
        cost_usd=_cost(valid),
        run=RunInfo(
            created_at=max((s.metadata.created_at for s in valid), default=None),
            model=_common(s.metadata.model for s in valid),
            mode=_common(s.metadata.mode for s in valid),
            prompt_version=_common(s.metadata.prompt_version for s in valid),
        ),
    )
