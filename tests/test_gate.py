"""The baseline gate's policy on hand-built reports, with the expected lines and scores worked out by hand.

Every document here has items in ``positions`` only (the other categories are empty: F1 1.0, no counts),
so a document's micro counts are its positions counts. F1 = 2tp / (2tp + fp + fn):
  a (2,1,1) → 4/6 = 0.6667   a (3,0,0) → 1.0   a (1,2,2) → 2/6 = 0.3333   b (1,0,1) → 2/3 = 0.6667
  baseline a+b (3,1,2) → 6/9 = 0.6667   better (4,0,1) → 8/9 = 0.8889   worse (2,2,3) → 4/9 = 0.4444
"""

from dataclasses import replace

from summarizer.evaluation.gate import judge
from summarizer.evaluation.matching import Counts
from summarizer.evaluation.report import Bootstrap, DocumentEntry, EvalReport, Grounding, Scores, Source, Tokens
from summarizer.schema import CATEGORIES

EMPTY = Scores(tp=0, fp=0, fn=0, precision=1.0, recall=1.0, f1=1.0)


def scores(tp: int, fp: int, fn: int, f1: float) -> Scores:
    s = Scores.of(Counts(tp, fp, fn))
    assert s.f1 == f1  # the hand computation in the module docstring
    return s


def doc(doc_id: str, positions: Scores, error: str | None = None) -> DocumentEntry:
    categories = {c: positions if c == "positions" else EMPTY for c in CATEGORIES}
    return DocumentEntry(id=doc_id, categories=categories, micro=positions, error=error)


def report(source: Source, micro: Scores, *docs: DocumentEntry) -> EvalReport:
    categories = {c: micro if c == "positions" else EMPTY for c in CATEGORIES}
    return EvalReport(source=source, micro=micro, categories=categories, attributes={}, grounding=Grounding(),
                      schema_valid_rate=1.0, attempts=0, tokens=Tokens(), provenance={},
                      bootstrap_micro_f1=Bootstrap(low=0.0, high=1.0, samples=1000, seed=0),
                      documents=list(docs))  # fmt: skip


A = scores(2, 1, 1, 0.6667)
A_BETTER = scores(3, 0, 0, 1.0)
A_WORSE = scores(1, 2, 2, 0.3333)
B = scores(1, 0, 1, 0.6667)
BASELINE = report("replay", scores(3, 1, 2, 0.6667), doc("a", A), doc("b", B))
BETTER_LINES = (
    "positions: F1 0.667 → 0.889 (+0.222); tp +1, fp -1, fn -1",
    "micro: F1 0.667 → 0.889 (+0.222); tp +1, fp -1, fn -1",
    "moved: a: F1 0.667 → 1.000 (positions)",
)


def test_replay_fails_when_a_document_moved_even_upwards() -> None:
    verdict = judge(report("replay", scores(4, 0, 1, 0.8889), doc("a", A_BETTER), doc("b", B)), BASELINE)
    assert verdict.lines == BETTER_LINES
    assert verdict.moved and verdict.failure == "scores moved from the baseline"


def test_predictions_pass_when_documents_moved_and_f1_rose() -> None:
    verdict = judge(report("predictions", scores(4, 0, 1, 0.8889), doc("a", A_BETTER), doc("b", B)), BASELINE)
    assert verdict.lines == BETTER_LINES
    assert verdict.moved and verdict.failure is None


def test_live_is_judged_like_predictions() -> None:
    assert judge(report("live", scores(4, 0, 1, 0.8889), doc("a", A_BETTER), doc("b", B)), BASELINE).failure is None


def test_predictions_fail_when_f1_fell() -> None:
    verdict = judge(report("predictions", scores(2, 2, 3, 0.4444), doc("a", A_WORSE), doc("b", B)), BASELINE)
    assert verdict.lines == (
        "positions: F1 0.667 → 0.444 (-0.222); tp -1, fp +1, fn +1",
        "micro: F1 0.667 → 0.444 (-0.222); tp -1, fp +1, fn +1",
        "moved: a: F1 0.667 → 0.333 (positions)",
    )
    assert verdict.moved and verdict.failure is not None


def test_f1_below_the_baseline_floor_fails_with_the_floor_named() -> None:
    # documents unchanged, but the baseline's micro F1 is higher than this run's (a hand-raised floor)
    floor = replace(BASELINE, micro=Scores(tp=3, fp=1, fn=2, precision=0.75, recall=0.6, f1=0.7))
    verdict = judge(report("predictions", scores(3, 1, 2, 0.6667), doc("a", A), doc("b", B)), floor)
    assert verdict.lines == ("micro: F1 0.700 → 0.667 (-0.033); tp +0, fp +0, fn +0",)
    assert not verdict.moved and verdict.failure == "micro F1 fell below the baseline (0.700)"


def test_no_change_passes_in_every_mode() -> None:
    for source in ("replay", "predictions", "live"):
        verdict = judge(replace(BASELINE, source=source), BASELINE)
        assert verdict.lines == () and not verdict.moved and verdict.failure is None


def test_added_removed_and_errored_documents_count_as_moved_in_replay() -> None:
    now = report("replay", scores(3, 1, 2, 0.6667), doc("a", A, error="InputError: boom"), doc("c", B))
    verdict = judge(now, BASELINE)
    assert verdict.lines == (
        "moved: a: F1 0.667 → 0.667 (error changed)",
        "moved: c: new document (F1 0.667)",
        "moved: b: no longer evaluated",
    )
    assert verdict.failure == "scores moved from the baseline"


def test_a_category_missing_from_the_baseline_counts_from_zero() -> None:
    old = replace(BASELINE, categories={c: s for c, s in BASELINE.categories.items() if c != "risks"})
    verdict = judge(BASELINE, old)
    assert verdict.lines == ("risks: F1 0.000 → 1.000 (+1.000); tp +0, fp +0, fn +0",)
    assert not verdict.moved and verdict.failure is None


def test_the_gate_without_a_baseline_is_a_usage_error(capsys) -> None:
    from summarizer.cli import main

    assert main(["eval", "--fail-on-regression"]) == 2
    assert "--fail-on-regression needs --baseline" in capsys.readouterr().err


def test_eval_finds_the_project_from_a_subfolder_and_says_what_is_missing_outside_one(
    monkeypatch, tmp_path, capsys
) -> None:  # fmt: skip
    from conftest import ROOT

    from summarizer.cli import main

    monkeypatch.chdir(ROOT / "evals" / "gold")
    assert main(["eval", "--lint"]) == 0
    monkeypatch.chdir(tmp_path)
    assert main(["eval", "--lint"]) == 2
    err = capsys.readouterr().err
    assert "evals/gold not found in" in err and "pass --gold DIR" in err
