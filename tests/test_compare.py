"""Field-level detail on matched pairs and ``summarizer compare``, on hand-built gold and predictions whose
counts, differences and intervals are worked out by hand below.

Two documents. ``d1`` (article ARTICLE_1) has gold: a position (Hungary opposes sanctions), a proposal
(Germany, no addressees, proposed), an optional risk (spread to Moldova, raised by nobody) and a support
commitment (Poland → Ukraine, military, pledged). ``d2`` (ARTICLE_2) has one support commitment (France
→ Ukraine, financial, pledged).

Run A:
  d1: Hungary opposes sanctions (tp); Germany's conference *accepted*, addressed to *Russia* (tp: status
      and addressees differ); no risk (the optional gold risk is not penalised); Poland → Ukraine military
      *delivered*, quoting "will send 100 tanks to Ukraine" (tp, status differs; its evidence covers 30
      of the gold quote's 46 characters: agreement 30/46 = 0.6522).          tp 3, fp 0, fn 0 → F1 1.0
  d2: nothing.                                                                tp 0, fp 0, fn 1 → F1 0.0
  micro: tp 3, fp 0, fn 1 → 6/7 = 0.8571
Run B:
  d1: Hungary *supports* sanctions (opposite polarity: cannot match → fp, and the gold position is fn);
      Poland supports arming Ukraine (a position gold does not have → fp); the conference as in gold (tp,
      no difference); the risk (matches the optional gold item: neither tp nor fp); no support (fn).
                                                                              tp 1, fp 2, fn 2 → F1 2/6 = 0.3333
  d2: France → Ukraine financial pledged (tp).                                tp 1, fp 0, fn 0 → F1 1.0
  micro: tp 2, fp 2, fn 2 → 4/8 = 0.5;  B − A = 0.5 − 0.8571 = −0.3571
Per document, B loses d1 and wins d2. Paired bootstrap over 2 documents: a resample is {d1,d1} (A 1.0,
B 0.3333: −0.6667), {d2,d2} (A 0.0, B 1.0: +1.0) or one of each (−0.3571), each pure draw with
probability 1/4 — far above 2.5% — so the 95% interval is exactly [−0.6667, +1.0]: B is lower but not
worse, and ``--fail-if-worse`` passes.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from hand_built import ARTICLE_1, GOLD_1, A, B, make_project, scored, summary

from summarizer.cli import main
from summarizer.evaluation.compare import Side, compare, paired_bootstrap
from summarizer.evaluation.matching import Counts
from summarizer.evaluation.report import Scores


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def _side(project: Path, name: str) -> Side:
    return Side(project / name, "predictions", *scored(project, name))


def _counts(s: Scores) -> tuple[int, int, int]:
    return s.tp, s.fp, s.fn


def test_markdown_report_summarises_field_differences_per_category(project: Path) -> None:
    out = project / "a.md"
    assert main(["eval", "--gold", str(project / "gold"), "--aliases", str(project / "aliases.yaml"),
                 "--predictions", str(project / "a"), "--markdown", str(out)]) == 0  # fmt: skip
    md = out.read_text()
    assert "| proposals | 1 | " in md and "status 1/1, proposer 0/1, addressees 1/1" in md
    assert "| d1 | proposals[0] a ceasefire conference in Geneva | addressees | Russia | (none) |" in md


def test_compare_counts_differences_wins_and_the_paired_interval(project: Path) -> None:
    c = compare(_side(project, "a"), _side(project, "b"))
    assert _counts(c.a.micro) == (3, 0, 1) and c.a.micro.f1 == 0.8571
    assert _counts(c.b.micro) == (2, 2, 2) and c.b.micro.f1 == 0.5
    assert _counts(c.b.categories["positions"]) == (0, 2, 1)
    assert _counts(c.b.categories["risks"]) == (0, 0, 0)  # the optional gold risk: matched, not rewarded
    assert c.difference["micro"].f1 == round(0.5 - 0.8571, 4)
    assert c.difference["positions"].f1 == round(0.0 - 1.0, 4)
    assert (c.wins, c.ties, c.losses) == (1, 0, 1)
    assert (c.bootstrap.low, c.bootstrap.high) == (-0.6667, 1.0) and not c.worse
    d1 = c.documents[0]
    assert d1.outcome == "loss" and d1.changes is not None
    assert d1.changes["positions"].lost == ["Hungary opposed new sanctions on Russia."]  # the gold item's gist
    assert len(d1.changes["positions"].spurious_b) == 2 and d1.changes["positions"].spurious_a == []
    assert [(x.item, x.field, x.change) for x in d1.changes["proposals"].fields] == [
        ("a ceasefire conference in Geneva", "addressees", "fixed"),
        ("a ceasefire conference in Geneva", "status", "fixed")]  # fmt: skip
    assert d1.changes["support_commitments"].lost == ["100 tanks for Ukraine"]
    assert "risks" not in d1.changes  # gaining an optional item changes no score
    assert c.documents[1].changes is not None and c.documents[1].changes["support_commitments"].gained


def _s(tp: int, fp: int, fn: int) -> Scores:
    return Scores.of(Counts(tp, fp, fn))


def test_paired_bootstrap_is_zero_for_identical_runs_and_below_zero_when_every_document_is_worse() -> None:
    same = [(_s(2, 1, 1), _s(2, 1, 1))] * 5
    assert {k: v for k, v in asdict(paired_bootstrap(same)).items() if k in ("difference", "low", "high")} == {
        "difference": 0.0, "low": 0.0, "high": 0.0}  # fmt: skip
    # Documents of two kinds, three of each: k = A (3,0,0) vs B (2,0,1), m = A (2,1,0) vs B (1,1,1).
    # All six: A tp 15, errors 3 → 30/33; B tp 9, errors 9 → 18/27; B − A = −0.2424. A resample of only
    # k documents gives 0.8 − 1.0 = −0.2, of only m documents 0.5 − 0.8 = −0.3; every mixture lies between.
    i = paired_bootstrap([(_s(3, 0, 0), _s(2, 0, 1)), (_s(2, 1, 0), _s(1, 1, 1))] * 3)
    assert i.difference == round(18 / 27 - 30 / 33, 4) == -0.2424
    assert -0.3 <= i.low < i.difference < i.high <= -0.2 and (i.samples, i.seed) == (2000, 0)


def test_compare_cli_reads_results_jsonl_reports_and_fails_only_when_worse(project: Path, capsys: Any) -> None:
    common = ["--gold", str(project / "gold"), "--aliases", str(project / "aliases.yaml")]
    lines = [{"id": doc_id, "article_sha256": body["metadata"]["article_sha256"], "ok": True, "summary": body}
             for doc_id, body in B.items()]  # fmt: skip
    results = project / "b.jsonl"
    results.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert main(["eval", *common, "--predictions", str(project / "a"), "--json", str(project / "a.json")]) == 0
    capsys.readouterr()
    code = main(["compare", str(project / "a.json"), str(results), *common, "--json", str(project / "c.json"),
                 "--fail-if-worse"])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "micro F1 difference B − A: -0.357, 95% paired bootstrap interval [-0.667, +1.000]" in out
    assert "B better on 1, equal on 0, worse on 1" in out
    saved = json.loads((project / "c.json").read_text())
    assert saved["a"]["kind"] == "report" and saved["b"]["kind"] == "results"
    assert saved["b"]["tokens"]["total_tokens"] == 2200
    # The reverse direction: A is better than B, but two documents cannot exclude 0 either.
    assert main(["compare", str(results), str(project / "a.json"), *common, "--fail-if-worse"]) == 0


def test_fail_if_worse_exits_10_when_the_interval_excludes_zero(project: Path, capsys: Any) -> None:
    # Six copies of d1 (each its own document): B is worse on every one, so every resample is worse.
    for i in range(6):
        (project / "gold" / f"d1_{i}.yaml").write_text(GOLD_1, encoding="utf-8")
        for name, run in (("a", A), ("b", B)):
            (project / name / f"d1_{i}.json").write_text(json.dumps(run["d1"]), encoding="utf-8")
    (project / "gold" / "d2.yaml").unlink()
    common = ["--gold", str(project / "gold"), "--aliases", str(project / "aliases.yaml")]
    assert main(["compare", str(project / "a"), str(project / "b"), *common]) == 0
    assert main(["compare", str(project / "a"), str(project / "b"), *common, "--fail-if-worse"]) == 10
    assert "excludes 0" in capsys.readouterr().err


def test_eval_predictions_accepts_a_batch_results_file(project: Path, capsys: Any) -> None:
    common = ["eval", "--gold", str(project / "gold"), "--aliases", str(project / "aliases.yaml")]
    results = project / "a.jsonl"
    failed = {"id": "d2", "article_sha256": A["d2"]["metadata"]["article_sha256"], "ok": False,
              "error": {"type": "ProviderError", "message": "HTTP 500"}}  # fmt: skip
    ok = [{"id": k, "article_sha256": v["metadata"]["article_sha256"], "ok": True, "summary": v} for k, v in A.items()]
    # an earlier failure of d2 is replaced by its later success; an id not in the gold is ignored
    results.write_text("".join(json.dumps(x) + "\n" for x in [failed, {**ok[0], "id": "other"}, *ok]))
    assert main([*common, "--predictions", str(project / "a"), "--json", str(project / "dir.json")]) == 0
    assert main([*common, "--predictions", str(results), "--json", str(project / "jsonl.json")]) == 0
    by_dir, by_jsonl = (json.loads((project / f).read_text()) for f in ("dir.json", "jsonl.json"))
    assert by_jsonl["documents"] == by_dir["documents"] and by_jsonl["micro"]["tp"] == 3
    results.write_text(json.dumps(ok[0]) + "\n" + json.dumps(failed) + "\n")
    assert main([*common, "--predictions", str(results), "--json", str(project / "failed.json")]) == 0
    docs = json.loads((project / "failed.json").read_text())["documents"]
    assert docs[1]["error"] == "batch error: ProviderError: HTTP 500" and docs[1]["micro"]["fn"] == 1
    # a summary made from another text of the article is not scored
    other = {**ok[0], "summary": summary(ARTICLE_1 + "Changed.\n")}
    other["article_sha256"] = other["summary"]["metadata"]["article_sha256"]
    results.write_text(json.dumps(other) + "\n")
    assert main([*common, "--predictions", str(results), "--json", str(project / "stale.json")]) == 0
    doc = json.loads((project / "stale.json").read_text())["documents"][0]
    assert "different text of the article" in doc["error"]


def test_a_second_labelling_scores_as_agreement_on_the_articles_it_labels(project: Path, capsys: Any) -> None:
    second = project / "gold-second"
    second.mkdir()
    # The second labeller of d1 only: the same position, the conference as under consideration, the risk
    # (optional on both sides), and no support commitment. Agreement: tp 2 (position, conference),
    # fp 0, fn 1 (the support commitment); the conference's status differs.
    head, _ = GOLD_1.split("support_commitments:")
    (second / "d1.yaml").write_text(head.replace("status: proposed", "status: under_consideration")
                                    + "support_commitments: []\n", encoding="utf-8")  # fmt: skip
    common = ["--gold", str(project / "gold"), "--aliases", str(project / "aliases.yaml")]
    assert main(["eval", *common, "--predictions", str(second), "--json", str(project / "agree.json")]) == 0
    report = json.loads((project / "agree.json").read_text())
    assert [d["id"] for d in report["documents"]] == ["d1"]  # d2 is not labelled twice: left out
    assert (report["micro"]["tp"], report["micro"]["fp"], report["micro"]["fn"]) == (2, 0, 1)
    assert report["fields"]["proposals"]["differ"]["status"] == 1
    assert main(["compare", str(project / "gold"), str(second), *common]) == 0
    out = capsys.readouterr().out
    assert "only in A" in out and "(labelling" in out


def test_compare_refuses_runs_without_a_document_in_common_and_missing_sides(project: Path, capsys: Any) -> None:
    common = ["--gold", str(project / "gold"), "--aliases", str(project / "aliases.yaml")]
    assert main(["eval", *common, "--predictions", str(project / "a"), "--json", str(project / "a.json")]) == 0
    other = json.loads((project / "a.json").read_text())
    for d in other["documents"]:
        d["id"] = "renamed-" + d["id"]
    (project / "other.json").write_text(json.dumps(other))
    capsys.readouterr()
    assert main(["compare", str(project / "a.json"), str(project / "other.json")]) == 2
    assert "no document in common" in capsys.readouterr().err
    assert main(["compare", str(project / "a"), str(project / "missing"), *common]) == 2
    assert "not found" in capsys.readouterr().err


def test_compare_works_from_outside_the_project_with_explicit_paths(project: Path, tmp_path_factory: Any,
                                                                   monkeypatch: Any, capsys: Any) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert main(["compare", str(project / "a"), str(project / "b")]) == 2
    err = capsys.readouterr().err
    assert "--gold" in err
    assert main(["compare", str(project / "a"), str(project / "b"), "--gold", str(project / "gold"),
                 "--aliases", str(project / "aliases.yaml")]) == 0  # fmt: skip


def _page(project: Path) -> str:
    common = ["--gold", str(project / "gold"), "--aliases", str(project / "aliases.yaml")]
    assert main(["compare", str(project / "a"), str(project / "b"), *common, "--html", str(project / "c.html")]) == 0
    return (project / "c.html").read_text()


def test_compare_page_shows_both_runs_and_what_changed_with_working_links(project: Path) -> None:
    import re

    page = _page(project)
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert all(target in ids for target in re.findall(r'href="#([^"]+)"', page))
    assert {"d1", "d2", "contents", "scores", "scoring", "documents"} <= set(ids)
    d1 = page[page.index('id="d1"'):page.index('id="d2"')]
    changes = d1[d1.index('<ul class="changes">'):d1.index("</ul>")]
    assert '<li class="lost">Positions: Hungary opposed new sanctions on Russia.</li>' in changes
    assert '<li class="fixed">Proposals: status of a ceasefire conference in Geneva</li>' in changes
    assert '<li class="lost">Support commitments: 100 tanks for Ukraine</li>' in changes
    column_a, column_b = d1.split('data-run="a"')[1].split('data-run="b"')
    assert "A:P1" in column_a and "B:P" not in column_a and "Poland supports arming Ukraine." in column_b
    assert "status differs: predicted accepted, gold proposed" in column_a
    assert "optional — not penalised" in column_b  # the risk B matched is optional in gold
    assert 'href="#d1-a-p1"' in d1 and 'href="#d1-b-p2"' in d1  # the article's spans link back to both runs
    assert "gpt-4o-mini" in page and "Content-Security-Policy" in page and "<script" not in page


def test_compare_page_reads_at_420_px_and_its_contents_navigate(project: Path, driver: Any) -> None:
    page = project / "c.html"
    _page(project)
    driver.set_window_size(420, 900)
    driver.get(page.as_uri())
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    driver.find_element("css selector", '#contents a[href="#d2"]').click()
    assert driver.execute_script("return location.hash") == "#d2"
    box = driver.execute_script("const r = document.getElementById('d2').getBoundingClientRect();"
                                "return [r.top, r.bottom, window.innerHeight, window.scrollY]")
    assert box[3] > 0 and 0 <= box[0] < box[2] and box[1] > 0  # scrolled to it: its top is on screen


def test_readme_reports_the_agreement_of_the_committed_labellings(tmp_path: Path, capsys: Any) -> None:
    from conftest import ROOT

    assert main(["compare", str(ROOT / "evals/gold"), str(ROOT / "evals/gold-second"),
                 "--json", str(tmp_path / "agreement.json")]) == 0  # fmt: skip
    capsys.readouterr()
    saved = json.loads((tmp_path / "agreement.json").read_text())
    b = saved["b"]
    row = " | ".join(f"{b['categories'][c]['f1']:.3f}" for c in ("positions", "proposals", "risks", "support_commitments"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"| second labelling vs the gold after adjudication | {row} | {b['micro']['f1']:.3f} |" in readme
    assert saved["documents_compared"] == len(list((ROOT / "evals/gold-second").glob("*.yaml"))) >= 4


def test_saved_reports_scored_against_different_gold_leave_that_document_out(project: Path, capsys: Any) -> None:
    common = ["--gold", str(project / "gold"), "--aliases", str(project / "aliases.yaml")]
    assert main(["eval", *common, "--predictions", str(project / "a"), "--json", str(project / "before.json")]) == 0
    (project / "gold" / "d1.yaml").write_text(GOLD_1.replace("status: pledged", "status: delivered"), encoding="utf-8")
    assert main(["eval", *common, "--predictions", str(project / "a"), "--json", str(project / "after.json")]) == 0
    capsys.readouterr()
    assert main(["compare", str(project / "before.json"), str(project / "after.json"),
                 "--json", str(project / "c.json")]) == 0  # fmt: skip
    saved = json.loads((project / "c.json").read_text())
    assert saved["gold_changed"] == ["d1"] and saved["documents_compared"] == 1
    assert [d["id"] for d in saved["documents"]] == ["d2"]
    assert "gold changed between the runs: d1" in capsys.readouterr().out
