"""Snapshots validate exactly as pydantic does: the shipped core schemas are current, every gold file
and saved summary reads the same both ways, broken input fails with the same errors, records write the
same JSON as pydantic's models, and a whole eval run gives the same report from the snapshots as from
pydantic (the path a stale snapshot takes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from pydantic import TypeAdapter

import summarizer.evaluation.report  # noqa: F401 - registers its adapter (gold_format's are imported below)
from summarizer import snapshots
from summarizer.evaluation.gold import load_gold, read_yaml
from summarizer.evaluation.gold_format import GOLD_FILE, empty_lists, labels
from summarizer.evaluation.runner import evaluate
from summarizer.schema import Draft
from summarizer.snapshots import ADAPTERS, ARTICLE_SUMMARY, DRAFT, Invalid, Record

GOLD = sorted((ROOT / "evals" / "gold").glob("*.yaml")) + sorted((ROOT / "evals" / "gold-second").glob("*.yaml"))


def pydantic_of(name: str) -> TypeAdapter[Any]:
    """What validates ``name`` when its snapshot is stale: pydantic's own adapter of the model."""
    return TypeAdapter(ADAPTERS[name].build())


def pydantic_errors(name: str, data: Any) -> list[dict[str, Any]]:
    with pytest.raises(ValueError) as raised:
        pydantic_of(name).validate_python(data)
    return raised.value.errors(include_url=False)  # type: ignore[attr-defined, no-any-return]


def snapshot_errors(name: str, data: Any) -> list[dict[str, Any]]:
    with pytest.raises(Invalid) as raised:
        ADAPTERS[name].validate_python(data)
    return raised.value.errors


