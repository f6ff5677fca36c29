"""The eval harness end to end over the shipped gold and recordings, plus the gate and the reports."""

import json
import shutil
from pathlib import Path

import pytest
from conftest import ROOT

from summarizer.cli import main
from summarizer.evaluation.gold import lint, load_aliases, load_gold

GOLD = ROOT / "evals" / "gold"


@pytest.fixture(scope="module")
def replay_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("eval")
    assert main(["eval", "--gold", str(GOLD), "--aliases", str(ROOT / "evals/aliases.yaml"),
                 "--recordings", str(ROOT / "evals/recordings"), "--json", str(out / "r.json"),
                 "--markdown", str(out / "r.md"), "--html", str(out / "r.html"),
                 "--save-predictions", str(out / "pred")]) == 0  # fmt: skip
    return json.loads((out / "r.json").read_text()), out


def test_shipped_gold_lints_clean(capsys) -> None:
    assert main(["eval", "--lint", "--gold", str(GOLD), "--aliases", str(ROOT / "evals/aliases.yaml")]) == 0
    assert "16 gold files: 0 problem(s)" in capsys.readouterr().out


def test_linter_catches_non_verbatim_quote_and_unknown_actor(tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("NATO’s policy remains unchanged: we will not participate in this conflict.")
    (tmp_path / "g.yaml").write_text(
        "article: a.txt\nsummary: s\nactors: [{name: NATO, type: organization, affiliation: null}]\n"
        "positions:\n  - {actor: Nato Alliance, topic: t, stance: oppose, statement: s,\n"
        "     evidence: [\"NATO's policy remains unchanged\"]}\nproposals: []\nrisks: []\nsupport_commitments: []\n"
    )
    problems = lint(load_gold(tmp_path / "g.yaml"), load_aliases(None))
    assert any("not verbatim" in p for p in problems) and any("'Nato Alliance' is not in actors" in p for p in problems)


def test_replay_report_has_the_contract_shape_and_honest_scores(replay_report) -> None:
    report, _ = replay_report
    assert report["version"] == 1 and report["source"] == "replay"
    keys = {"tp", "fp", "fn", "precision", "recall", "f1"}
    assert set(report["micro"]) == keys
    assert set(report["categories"]) == {"positions", "proposals", "risks", "support_commitments"}
    assert all(set(v) == keys for v in report["categories"].values())
    assert set(report["grounding"]) == {"quotes", "exact", "normalized", "fuzzy", "not_found"}
    assert len(report["documents"]) == 16 and all({"id", "categories"} <= set(d) for d in report["documents"])
    assert 0.3 < report["micro"]["f1"] < 0.95  # authored responses carry mistakes
    assert report["grounding"]["normalized"] > 0 and report["grounding"]["fuzzy"] > 0
    assert report["grounding"]["not_found"] >= 1  # the stubborn paraphrase that was dropped
    recordings = list((ROOT / "evals/recordings").rglob("*.json"))
    assert report["provenance"] == {"authored": len(recordings)}
    assert report["attempts"] == len(recordings)
    b = report["bootstrap_micro_f1"]
    assert b["low"] <= report["micro"]["f1"] <= b["high"]


def test_scoring_saved_predictions_gives_the_same_scores(replay_report, tmp_path) -> None:
    report, out = replay_report
    assert main(["eval", "--gold", str(GOLD), "--predictions", str(out / "pred"), "--json", str(tmp_path / "p.json")]) == 0
    scored = json.loads((tmp_path / "p.json").read_text())
    assert scored["source"] == "predictions"
    assert scored["documents"] == report["documents"] and scored["micro"] == report["micro"]


def test_missing_prediction_counts_as_all_missed(replay_report, tmp_path) -> None:
    _, out = replay_report
    pred = tmp_path / "pred"
    shutil.copytree(out / "pred", pred)
    (pred / "05_wh_biden_duda_call_poland.json").unlink()
    assert main(["eval", "--gold", str(GOLD), "--predictions", str(pred), "--json", str(tmp_path / "p.json")]) == 0
    doc = next(d for d in json.loads((tmp_path / "p.json").read_text())["documents"] if d["id"].startswith("05_"))
    assert "no prediction file" in doc["error"] and doc["micro"]["tp"] == 0


def test_gate_passes_on_unchanged_scores_and_fails_naming_moved_documents(replay_report, tmp_path, capsys) -> None:
    report, out = replay_report
    args = ["eval", "--gold", str(GOLD), "--predictions", str(out / "pred"), "--fail-on-regression"]
    assert main([*args, "--baseline", str(out / "r.json")]) == 0
    capsys.readouterr()
    moved = json.loads(json.dumps(report))
    moved["documents"][0]["categories"]["positions"]["tp"] += 1
    moved["micro"]["f1"] = 0.0  # so a predictions-mode run does not trip on the F1 floor
    (tmp_path / "baseline.json").write_text(json.dumps(moved))
    replay_args = ["eval", "--gold", str(GOLD), "--recordings", str(ROOT / "evals/recordings"),
                   "--fail-on-regression", "--baseline", str(tmp_path / "baseline.json")]  # fmt: skip
    assert main(replay_args) == 10
    captured = capsys.readouterr()
    assert f"moved: {report['documents'][0]['id']}" in captured.out and "positions" in captured.out
    assert "scores moved" in captured.err


def test_markdown_report_lists_categories_and_documents(replay_report) -> None:
    _, out = replay_report
    md = (out / "r.md").read_text()
    assert md.startswith("## Eval report (replay)") and "| micro |" in md and "nato_rejects_missile_interception" in md


def test_committed_baseline_matches_the_current_replay(replay_report) -> None:
    report, _ = replay_report
    baseline = json.loads((ROOT / "evals/baseline.json").read_text())
    assert baseline["documents"] == report["documents"], "update evals/baseline.json in the same change"
    assert list(baseline) == list(report) and list(baseline["documents"][0]) == list(report["documents"][0])


def test_live_eval_records_exchanges_as_recorded_provenance(tmp_path, monkeypatch, capsys) -> None:
    from openai_server import OpenAIServer, echo_answer

    with OpenAIServer(responder=echo_answer) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-live-key-0001")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        record = tmp_path / "rec"
        assert main(["eval", "--gold", str(GOLD), "--live", "--record", str(record), "--json", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["source"] == "live" and report["schema_valid_rate"] == 1.0
    files = list(record.rglob("*.json"))
    assert len(files) == 16 == len(server.requests)
    assert all(json.loads(f.read_text())["meta"]["provenance"] == "recorded" for f in files)
    assert not any("sk-test-live-key-0001" in f.read_text() for f in files)
    # and the recordings replay offline to the same scores
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["eval", "--gold", str(GOLD), "--recordings", str(record), "--json", str(tmp_path / "r2.json")]) == 0
    replayed = json.loads((tmp_path / "r2.json").read_text())
    assert replayed["documents"] == report["documents"] and replayed["provenance"] == {"recorded": 16}
