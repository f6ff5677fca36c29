import json
import os
import re
import subprocess
import sys

import pytest
from pydantic import ValidationError

from summarizer import prompting, snapshots
from summarizer.checks import ArticleBrief
from summarizer.schema import ArticleSummary, Draft, json_schema
from summarizer.snapshots import DRAFT


def test_render_is_pure_and_fences_the_article_with_its_hash() -> None:
    messages = prompting.render("Poland said no.")
    assert messages == prompting.render("Poland said no.")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == "<<<ARTICLE 97cc345f\nPoland said no.\nARTICLE 97cc345f>>>"
    assert messages[0]["content"].startswith("Brief the article for analysts")


def test_the_static_instructions_come_first_and_are_the_same_for_every_article() -> None:
    for mode in ("tools", "json_schema", "md_json"):
        a, b = prompting.render("Poland said no.", mode), prompting.render("Kyiv said yes.", mode)  # type: ignore[arg-type]
        assert a[0] == b[0] and a[1] != b[1]
    assert prompting.declaration() in prompting.render("x", "md_json")[0]["content"]
    assert prompting.declaration() not in prompting.render("x", "tools")[0]["content"]


def test_md_json_declares_the_brief_as_a_compact_type() -> None:
    assert prompting.declaration().splitlines()[:4] == [
        "type ArticleBrief = {",
        " summary: string; // Neutral gist, 1-3 sentences.",
        " actors: {",
        "  name: string; // Short canonical name as used in the text, e.g. 'NATO', 'Jens Stoltenberg'.",
    ]
    assert "  stance: 'support'|'oppose'|'conditional'|'considering'|'neutral';" in prompting.declaration()
    assert "  raised_by: string|null;" in prompting.declaration()


def test_every_rule_is_stated_once_either_in_the_instructions_or_the_schema() -> None:
    system = prompting.render("x")[0]["content"]
    schema = json.dumps(prompting.brief_schema())
    for rule in ("verbatim", "spelled exactly the same", "will not participate", "untrusted", "Empty lists",
                 "null: the article's own analysis", "how far it has got", "with its conditions"):  # fmt: skip
        assert system.count(rule) == 1 and rule not in schema, rule
    for hint in prompting.HINTS.values():
        assert schema.count(hint) == 1 and hint not in system, hint
    assert '"title"' not in schema.replace('"title": "ArticleBrief"', "") and "$defs" not in schema


def test_prompt_version_is_a_short_stable_hash_of_what_the_model_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    version = prompting.prompt_version()
    assert re.fullmatch(r"[0-9a-f]{12}", version)
    # stable: another process, with another string-hash seed, computes the same version
    code = "from summarizer import prompting; print(prompting.prompt_version())"
    other = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": "12345"},
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert other.stdout.strip() == version
    # and it moves when what the model reads moves
    template = prompting._template
    monkeypatch.setattr(prompting, "_template", lambda name: template(name) + ("!" if name == "system.txt" else ""))
    prompting.prompt_version.cache_clear()
    try:
        assert re.fullmatch(r"[0-9a-f]{12}", prompting.prompt_version()) and prompting.prompt_version() != version
    finally:
        prompting.prompt_version.cache_clear()  # computed afresh, from the real templates, by the next caller


def test_response_model_has_quote_strings_and_no_metadata() -> None:
    schema = ArticleBrief.model_json_schema()
    assert schema == prompting.brief_schema()  # what instructor sends in tools and json_schema modes
    assert "metadata" not in schema["properties"]
    position = schema["properties"]["positions"]["items"]
    assert position["properties"]["evidence"] == {"items": {"type": "string"}, "type": "array"}
    assert position["required"] == ["actor", "topic", "stance", "statement", "evidence"]


def test_output_schema_keeps_its_descriptions() -> None:
    evidence = json_schema()["$defs"]["Position"]["properties"]["evidence"]
    assert "verbatim" not in json.dumps(evidence)  # located evidence objects in the output
    draft = json.dumps(Draft.model_json_schema())
    assert "Verbatim quotes copied character for character" in draft


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


def test_the_draft_schema_read_from_its_snapshot_is_the_one_pydantic_makes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert DRAFT.from_snapshot
    assert prompting._draft_schema() == Draft.model_json_schema()
    snapshots.Adapter._entry.cache_clear()
    monkeypatch.setattr(snapshots, "_shipped", dict)  # stale: pydantic makes it
    try:
        assert prompting._draft_schema() == Draft.model_json_schema()
    finally:
        monkeypatch.undo()
        snapshots.Adapter._entry.cache_clear()
