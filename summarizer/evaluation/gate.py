"""Gate: the decision whether an eval run regressed against a baseline report (``eval --fail-on-regression``).

A *verdict* (``Verdict``) says what changed against the baseline and whether the gate fails:
- a replay run (recordings in, so the scores are deterministic) fails when any document's scores moved,
  up or down: a change in scoring or in the pipeline must update the baseline in the same change;
- any other run (saved predictions, a live model) fails only when micro F1 falls below the baseline's.
"""

from __future__ import annotations

from dataclasses import dataclass

from summarizer.categories import CATEGORIES
from summarizer.evaluation.report import EvalReport, Scores

_ABSENT = Scores(tp=0, fp=0, fn=0, precision=0.0, recall=0.0, f1=0.0)  # a category the baseline does not have


@dataclass(frozen=True)
class Verdict:
    lines: tuple[str, ...]  # per-category deltas, then "moved: ..." per document; empty when nothing changed
    moved: bool  # some document's scores or error differ, or a document was added or removed
    failure: str | None  # why the gate fails; None when it passes


def compare(report: EvalReport, baseline: EvalReport) -> tuple[list[str], bool]:
    """Per-category deltas and the documents whose scores moved. Returns (lines, any document moved)."""
    lines = []
    for name in (*CATEGORIES, "micro"):
        now = report.micro if name == "micro" else report.categories[name]
        then = baseline.micro if name == "micro" else baseline.categories.get(name, _ABSENT)
        tp, fp, fn, f1 = now.tp - then.tp, now.fp - then.fp, now.fn - then.fn, now.f1 - then.f1
        if any(abs(v) > 1e-9 for v in (tp, fp, fn, f1)):
            lines.append(f"{name}: F1 {then.f1:.3f} → {now.f1:.3f} ({f1:+.3f}); tp {tp:+d}, fp {fp:+d}, fn {fn:+d}")
    before = {d.id: d for d in baseline.documents}
    moved = []
    for d in report.documents:
        old = before.pop(d.id, None)
        if old is None:
            moved.append(f"{d.id}: new document (F1 {d.micro.f1:.3f})")
        elif old.categories != d.categories or old.error != d.error:
            changed = [c for c in CATEGORIES if old.categories.get(c) != d.categories[c]]
            moved.append(f"{d.id}: F1 {old.micro.f1:.3f} → {d.micro.f1:.3f} ({', '.join(changed) or 'error changed'})")
    moved += [f"{doc_id}: no longer evaluated" for doc_id in before]
    return lines + [f"moved: {m}" for m in moved], bool(moved)


def judge(report: EvalReport, baseline: EvalReport) -> Verdict:
    """The gate's verdict on ``report`` against ``baseline`` (the policy in the module docstring)."""
    lines, moved = compare(report, baseline)
    floor = baseline.micro.f1
    failure = None
    if (report.source == "replay" and moved) or report.micro.f1 < floor:
        failure = "scores moved from the baseline" if moved else f"micro F1 fell below the baseline ({floor:.3f})"
    return Verdict(tuple(lines), moved, failure)