@pytest.fixture
def stale(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every snapshot treated as stale: the adapters build their models with pydantic."""
    snapshots.Adapter._parts.cache_clear(), snapshots.Adapter._entry.cache_clear()
    monkeypatch.setattr(snapshots, "_shipped", dict)
    yield
    snapshots.Adapter._parts.cache_clear(), snapshots.Adapter._entry.cache_clear()


@pytest.fixture(scope="module")
def predictions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from summarizer.cli import main

    out = tmp_path_factory.mktemp("snap") / "pred"
    assert main(["eval", "--gold", str(ROOT / "evals/gold"), "--recordings", str(ROOT / "evals/recordings"),
                 "--save-predictions", str(out)]) == 0  # fmt: skip
    return out


@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_the_shipped_snapshot_is_the_core_schema_pydantic_makes_now(name: str) -> None:
    shipped = json.loads((ROOT / "summarizer" / "data" / snapshots.SNAPSHOT_FILE).read_text(encoding="utf-8"))
    assert shipped.get(name) == ADAPTERS[name].record(), "stale: run `uv run python scripts/snapshots.py`"
    assert ADAPTERS[name].from_snapshot


def test_the_schema_command_prints_the_json_schema_pydantic_makes(capsys: pytest.CaptureFixture[str]) -> None:
    from summarizer.cli import main
    from summarizer.schema import ArticleSummary

    assert main(["schema"]) == 0
    assert capsys.readouterr().out == json.dumps(ArticleSummary.model_json_schema(), indent=2) + "\n"
    first = ARTICLE_SUMMARY.json_schema()
    first["title"] = "changed"
    assert ARTICLE_SUMMARY.json_schema() == ArticleSummary.model_json_schema()  # each call has its own copy


def test_what_json_cannot_hold_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"schema\.function: a function cannot be written"):
        snapshots.to_snapshot({"type": "function-plain", "function": lambda v: v})


@pytest.mark.parametrize("path", GOLD, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_gold_file_reads_the_same_from_the_snapshot_as_from_pydantic(path: Path) -> None:
    raw = empty_lists(read_yaml(path, "gold file"))
    ours, theirs = GOLD_FILE.validate_python(raw), pydantic_of("GoldFile").validate_python(raw)
    assert isinstance(ours, Record) and type(ours).__name__ == "GoldFile"
    assert snapshots.plain(ours) == theirs.model_dump()
    draft, model = DRAFT.validate_python(labels(raw)), pydantic_of("Draft").validate_python(labels(raw))
    assert DRAFT.dump_json(draft) == model.model_dump_json().encode("utf-8")  # the gold digest's input
    assert draft == DRAFT.validate_python(labels(raw)) and draft != model


def test_every_saved_summary_reads_and_writes_the_same(predictions: Path) -> None:
    files = sorted(predictions.glob("*.json"))
    assert len(files) == 16
    for path in files:
        data = path.read_bytes()
        ours, theirs = ARTICLE_SUMMARY.validate_json(data), pydantic_of("ArticleSummary").validate_json(data)
        assert ARTICLE_SUMMARY.dump_plain(ours) == theirs.model_dump(mode="json")
        assert ARTICLE_SUMMARY.dump_json(ours) == theirs.model_dump_json().encode("utf-8")
        assert ours.positions[0].evidence[0].start == theirs.positions[0].evidence[0].start


HOSTILE_TEXT = ['quote "inside" and back\\slash', "tab\tnew\nline\rcr\x00nul\x1f\x7f", "ünïcødé — “curly” 🚀",
                "\u2028line\u2029para", "</script><!--", "\ud7ff\ue000\uffff"]  # fmt: skip


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_a_record_writes_pydantics_bytes_for_any_text(text: str) -> None:
    data = {"summary": text, "actors": [{"name": text, "type": "person", "affiliation": None}],
            "positions": [{"actor": text, "topic": "t", "stance": "oppose", "statement": text, "evidence": [text, "e"]}],
            "proposals": [], "risks": [{"risk": text, "raised_by": None, "affected": [text], "evidence": [text]}],
            "support_commitments": []}  # fmt: skip
    assert DRAFT.dump_json(DRAFT.validate_python(data)) == pydantic_of("Draft").validate_python(data).model_dump_json().encode()


BROKEN: list[tuple[str, Any]] = [
    ("GoldFile", {"article": 5, "summary": "s", "actors": []}),
    ("GoldFile", {"article": "a", "summary": "s", "actors": {}, "positions": 5}),
    ("GoldFile", {"article": "a", "summary": "s", "actors": [], "colour": "red"}),
    ("GoldFile", {"article": "a", "summary": "s", "actors": [{"name": "A", "type": "alien"}],
                  "positions": [{"actor": "A", "topic": "t", "stance": "maybe", "statement": "s", "evidence": [],
                                 "optional": "yes"}]}),
    ("Aliases", {"a": 5, 6: "b"}),
    ("Aliases", ["a"]),
    ("ArticleSummary", {"schema_version": "2", "summary": 3}),
    ("ArticleSummary", {"summary": "s", "actors": [], "positions": [{"evidence": [{"quote": "q", "start": "x"}]}]}),
    ("EvalReport", {"version": 2, "source": "guess", "micro": {"tp": "many"}}),
    ("EvalReport", {"documents": [{"id": 1, "categories": {"positions": None}}]}),
]


@pytest.mark.parametrize(("name", "data"), BROKEN, ids=lambda v: v if isinstance(v, str) else None)
def test_broken_input_fails_with_pydantics_errors(name: str, data: Any) -> None:
    ours = snapshot_errors(name, data)
    assert ours == pydantic_errors(name, data)
    assert str(Invalid(ours)).startswith(snapshots.location(ours[0]["loc"]))


def test_an_eval_run_reports_the_same_from_stale_snapshots(predictions: Path, request: pytest.FixtureRequest) -> None:
    def run() -> str:
        report, _, golds = evaluate(gold_dir=ROOT / "evals/gold", aliases_path=ROOT / "evals/aliases.yaml",
                                    source="predictions", predictions=predictions)  # fmt: skip
        assert all(isinstance(g.draft, Record) == ADAPTERS["Draft"].from_snapshot for g in golds)
        return report.to_json()

    ours = run()
    request.getfixturevalue("stale")
    assert not ADAPTERS["Draft"].from_snapshot and not ADAPTERS["ArticleSummary"].from_snapshot
    assert run() == ours
    assert isinstance(load_gold(GOLD[0]).draft, Draft)


def test_a_record_is_plain_data() -> None:
    a, b = (DRAFT.validate_python({"summary": "s", "actors": [], "positions": [], "proposals": [], "risks": [],
                                   "support_commitments": []}) for _ in range(2))  # fmt: skip
    assert a == b and a.summary == "s" and type(a) is type(b) is snapshots.record_class("Draft")
    assert repr(a).startswith("Draft(summary='s', actors=[]")
    assert not hasattr(a, "model_dump")
    with pytest.raises(TypeError):
        hash(a)
