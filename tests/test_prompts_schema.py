import json

import pytest
from pydantic import ValidationError

from summarizer import prompting
from summarizer.checks import ArticleBrief
from summarizer.schema import ArticleSummary, json_schema


def test_render_is_pure_and_fences_the_article_with_its_hash() -> None:
    messages = prompting.render("Poland said no.")
    assert messages == prompting.render("Poland said no.")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == (
        "Summarise the article between the markers <<<ARTICLE 97cc345f10e7 and ARTICLE 97cc345f10e7>>>.\n\n"
        "<<<ARTICLE 97cc345f10e7\nPoland said no.\nARTICLE 97cc345f10e7>>>"
    )
    assert messages[0]["content"].startswith("You turn news and policy articles into structured")


def test_prompt_version_is_a_short_stable_hash() -> None:
    assert len(prompting.prompt_version()) == 12
    assert prompting.prompt_version() == prompting.prompt_version()


def test_response_model_has_quote_strings_and_no_metadata() -> None:
    schema = ArticleBrief.model_json_schema()
    assert "metadata" not in schema["properties"]
    position = schema["$defs"]["DraftPosition"]
    assert position["properties"]["evidence"]["items"] == {"type": "string"}
    assert "verbatim" in position["properties"]["evidence"]["description"].lower()


def test_output_schema_is_v1_and_forbids_extra_fields() -> None:
    schema = json_schema()
    assert set(schema["properties"]) == {"schema_version", "summary", "actors", "positions", "proposals", "risks",
                                         "support_commitments", "metadata"}  # fmt: skip
    assert schema["$defs"]["Evidence"]["properties"]["match"]["enum"] == ["exact", "normalized", "fuzzy"]
    with pytest.raises(ValidationError):
        ArticleSummary.model_validate({"schema_version": "1", "bogus": 1})


def test_metadata_ignores_unknown_fields_from_newer_versions() -> None:
    meta = {"model": "m", "base_url_host": "h", "mode": "tools", "prompt_version": "p", "schema_version": "1",
            "article_sha256": "x", "attempts": 1, "usage": {"prompt_tokens": 1, "completion_tokens": 1,
            "total_tokens": 2}, "latency_ms": 1, "warnings": [], "chunks": 1, "created_at": "t",
            "package_version": "0", "future_field": 42}  # fmt: skip
    doc = {"summary": "s", "actors": [], "positions": [], "proposals": [], "risks": [], "support_commitments": [],
           "metadata": meta}  # fmt: skip
    assert ArticleSummary.model_validate_json(json.dumps(doc)).metadata.attempts == 1
