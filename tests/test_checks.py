"""The rules enforced on a draft whatever the model says: every quote located, every actor reference known.

``problems`` is what a re-ask tells the model (one precise line per violation); ``finalize`` is what
happens when re-asks run out (repair, drop, say so; or fail under ``strict``). Pure functions here,
on hand-built drafts; the re-ask loop itself is tested end to end in tests/test_summarize.py.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from summarizer import prompting
from summarizer.checks import (
    RESPONSE_MODELS,
    ArticleBrief,
    DeclaredArticleBrief,
    finalize,
    grounded_in,
    problems,
    warning_kind,
)
from summarizer.errors import ValidationFailed
from summarizer.schema import Draft

ARTICLE = (
    "NATO Secretary General Jens Stoltenberg said the alliance will not send troops. "
    "Poland asked Romania and Hungary to host air defence systems. Analysts warned of escalation."
)
ACTORS = [
    {"name": "NATO", "type": "organization", "affiliation": None},
    {"name": "Jens Stoltenberg", "type": "person", "affiliation": "NATO"},
    {"name": "Poland", "type": "state", "affiliation": None},
    {"name": "Romania", "type": "state", "affiliation": None},
]


def draft(**changes: Any) -> dict[str, Any]:
    """A brief of ARTICLE that breaks no rule, with ``changes`` applied."""
    data: dict[str, Any] = {
        "summary": "NATO will not send troops; Poland asks neighbours to host air defence.",
        "actors": copy.deepcopy(ACTORS),
        "positions": [{"actor": "Jens Stoltenberg", "topic": "sending troops", "stance": "oppose",
                       "statement": "NATO will not send troops.", "evidence": ["the alliance will not send troops"]}],
        "proposals": [{"proposer": "Poland", "proposal": "host air defence systems", "addressees": ["Romania"],
                       "status": "proposed", "evidence": ["asked Romania and Hungary to host air defence systems"]}],
        "risks": [{"risk": "escalation", "raised_by": None, "affected": [], "evidence": ["warned of escalation"]}],
        "support_commitments": [],
    }  # fmt: skip
    data.update(changes)
    return data


def make(**changes: Any) -> Draft:
    return Draft.model_validate(draft(**changes))


# --------------------------------------------------------------------------- problems (what a re-ask says)


def test_a_brief_that_keeps_the_rules_has_no_problems() -> None:
    assert problems(make(), ARTICLE) == []


def test_each_unlocated_quote_is_named_by_its_place_and_text() -> None:
    positions = [{"actor": "NATO", "topic": "t", "stance": "oppose", "statement": "s",
                  "evidence": ["the alliance will not send troops", "NATO will never send troops"]}]  # fmt: skip
    risks = [draft()["risks"][0], {"risk": "r", "raised_by": None, "affected": [], "evidence": ["war is near"]}]
    assert problems(make(positions=positions, risks=risks), ARTICLE) == [
        "positions[0].evidence[1] is not in the article: 'NATO will never send troops'",
        "risks[1].evidence[0] is not in the article: 'war is near'",
    ]


def test_each_unknown_actor_reference_is_named_with_what_to_do() -> None:
    proposals = [{"proposer": "Warsaw", "proposal": "p", "addressees": ["Romania", "Hungary"], "status": "proposed",
                  "evidence": ["asked Romania and Hungary to host air defence systems"]}]  # fmt: skip
    risks = [{"risk": "r", "raised_by": "Analysts", "affected": ["poland"], "evidence": ["warned of escalation"]}]
    assert problems(make(proposals=proposals, risks=risks), ARTICLE) == [
        "proposals[0].proposer names 'Warsaw', which is not in actors; use an actors[].name or add the actor",
        "proposals[0].addressees names 'Hungary', which is not in actors; use an actors[].name or add the actor",
        "risks[0].raised_by names 'Analysts', which is not in actors; use an actors[].name or add the actor",
    ]  # "poland" is Poland: a reference differing only in case is not a problem


def test_the_validator_reasks_with_every_problem_inside_a_grounded_in_block() -> None:
    bad = draft(positions=[{"actor": "Kyiv", "topic": "t", "stance": "oppose", "statement": "s",
                            "evidence": ["NATO will never send troops"]}])  # fmt: skip
    with grounded_in(ARTICLE), pytest.raises(ValidationError) as caught:
        ArticleBrief.model_validate(bad)
    message = str(caught.value)
    assert "Fix these and answer again (quotes must be copied verbatim from the article):\n- positions[0]" in message
    assert "positions[0].evidence[0] is not in the article: 'NATO will never send troops'\n- positions[0].actor" in message
    with grounded_in(ARTICLE):
        assert ArticleBrief.model_validate(draft()).summary.startswith("NATO will not")


def test_the_article_may_come_as_validation_context_and_without_one_nothing_is_checked() -> None:
    bad = draft(risks=[{"risk": "r", "raised_by": None, "affected": [], "evidence": ["war is near"]}])
    with pytest.raises(ValidationError, match="risks\\[0\\].evidence\\[0\\] is not in the article"):
        ArticleBrief.model_validate(bad, context={"article": ARTICLE})
    assert ArticleBrief.model_validate(bad).risks[0].evidence == ["war is near"]  # no article: no grounding
    with grounded_in(ARTICLE):
        pass
    assert ArticleBrief.model_validate(bad).risks[0].evidence == ["war is near"]  # the block's article is gone


def test_the_model_reads_the_compact_schema_and_md_json_only_a_pointer_to_the_declaration() -> None:
    assert ArticleBrief.model_json_schema() == prompting.brief_schema()
    declared = DeclaredArticleBrief.model_json_schema()
    assert declared == prompting.DECLARED_SCHEMA
    declared["title"] = "changed by a caller"
    assert DeclaredArticleBrief.model_json_schema() == prompting.DECLARED_SCHEMA  # each call gets its own copy
    assert RESPONSE_MODELS["md_json"] is DeclaredArticleBrief
    assert RESPONSE_MODELS["tools"] is RESPONSE_MODELS["json_schema"] is ArticleBrief


# --------------------------------------------------------------------------- finalize (when re-asks run out)


def test_a_clean_draft_is_finalised_with_located_evidence_and_no_warnings() -> None:
    content, warnings = finalize(make(), ARTICLE, strict=False)
    assert warnings == []
    assert list(content) == ["summary", "positions", "proposals", "risks", "support_commitments", "actors"]
    quote = "the alliance will not send troops"
    start = ARTICLE.index(quote)
    assert content["positions"] == [{"actor": "Jens Stoltenberg", "topic": "sending troops", "stance": "oppose",
                                     "statement": "NATO will not send troops.",
                                     "evidence": [{"quote": quote, "start": start, "end": start + len(quote),
                                                   "match": "exact"}]}]  # fmt: skip
    assert content["actors"] == ACTORS and content["summary"] == draft()["summary"]


def test_evidence_is_the_articles_own_text_at_its_offsets() -> None:
    positions = [{"actor": "NATO", "topic": "t", "stance": "oppose", "statement": "s",
                  "evidence": ["THE ALLIANCE   will not send troops"]}]  # fmt: skip
    content, _ = finalize(make(positions=positions), ARTICLE, strict=False)
    (evidence,) = content["positions"][0]["evidence"]
    assert evidence["quote"] == "the alliance will not send troops" == ARTICLE[evidence["start"] : evidence["end"]]
    assert evidence["match"] == "normalized"


def test_an_unlocated_quote_is_dropped_and_an_item_left_without_evidence_too() -> None:
    statement = "NATO says it will never, under any circumstances, send troops to fight in this war."
    positions = [
        {"actor": "NATO", "topic": "t", "stance": "oppose", "statement": statement,
         "evidence": ["NATO will never send troops"]},
        {"actor": "NATO", "topic": "t", "stance": "oppose", "statement": "kept",
         "evidence": ["war is near", "the alliance will not send troops"]},
    ]  # fmt: skip
    content, warnings = finalize(make(positions=positions), ARTICLE, strict=False)
    where = "positions “NATO says it will never, under any circumstances, send tr...”"  # the gist, cut to 60
    assert warnings == [
        f"{where}: dropped unlocated quote 'NATO will never send troops'",
        f"{where}: dropped item with no grounded evidence",
        "positions “kept”: dropped unlocated quote 'war is near'",
    ]
    assert [p["statement"] for p in content["positions"]] == ["kept"]
    assert [e["quote"] for e in content["positions"][0]["evidence"]] == ["the alliance will not send troops"]


def test_under_strict_an_unlocated_quote_is_a_validation_failure() -> None:
    risks = [{"risk": "a wider war", "raised_by": None, "affected": [], "evidence": ["war is near"]}]
    with pytest.raises(ValidationFailed, match="^risks “a wider war”: quote not found in the article: 'war is near'$"):
        finalize(make(risks=risks), ARTICLE, strict=True)


def test_a_reference_differing_only_in_case_is_repaired_to_the_actors_spelling() -> None:
    proposals = [{"proposer": "POLAND", "proposal": "host air defence systems", "addressees": ["romania", "Romania"],
                  "status": "proposed", "evidence": ["asked Romania and Hungary to host air defence systems"]}]  # fmt: skip
    content, warnings = finalize(make(proposals=proposals), ARTICLE, strict=True)  # a repair is fine under strict
    assert content["proposals"][0]["proposer"] == "Poland"
    assert content["proposals"][0]["addressees"] == ["Romania", "Romania"]
    where = "proposals “host air defence systems”"
    assert warnings == [f"{where} (proposer): actor 'POLAND' repaired to 'Poland'",
                        f"{where} (addressees): actor 'romania' repaired to 'Romania'"]  # fmt: skip


def test_an_unknown_actor_is_added_once_rather_than_losing_the_item() -> None:
    proposals = [{"proposer": "Poland", "proposal": "host air defence systems", "addressees": ["Hungary", "hungary"],
                  "status": "proposed", "evidence": ["asked Romania and Hungary to host air defence systems"]}]  # fmt: skip
    risks = [{"risk": "escalation", "raised_by": "Analysts", "affected": [], "evidence": ["warned of escalation"]}]
    content, warnings = finalize(make(proposals=proposals, risks=risks), ARTICLE, strict=False)
    assert content["proposals"][0]["addressees"] == ["Hungary", "Hungary"]
    assert content["risks"][0]["raised_by"] == "Analysts"
    assert content["actors"][len(ACTORS) :] == [{"name": "Hungary", "type": "other", "affiliation": None},
                                                {"name": "Analysts", "type": "other", "affiliation": None}]  # fmt: skip
    assert warnings == [
        "proposals “host air defence systems” (addressees): unknown actor 'Hungary' added to actors",
        "proposals “host air defence systems” (addressees): actor 'hungary' repaired to 'Hungary'",
        "risks “escalation” (raised_by): unknown actor 'Analysts' added to actors",
    ]


def test_under_strict_an_unknown_actor_is_a_validation_failure() -> None:
    risks = [{"risk": "escalation", "raised_by": "Analysts", "affected": [], "evidence": ["warned of escalation"]}]
    with pytest.raises(ValidationFailed, match="^risks “escalation” \\(raised_by\\) names unknown actor 'Analysts'$"):
        finalize(make(risks=risks), ARTICLE, strict=True)


def test_a_missing_reference_stays_missing() -> None:
    content, warnings = finalize(make(), ARTICLE, strict=True)  # risks[0].raised_by is None: the article's own view
    assert content["risks"][0]["raised_by"] is None and warnings == []


def test_duplicate_actors_are_merged_keeping_the_first_spelling() -> None:
    actors = copy.deepcopy(ACTORS)
    actors.insert(1, {"name": "nato", "type": "state", "affiliation": "the West"})
    content, warnings = finalize(make(actors=actors), ARTICLE, strict=True)
    assert content["actors"] == ACTORS  # the ones after the duplicate too
    assert warnings == ["actors: duplicate actor 'nato' merged"]


# --------------------------------------------------------------------------- warning kinds (batch counts them)


@pytest.mark.parametrize(
    ("warning", "kind"),
    [
        ("positions “x”: dropped item with no grounded evidence", "dropped"),
        ("risks: dropped an item from chunk 2 whose evidence moved", "dropped"),
        ("chunk 2/3 (characters 10-20) failed and is missing: ProviderError: nope", "dropped"),
        ("proposals “x” (proposer): actor 'POLAND' repaired to 'Poland'", "repaired"),
        ("risks “x” (raised_by): unknown actor 'Analysts' added to actors", "repaired"),
        ("actors: duplicate actor 'nato' merged", "repaired"),
        ("positions “x”: dropped unlocated quote 'war is near'", None),  # the item itself was kept
        ("anything else", None),
    ],
)
def test_each_warning_is_counted_as_what_happened(warning: str, kind: str | None) -> None:
    assert warning_kind(warning) == kind
