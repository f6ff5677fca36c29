"""The report model: its JSON is the baseline contract (shape, key order, values), and loading is strict
about what a report is but ignores fields it does not know."""

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import ROOT

from summarizer.cli import main
from summarizer.errors import InputError
from summarizer.evaluation.report import REPORT, DocumentEntry, Scores, load_report

BASELINE = ROOT / "evals" / "baseline.json"
TOP_KEYS = ["version", "source", "micro", "categories", "attributes", "grounding", "schema_valid_rate", "attempts",
            "tokens", "provenance", "bootstrap_micro_f1", "documents", "fields", "cost_usd", "run"]  # fmt: skip
SCORE_KEYS = ["tp", "fp", "fn", "precision", "recall", "f1"]


def test_committed_baseline_round_trips_through_the_model_byte_for_byte() -> None:
    text = BASELINE.read_text(encoding="utf-8")
    report = REPORT.validate_json(text)
    assert report.to_json() == text
    assert json.loads(report.to_json()) == json.loads(text)


def test_report_json_keeps_the_contract_key_order() -> None:
    data = json.loads(REPORT.validate_json(BASELINE.read_bytes()).to_json())
    assert list(data) == TOP_KEYS and data["version"] == 1
    assert list(data["micro"]) == SCORE_KEYS and all(list(s) == SCORE_KEYS for s in data["categories"].values())
    assert list(data["grounding"]) == ["quotes", "exact", "normalized", "fuzzy", "not_found"]
    assert list(data["tokens"]) == ["prompt_tokens", "completion_tokens", "total_tokens", "cached_tokens"]
    assert list(data["bootstrap_micro_f1"]) == ["low", "high", "samples", "seed"]
    assert all(list(a) == ["pairs", "correct", "accuracy"] for a in data["attributes"].values())
    assert all(list(d) == ["id", "categories", "micro", "gold_sha256", "items"] for d in data["documents"])
    assert all(list(d["items"]) == list(data["categories"]) for d in data["documents"])


def test_a_report_written_before_the_later_fields_still_loads() -> None:
    data = json.loads(BASELINE.read_text(encoding="utf-8"))
    for key in ("fields", "cost_usd", "run"):
        del data[key]
    del data["tokens"]["cached_tokens"]
    for d in data["documents"]:
        del d["gold_sha256"], d["items"]
    report = REPORT.validate_python(data)
    assert report.fields is None and report.run is None and report.documents[0].items is None
    assert list(json.loads(report.to_json())) == TOP_KEYS[:12]


def test_document_error_is_omitted_when_absent_and_last_when_present() -> None:
    s = Scores(tp=0, fp=0, fn=0, precision=1.0, recall=1.0, f1=1.0)
    base = json.loads(BASELINE.read_text(encoding="utf-8"))
    base["documents"] = [dataclasses.asdict(DocumentEntry(id="x", categories={"positions": s}, micro=s)),
                         dataclasses.asdict(DocumentEntry(id="y", categories={}, micro=s, error="InputError: boom"))]  # fmt: skip
    docs = json.loads(REPORT.validate_python(base).to_json())["documents"]
    assert list(docs[0]) == ["id", "categories", "micro"]
    assert list(docs[1]) == ["id", "categories", "micro", "error"] and docs[1]["error"] == "InputError: boom"


def test_unknown_fields_are_ignored_on_load(tmp_path: Path) -> None:
    data = json.loads(BASELINE.read_text(encoding="utf-8"))
    data["written_by"] = "a newer summarizer"
    data["micro"]["auc"] = 0.5
    data["documents"][0]["latency_ms"] = 12
    (tmp_path / "newer.json").write_text(json.dumps(data))
    assert load_report(tmp_path / "newer.json").to_json() == BASELINE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("not json", "Invalid JSON"),
        ('{"summary": "an article brief, not a report"}', "source: Field required (and 10 more)"),
        (json.dumps({**json.loads(BASELINE.read_text(encoding="utf-8")), "version": 2}), "version: Input should be 1"),
    ],
)
def test_a_file_that_is_not_a_report_is_a_one_line_input_error(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(InputError) as info:
        load_report(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and "not a version-1 eval report" in message
    assert expected in message


def test_eval_with_a_bad_baseline_exits_2_naming_the_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "b.json").write_text("[]")
    args = ["eval", "--predictions", str(tmp_path), "--gold", str(ROOT / "evals/gold"), "--baseline", str(tmp_path / "b.json")]
    assert main(args) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"summarizer: error: baseline {tmp_path / 'b.json'} is not a version-1 eval report")
    assert err[1] == "hint: pass a report written by summarizer eval --json"
