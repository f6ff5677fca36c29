"""Scoring one document against its gold, and the report over documents, on hand-built gold and predictions.

What an item is reduced to for matching (text, sides, stance, attributes, located spans), the counts and
attribute checks per category, the grounding tally, the bootstrap interval, and every field of the
aggregate report. The eval command over the shipped gold is tested end to end in tests/test_eval.py.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hand_built import GOLD_1, make_project, scored

from summarizer.evaluation.gold import Aliases, Gold
from summarizer.evaluation.matching import Counts
from summarizer.evaluation.report import Bootstrap, Grounding, Scores
from summarizer.evaluation.scoring import (
    DocumentScore,
    aggregate,
    bootstrap,
    gold_items,
    predicted_items,
    score_document,
    to_item,
)
from summarizer.schema import CATEGORIES, ArticleSummary, Draft

ARTICLE = (
    "NATO Secretary General Jens Stoltenberg said the alliance will not send troops to Ukraine. "
    "Poland asked Romania to host air defence systems. The United States pledged 800 million dollars in "
    "security assistance to Ukraine. Analysts warned of escalation."
)
ACTORS = [
    {"name": "NATO", "type": "organization", "affiliation": None},
    {"name": "Jens Stoltenberg", "type": "person", "affiliation": "NATO"},
    {"name": "Poland", "type": "state", "affiliation": None},
    {"name": "Romania", "type": "state", "affiliation": None},
    {"name": "United States", "type": "state", "affiliation": None},
    {"name": "Ukraine", "type": "state", "affiliation": None},
]
ALIASES = Aliases({"us": "United States", "usa": "United States"})

POSITION = {"actor": "Jens Stoltenberg", "topic": "sending troops to Ukraine", "stance": "oppose",
            "statement": "NATO will not send troops to Ukraine.", "evidence": ["the alliance will not send troops to Ukraine"]}
PROPOSAL = {"proposer": "Poland", "proposal": "Romania hosts air defence systems", "addressees": ["Romania"],
            "status": "proposed", "evidence": ["Poland asked Romania to host air defence systems"]}
RISK = {"risk": "escalation", "raised_by": None, "affected": [], "evidence": ["Analysts warned of escalation"]}
SUPPORT = {"provider": "United States", "recipient": "Ukraine", "support_type": "military",
           "description": "800 million dollars in security assistance", "status": "pledged", "conditions": [],
           "evidence": ["pledged 800 million dollars in security assistance to Ukraine"]}  # fmt: skip


def gold(optional: dict[str, list[bool]] | None = None, **items: list[dict[str, Any]]) -> Gold:
    data = {"summary": "s", "actors": ACTORS, "positions": [POSITION], "proposals": [PROPOSAL], "risks": [RISK],
            "support_commitments": [SUPPORT], **items}  # fmt: skip
    flags = {c: [False] * len(data[c]) for c in CATEGORIES} | (optional or {})
    return Gold("doc", Path("doc.yaml"), Path("doc.txt"), ARTICLE, Draft.model_validate(data), flags)


def located(quote: str, match: str = "exact") -> dict[str, Any]:
    start = ARTICLE.index(quote)
    return {"quote": quote, "start": start, "end": start + len(quote), "match": match}


def predicted(item: dict[str, Any]) -> dict[str, Any]:
    return {**item, "evidence": [located(q) for q in item["evidence"]]}


def summary(warnings: list[str] | None = None, attempts: int = 1, usage: dict[str, int] | None = None,
            **items: list[dict[str, Any]]) -> ArticleSummary:  # fmt: skip
    data = {"actors": ACTORS, "positions": [predicted(POSITION)], "proposals": [predicted(PROPOSAL)],
            "risks": [predicted(RISK)], "support_commitments": [predicted(SUPPORT)], **items}  # fmt: skip
    meta = {"model": "m", "base_url_host": "h", "mode": "tools", "prompt_version": "p", "article_sha256": "x",
            "attempts": attempts, "usage": usage or {}, "latency_ms": 1, "warnings": warnings or [], "chunks": 1,
            "created_at": "t", "package_version": "0"}  # fmt: skip
    return ArticleSummary.model_validate({"summary": "s", **data, "metadata": meta})


# --------------------------------------------------------------------------- items


def test_an_item_is_reduced_to_its_text_sides_stance_attributes_and_spans() -> None:
    table = {"jens stoltenberg": {"jens stoltenberg", "nato"}}
    position = Draft.model_validate({**gold().draft.model_dump(), "positions": [POSITION]}).positions[0]
    item = to_item("positions", position, [(1, 5)], table, ALIASES, optional=True)
    assert item.text == "sending troops to Ukraine NATO will not send troops to Ukraine."  # topic, then statement
    assert item.actors == (frozenset({"jens stoltenberg", "nato"}),)
    assert (item.stance, item.attributes, item.spans, item.optional) == ("oppose", {"stance": "oppose"}, ((1, 5),), True)


def test_a_party_is_resolved_through_aliases_and_is_its_own_side_when_unknown() -> None:
    commitment = gold(support_commitments=[{**SUPPORT, "provider": "USA"}]).draft.support_commitments[0]
    item = to_item("support_commitments", commitment, [], {}, ALIASES)
    assert item.actors == (frozenset({"united states"}), frozenset({"ukraine"}))
    assert item.text == "800 million dollars in security assistance"
    assert item.stance is None and item.attributes == {"status": "pledged", "support_type": "military"}
    assert item.optional is False


def test_gold_items_carry_the_spans_their_quotes_are_found_at_and_their_optional_flags() -> None:
    quote = "the alliance will not send troops to Ukraine"
    position = {**POSITION, "evidence": [quote.upper(), "a quote that is nowhere", "Analysts warned of escalation"]}
    items = gold(positions=[position, POSITION], optional={"positions": [False, True]}).draft
    golds = gold_items(Gold("doc", Path("d"), Path("a"), ARTICLE, items, {c: [False, True] if c == "positions"
                                                                          else [False] for c in CATEGORIES}), ALIASES)  # fmt: skip
    start, warned = ARTICLE.index(quote), ARTICLE.index("Analysts")
    assert golds["positions"][0].spans == ((start, start + len(quote)), (warned, warned + 29))
    assert [g.optional for g in golds["positions"]] == [False, True]
    assert golds["positions"][0].actors == (frozenset({"jens stoltenberg", "nato"}),)  # a person speaks for NATO
    assert set(golds) == set(CATEGORIES)


def test_a_gold_whose_optional_flags_do_not_cover_its_items_is_refused() -> None:
    with pytest.raises(ValueError):
        gold_items(gold(positions=[POSITION, POSITION], optional={"positions": [False]}), ALIASES)


def test_predicted_items_carry_their_evidence_offsets_as_spans() -> None:
    preds = predicted_items(summary(), ALIASES)
    quote = "Poland asked Romania to host air defence systems"
    assert preds["proposals"][0].spans == ((ARTICLE.index(quote), ARTICLE.index(quote) + len(quote)),)
    assert preds["proposals"][0].actors == (frozenset({"poland"}),)
    assert set(preds) == set(CATEGORIES) and not any(p.optional for ps in preds.values() for p in ps)


# --------------------------------------------------------------------------- one document


def test_a_perfect_prediction_counts_every_item_and_every_attribute_right() -> None:
    score = score_document(gold(), summary(), ALIASES)
    assert score.id == "doc" and score.error is None
    assert {c: (n.tp, n.fp, n.fn) for c, n in score.counts.items()} == dict.fromkeys(CATEGORIES, (1, 0, 0))
    assert score.attributes == {"positions.stance": [True], "proposals.status": [True],
                                "support_commitments.status": [True], "support_commitments.support_type": [True]}  # fmt: skip
    assert score.alignments["risks"].pairs == [(0, 0, 1.0)]
    assert score.grounding == Grounding(quotes=4, exact=4, normalized=0, fuzzy=0, not_found=0)


def test_a_wrong_attribute_on_a_matched_pair_is_counted_wrong() -> None:
    pred = summary(positions=[predicted({**POSITION, "stance": "considering"})],
                   support_commitments=[predicted({**SUPPORT, "status": "delivered"})])  # fmt: skip
    score = score_document(gold(), pred, ALIASES)
    assert score.counts["positions"].tp == 1  # considering may still match oppose: the stance is scored apart
    assert score.attributes["positions.stance"] == [False]
    assert score.attributes["support_commitments.status"] == [False]
    assert score.attributes["support_commitments.support_type"] == [True]


def test_each_matched_pair_is_checked_against_its_own_gold_item() -> None:
    second = {**POSITION, "actor": "Poland", "topic": "air defence in Romania", "stance": "support",
              "statement": "Poland wants Romania to host air defence.", "evidence": ["Poland asked Romania"]}  # fmt: skip
    pred = summary(positions=[predicted(second), predicted(POSITION)])  # listed in the other order
    score = score_document(gold(positions=[POSITION, second]), pred, ALIASES)
    assert sorted(score.alignments["positions"].pairs)[0][:2] == (0, 1)
    assert score.attributes["positions.stance"] == [True, True]


def test_no_prediction_misses_every_gold_item() -> None:
    score = score_document(gold(optional={"risks": [True]}), None, ALIASES, error="no prediction file")
    assert {c: (n.tp, n.fp, n.fn) for c, n in score.counts.items()} == {
        "positions": (0, 0, 1), "proposals": (0, 0, 1), "risks": (0, 0, 0), "support_commitments": (0, 0, 1)}
    assert score.error == "no prediction file" and score.summary is None
    assert score.grounding == Grounding() and all(v == [] for v in score.attributes.values())


def test_grounding_counts_quotes_by_how_they_were_found_and_the_dropped_ones() -> None:
    risk = {**RISK, "evidence": [located("Analysts warned of escalation", "fuzzy")]}
    pred = summary(risks=[risk], proposals=[{**PROPOSAL, "evidence": [located("Poland asked Romania", "normalized")]}],
                   warnings=["positions “x”: dropped unlocated quote 'a'", "risks “y”: dropped unlocated quote 'b'",
                             "actors: duplicate actor 'nato' merged"])  # fmt: skip
    assert score_document(gold(), pred, ALIASES).grounding == Grounding(quotes=6, exact=2, normalized=1, fuzzy=1,
                                                                        not_found=2)  # fmt: skip


def test_a_documents_entry_has_its_scores_per_category_and_over_all() -> None:
    pred = summary(positions=[], risks=[predicted(RISK), predicted({**RISK, "risk": "famine in Gaza",
                                                                     "evidence": ["Poland asked Romania"]})])  # fmt: skip
    entry = score_document(gold(), pred, ALIASES, error="").entry()
    assert entry.id == "doc" and entry.error is None  # an empty error is no error
    assert entry.categories["positions"] == Scores.of(Counts(tp=0, fp=0, fn=1))
    assert entry.categories["risks"] == Scores.of(Counts(tp=1, fp=1, fn=0))
    assert entry.micro == Scores.of(Counts(tp=3, fp=1, fn=1))
    assert list(entry.categories) == list(CATEGORIES)
    assert score_document(gold(), pred, ALIASES, error="timed out").entry().error == "timed out"


# --------------------------------------------------------------------------- the bootstrap interval


def doc(tp: int, fp: int = 0, fn: int = 0, **kw: Any) -> DocumentScore:
    counts = {c: Counts() for c in CATEGORIES} | {"positions": Counts(tp=tp, fp=fp, fn=fn)}
    return DocumentScore(kw.pop("id", "d"), counts, {}, kw.pop("attributes", {}), kw.pop("grounding", Grounding()),
                         kw.pop("summary", None), **kw)  # fmt: skip


def test_no_documents_give_an_empty_interval() -> None:
    assert bootstrap([], seed=7) == Bootstrap(low=0.0, high=0.0, samples=0, seed=7)


def test_documents_that_all_score_the_same_give_that_score_as_the_interval() -> None:
    assert bootstrap([doc(1, fp=1)] * 5) == Bootstrap(low=0.6667, high=0.6667, samples=1000, seed=0)
    assert bootstrap([doc(0)] * 3, samples=200, seed=3) == Bootstrap(low=1.0, high=1.0, samples=200, seed=3)


def test_the_interval_spans_the_spread_of_documents_and_is_reproducible() -> None:
    docs = [doc(tp, fp=fp, fn=fn) for tp, fp, fn in [(4, 0, 0), (0, 3, 1), (2, 1, 1), (5, 1, 0), (1, 0, 3), (3, 2, 2)]]
    interval = bootstrap(docs)
    micro = Scores.of(Counts(tp=15, fp=7, fn=7)).f1
    assert 0.0 < interval.low < micro < interval.high < 1.0
    assert bootstrap(docs) == interval and bootstrap(docs, seed=1) != interval
    # reports are compared across runs: the same documents and seed must give the same interval
    assert (interval.low, interval.high) == (0.4211, 0.88)
    assert bootstrap(docs, samples=40, seed=5) == Bootstrap(low=0.4651, high=0.8462, samples=40, seed=5)


# --------------------------------------------------------------------------- the report


def test_the_report_sums_documents_in_the_order_given() -> None:
    good = score_document(gold(), summary(attempts=2, usage={"prompt_tokens": 100, "completion_tokens": 20,
                                                              "total_tokens": 120}), ALIASES)  # fmt: skip
    good.provenance = {"authored": 2}
    bad = score_document(gold(), summary(positions=[predicted({**POSITION, "stance": "considering"})],
                                         warnings=["risks “y”: dropped unlocated quote 'b'"],
                                         usage={"prompt_tokens": 50, "completion_tokens": 5, "total_tokens": 55}),
                         ALIASES)  # fmt: skip
    bad.provenance = {"authored": 1, "recorded": 1}
    missing = score_document(gold(), None, ALIASES, error="no prediction file")
    report = aggregate([good, bad, missing], "predictions")
    assert report.source == "predictions"
    assert report.categories["positions"] == Scores.of(Counts(tp=2, fp=0, fn=1))
    assert report.micro == Scores.of(Counts(tp=8, fp=0, fn=4))
    assert asdict(report.attributes["positions.stance"]) == {"pairs": 2, "correct": 1, "accuracy": 0.5}
    assert asdict(report.attributes["proposals.status"]) == {"pairs": 2, "correct": 2, "accuracy": 1.0}
    assert list(report.attributes) == ["positions.stance", "proposals.status", "support_commitments.status",
                                       "support_commitments.support_type"]  # fmt: skip
    assert report.grounding == Grounding(quotes=9, exact=8, normalized=0, fuzzy=0, not_found=1)
    assert report.schema_valid_rate == round(2 / 3, 4)
    assert report.attempts == 3
    assert asdict(report.tokens) == {"prompt_tokens": 150, "completion_tokens": 25, "total_tokens": 175, "cached_tokens": 0}
    assert report.provenance == {"authored": 3, "recorded": 1}
    assert report.bootstrap_micro_f1 == bootstrap([good, bad, missing])
    assert [d.error for d in report.documents] == [None, None, "no prediction file"]
    assert [d.micro.tp for d in report.documents] == [4, 4, 0]


def test_attribute_accuracy_is_rounded_and_perfect_when_there_is_nothing_to_check() -> None:
    checked = [doc(1, attributes={"positions.stance": [True, True, False]}),
               doc(1, attributes={"positions.stance": [False, True, True]})]  # fmt: skip
    report = aggregate(checked, "replay")
    assert asdict(report.attributes["positions.stance"]) == {"pairs": 6, "correct": 4, "accuracy": 0.6667}
    assert asdict(report.attributes["proposals.status"]) == {"pairs": 0, "correct": 0, "accuracy": 1.0}


def test_an_empty_run_is_a_valid_empty_report() -> None:
    report = aggregate([], "live")
    assert report.schema_valid_rate == 1.0 and report.attempts == 0 and report.documents == []
    assert report.micro == Scores.of(Counts()) and report.provenance == {}
    assert report.tokens.total_tokens == 0 and report.bootstrap_micro_f1.samples == 0


@pytest.mark.parametrize("rate", [1, 3])
def test_schema_valid_rate_is_the_share_of_documents_with_a_valid_summary(rate: int) -> None:
    docs = [doc(1, summary=summary())] + [doc(0)] * rate
    assert aggregate(docs, "replay").schema_valid_rate == round(1 / (1 + rate), 4)


# --------------------------------------------------------------------------- field-level detail, on the
# hand-built project of tests/hand_built.py (its expected scores are worked out in test_compare.py)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def _side(project: Path, name: str) -> Any:
    report, docs, _ = scored(project, name)
    return SimpleNamespace(report=report, docs=docs)


def test_matched_pairs_carry_the_fields_that_differ_and_their_evidence_agreement(project: Path) -> None:
    report = _side(project, "a").report
    d1 = next(d for d in report.documents if d.id == "d1")
    assert d1.items is not None
    (proposal,) = d1.items["proposals"].matched
    assert {k: (v.predicted, v.gold) for k, v in proposal.differences.items()} == {
        "status": ("accepted", "proposed"), "addressees": (["Russia"], [])}  # fmt: skip
    (support,) = d1.items["support_commitments"].matched
    assert list(support.differences) == ["status"] and support.evidence_overlap == round(30 / 46, 4)
    (position,) = d1.items["positions"].matched
    assert position.differences == {} and position.evidence_overlap == 1.0
    assert d1.items["risks"].missed[0].optional and d1.items["risks"].matched == []
    assert report.fields is not None
    assert report.fields["proposals"].differ == {"status": 1, "proposer": 0, "addressees": 1}
    assert report.fields["support_commitments"].differ == {"status": 1, "support_type": 0, "provider": 0, "recipient": 0}
    assert report.attributes["proposals.status"].correct == 0


def test_report_prices_the_predictions_and_says_what_made_them(project: Path) -> None:
    from summarizer import prices

    report = _side(project, "a").report
    expected = prices.shipped().lookup("gpt-4o-mini").cost(2000, 200)  # two predictions of 1000 + 100 tokens
    assert report.cost_usd == round(expected, 6) > 0
    assert report.run is not None and (report.run.model, report.run.mode, report.run.prompt_version) == (
        "gpt-4o-mini", "tools", "p1")  # fmt: skip
    other = json.loads((project / "a" / "d2.json").read_text())
    other["metadata"].update(model="a-local-model", prompt_version="p2")
    (project / "a" / "d2.json").write_text(json.dumps(other))
    report = _side(project, "a").report
    assert report.cost_usd is None  # a model without a price: unknown, not a guess
    assert report.run is not None and report.run.model == "mixed" and report.run.prompt_version == "mixed"


def test_the_gold_digest_follows_the_labels_not_the_layout(project: Path) -> None:
    from summarizer.evaluation.gold import load_gold
    from summarizer.evaluation.scoring import gold_digest

    path = project / "gold" / "d1.yaml"
    before = gold_digest(load_gold(path))
    path.write_text("# a comment\n" + GOLD_1.replace("stance: oppose,", "stance:   oppose,"), encoding="utf-8")
    assert gold_digest(load_gold(path)) == before
    path.write_text(GOLD_1.replace("stance: oppose,", "stance: neutral,"), encoding="utf-8")
    assert gold_digest(load_gold(path)) != before
    path.write_text(GOLD_1.replace("optional: true,", ""), encoding="utf-8")
    assert gold_digest(load_gold(path)) != before


def test_a_second_labelling_is_scored_item_by_item_with_its_optional_items_unpenalised(project: Path) -> None:
    from summarizer.evaluation.gold import load_aliases, load_gold

    gold = load_gold(project / "gold" / "d1.yaml")
    other_path = project / "gold" / "second.yaml"
    # the second labeller: the position, the conference under consideration, the risk (optional), a
    # support commitment raised as an optional extra, and no Poland → Ukraine commitment
    head, _ = GOLD_1.split("support_commitments:")
    other_path.write_text(head.replace("status: proposed", "status: under_consideration")
                          + "support_commitments:\n  - {provider: Germany, recipient: Ukraine, support_type: political, "
                          "description: talks, status: considering, conditions: [], optional: true,\n"
                          '     evidence: ["Germany proposed a ceasefire conference in Geneva."]}\n', encoding="utf-8")  # fmt: skip
    doc = score_document(gold, None, load_aliases(project / "aliases.yaml"), labelling=load_gold(other_path))
    assert doc.labelling and doc.summary is None
    assert {c: (n.tp, n.fp, n.fn) for c, n in doc.counts.items()} == {
        "positions": (1, 0, 0), "proposals": (1, 0, 0), "risks": (0, 0, 0), "support_commitments": (0, 0, 1)}  # fmt: skip
    assert [type(x).__name__ for x in doc.predicted["proposals"]] == ["DraftProposal"]
    assert doc.predicted_optional["support_commitments"] == [True] and doc.predicted_optional["positions"] == [False]
    (pair,) = doc.outcomes["proposals"].matched
    assert {k: (d.predicted, d.gold) for k, d in pair.differences.items()} == {"status": ("under_consideration", "proposed")}
    (risk,) = doc.outcomes["risks"].matched
    assert risk.gold.optional and risk.predicted.optional  # an optional item on both sides: matched, not counted
    (extra,) = doc.outcomes["support_commitments"].spurious
    assert extra.optional and extra.label == "talks" and extra.index == 0
    assert (pair.predicted.index, pair.gold.index, risk.predicted.index, risk.gold.index) == (0, 0, 0, 0)
    report = aggregate([doc], "predictions")
    assert report.schema_valid_rate == 1.0  # a labelling is something scored, not a missing prediction
    assert report.cost_usd is None and report.run is not None and report.run.model is None


def test_field_detail_means_and_counts_are_exact(project: Path) -> None:
    report = _side(project, "a").report
    fields = report.fields
    assert fields is not None and fields["positions"].pairs == 1 and fields["risks"].pairs == 0
    assert fields["risks"].mean_similarity == 0.0 and fields["risks"].mean_evidence_overlap == 0.0
    d1 = next(d for d in report.documents if d.id == "d1")
    assert d1.items is not None
    (support,) = d1.items["support_commitments"].matched
    assert fields["support_commitments"].mean_evidence_overlap == round(30 / 46, 4) == support.evidence_overlap
    assert fields["support_commitments"].mean_similarity == support.similarity and 0.3 <= support.similarity < 1.0
    pairs = [p for d in report.documents for o in (d.items or {}).values() for p in o.matched]
    assert len(pairs) == sum(f.pairs for f in fields.values()) == 3
    assert d1.gold_sha256 is not None and len(d1.gold_sha256) == 64


def test_a_role_nobody_fills_differs_from_one_somebody_fills(project: Path) -> None:
    from summarizer.evaluation.gold import load_aliases, load_gold

    gold = load_gold(project / "gold" / "d1.yaml")
    other = project / "gold" / "raised.yaml"
    other.write_text(GOLD_1.replace("raised_by: null", "raised_by: Germany").replace("optional: true,", ""), encoding="utf-8")
    doc = score_document(gold, None, load_aliases(project / "aliases.yaml"), labelling=load_gold(other))
    (pair,) = doc.outcomes["risks"].matched
    assert {k: (d.predicted, d.gold) for k, d in pair.differences.items()} == {"raised_by": ("Germany", None)}
    assert pair.gold.optional and not pair.predicted.optional and pair.gold.label == "the war could spread to Moldova"
    assert asdict(pair)["differences"]["raised_by"] == {"predicted": "Germany", "gold": None}


@pytest.mark.parametrize("n", [1, 2, 16, 97])
def test_resamples_are_the_draws_random_choices_makes(n: int) -> None:
    import random

    from summarizer.evaluation.scoring import resamples

    for seed in (0, 1, 12345):
        rng = random.Random(seed)
        assert list(resamples(n, 300, seed)) == [rng.choices(range(n), k=n) for _ in range(300)]


def test_the_gold_digest_is_stable_so_saved_reports_stay_comparable() -> None:
    # the committed baseline recorded each document's digest; the same gold must give the same digest
    from conftest import ROOT

    from summarizer.evaluation.gold import load_gold
    from summarizer.evaluation.scoring import gold_digest

    recorded = {d["id"]: d["gold_sha256"] for d in json.loads((ROOT / "evals/baseline.json").read_text())["documents"]}
    paths = sorted((ROOT / "evals/gold").glob("*.yaml"))
    assert len(paths) == len(recorded) == 16
    assert {p.stem: gold_digest(load_gold(p)) for p in paths} == recorded

