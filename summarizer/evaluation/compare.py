"""Compare: two runs scored on the same gold, paired document by document (``summarizer compare A B``).

A *side* is one run: a predictions directory, a batch results file, another hand labelling (a directory
of gold files), each scored here against the gold, or a saved eval JSON report (scored when it was
written). Both sides are reduced to their per-document entries (``report.DocumentEntry``) and paired on
the documents they share; a document whose gold changed between the two (``gold_sha256`` differs) is
left out, since its scores are not comparable. What a comparison says, B against A:

- per category and micro: tp/fp/fn/P/R/F1 of each side and the difference B − A;
- a 95% *paired* bootstrap interval of the micro-F1 difference: documents are resampled with
  replacement and both sides' micro F1 recomputed on the same sample, so the interval reflects how
  much the difference depends on which documents were drawn (2,000 resamples, seed fixed);
- wins/ties/losses per document (B's document F1 above, equal to or below A's);
- per document, the gold items B matched that A missed (gained) and the reverse (lost), spurious items
  on each side, and matched pairs whose disagreeing fields changed;
- tokens and cost of each side when known.

``worse`` is true when B's micro F1 is lower and the interval lies wholly below 0 (``--fail-if-worse``).
Two labellings of the same articles compared this way give their agreement: with A the reference
labelling (the gold itself), B's scores are the inter-labeller precision, recall and F1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from summarizer.categories import CATEGORIES
from summarizer.errors import InputError
from summarizer.evaluation.gold import Gold
from summarizer.evaluation.matching import Counts
from summarizer.evaluation.report import (
    DocumentEntry,
    EvalReport,
    Outcome,
    RunInfo,
    Scores,
    Tokens,
    jsonable,
    load_report,
)
from summarizer.evaluation.runner import evaluate, load_golds
from summarizer.evaluation.scoring import DocumentScore, resamples
from summarizer.evaluation.views import cells, md_cell

Kind = Literal["report", "predictions", "results", "labelling"]
SAMPLES = 2000
SEED = 0


@dataclass
class Side:
    """One run to compare: where it came from, its report, and (when scored here) its documents."""

    path: Path
    kind: Kind
    report: EvalReport
    docs: list[DocumentScore] | None = None  # None for a saved report
    golds: list[Gold] | None = None


def kind_of(path: Path) -> Kind:
    """What ``path`` holds, from its shape: a directory of ``ID.yaml`` is a labelling, any other directory
    predictions; a file whose first line is a JSON object with ``id`` is a results file, else a report."""
    if path.is_dir():
        return "labelling" if any(path.glob("*.yaml")) and not any(path.glob("*.json")) else "predictions"
    try:
        with open(path, "rb") as f:
            first = f.readline(1 << 20)
            while first and not first.strip():  # blank lines before a results file's first line
                first = f.readline(1 << 20)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}",
                         hint="each side is a predictions directory, a batch results .jsonl, a gold directory "
                              "or an eval --json report") from e  # fmt: skip
    try:
        head = json.loads(first)
    except ValueError:
        return "report"  # an indented report's first line is "{"; load_report says if it is not one
    return "results" if isinstance(head, dict) and "id" in head else "report"


def load_sides(paths: list[Path], *, gold_dir: Path, aliases: Path | None) -> list[Side]:
    """The run each of ``paths`` holds: a saved report as it is, any other scored here (the gold files
    read once for all of them)."""
    sides: list[Side] = []
    golds: list[Gold] | None = None
    for path in paths:
        kind = kind_of(path)
        if kind == "report":
            sides.append(Side(path, kind, load_report(path, "report")))
            continue
        golds = golds if golds is not None else load_golds(gold_dir)
        report, docs, scored = evaluate(gold_dir=gold_dir, aliases_path=aliases, source="predictions",
                                        predictions=path, golds=golds)  # fmt: skip
        sides.append(Side(path, kind, report, docs, scored))
    return sides


# --------------------------------------------------------------------------- the comparison


@dataclass(frozen=True, kw_only=True)
class SideSummary:
    path: str
    kind: Kind
    source: str
    micro: Scores
    categories: dict[str, Scores]
    tokens: Tokens | None  # None when the side made no model calls that it reports
    cost_usd: float | None
    run: RunInfo | None
    provenance: dict[str, int]


@dataclass(frozen=True, kw_only=True)
class Delta:
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True, kw_only=True)
class Interval:
    """95% percentile interval of micro F1 (B) − micro F1 (A) over paired resamplings of the documents."""

    difference: float
    low: float
    high: float
    samples: int
    seed: int


@dataclass(frozen=True, kw_only=True)
class FieldChange:
    """A field of a gold item both runs matched that disagreed with gold in A and agrees in B (fixed) or the reverse."""

    item: str  # the gold item's gist
    field: str
    change: Literal["fixed", "broken"]


@dataclass(frozen=True, kw_only=True)
class Change:
    """What changed in one category of one document from A to B (items by their gist)."""

    gained: list[str]  # gold items B matched and A did not
    lost: list[str]  # gold items A matched and B did not
    spurious_a: list[str]
    spurious_b: list[str]
    fields: list[FieldChange]  # on gold items both sides matched


@dataclass(frozen=True, kw_only=True)
class DocumentComparison:
    id: str
    a: Scores
    b: Scores
    outcome: Literal["win", "tie", "loss"]  # for B
    error_a: str | None = None
    error_b: str | None = None
    changes: dict[str, Change] | None = None  # categories that changed; None when a side has no item detail


@dataclass(frozen=True, kw_only=True)
class Comparison:
    version: Literal[1] = 1
    a: SideSummary
    b: SideSummary
    documents_compared: int
    only_in_a: list[str]
    only_in_b: list[str]
    gold_changed: list[str]  # left out: scored against different gold on the two sides
    difference: dict[str, Delta]  # per category and "micro": B − A
    bootstrap: Interval
    wins: int
    ties: int
    losses: int
    worse: bool
    documents: list[DocumentComparison]

    def to_json(self) -> str:
        return json.dumps(jsonable(self), indent=2) + "\n"


def _f1(tp: int, errors: int) -> float:
    return 2 * tp / (2 * tp + errors) if tp + errors else 1.0


def _scores(entries: list[DocumentEntry], category: str | None) -> Scores:
    total = Counts()
    for e in entries:
        s = e.micro if category is None else e.categories[category]
        total += Counts(tp=s.tp, fp=s.fp, fn=s.fn)
    return Scores.of(total)


def paired_bootstrap(pairs: list[tuple[Scores, Scores]], samples: int = SAMPLES, seed: int = SEED) -> Interval:
    """The micro-F1 difference B − A over ``pairs`` (A's and B's micro scores of each document) and its
    95% percentile interval over ``samples`` resamplings of the documents with replacement."""
    counts = [(a.tp, a.fp + a.fn, b.tp, b.fp + b.fn) for a, b in pairs]
    total = [sum(c[k] for c in counts) for k in range(4)]
    difference = round(_f1(total[2], total[3]) - _f1(total[0], total[1]), 4)
    if not counts:
        return Interval(difference=difference, low=0.0, high=0.0, samples=0, seed=seed)
    columns = [[c[k] for c in counts] for k in range(4)]  # tp A, errors A, tp B, errors B
    values = []
    for drawn in resamples(len(counts), samples, seed):
        ta, ea, tb, eb = (sum(map(column.__getitem__, drawn)) for column in columns)
        values.append(_f1(tb, eb) - _f1(ta, ea))
    values.sort()
    return Interval(difference=difference, low=round(values[int(0.025 * samples)], 4),
                    high=round(values[int(0.975 * samples) - 1], 4), samples=samples, seed=seed)  # fmt: skip


def _change(a: Outcome, b: Outcome) -> Change | None:
    matched_a = {p.gold.index: p for p in a.matched if not p.gold.optional}  # optional items change no score
    matched_b = {p.gold.index: p for p in b.matched if not p.gold.optional}
    fields = []
    for j in sorted(matched_a.keys() & matched_b.keys()):
        before, after = set(matched_a[j].differences), set(matched_b[j].differences)
        label = matched_a[j].gold.label
        fields += [FieldChange(item=label, field=f, change="fixed") for f in sorted(before - after)]
        fields += [FieldChange(item=label, field=f, change="broken") for f in sorted(after - before)]
    change = Change(
        gained=[matched_b[j].gold.label for j in sorted(matched_b.keys() - matched_a.keys())],
        lost=[matched_a[j].gold.label for j in sorted(matched_a.keys() - matched_b.keys())],
        spurious_a=[r.label for r in a.spurious],
        spurious_b=[r.label for r in b.spurious],
        fields=fields,
    )
    unchanged = not (change.gained or change.lost or change.fields) and change.spurious_a == change.spurious_b
    return None if unchanged else change


def _summary(side: Side) -> SideSummary:
    r = side.report
    return SideSummary(path=str(side.path), kind=side.kind, source=r.source, micro=r.micro, categories=r.categories,
                       tokens=r.tokens if r.tokens.total_tokens else None, cost_usd=r.cost_usd, run=r.run,
                       provenance=r.provenance)  # fmt: skip


def compare(a: Side, b: Side) -> Comparison:
    """B against A on the documents both have and both scored against the same gold."""
    by_id_a = {d.id: d for d in a.report.documents}
    by_id_b = {d.id: d for d in b.report.documents}
    common = [i for i in by_id_a if i in by_id_b]
    changed = [i for i in common
               if None not in (by_id_a[i].gold_sha256, by_id_b[i].gold_sha256)
               and by_id_a[i].gold_sha256 != by_id_b[i].gold_sha256]  # fmt: skip
    ids = [i for i in common if i not in changed]
    if not ids:
        raise InputError(f"{a.path} and {b.path} have no document in common scored against the same gold",
                         hint="compare two runs on the same gold files")  # fmt: skip
    ea, eb = [by_id_a[i] for i in ids], [by_id_b[i] for i in ids]
    difference = {}
    for category in (*CATEGORIES, None):
        sa, sb = _scores(ea, category), _scores(eb, category)
        difference[category or "micro"] = Delta(precision=round(sb.precision - sa.precision, 4),
                                                recall=round(sb.recall - sa.recall, 4), f1=round(sb.f1 - sa.f1, 4))  # fmt: skip
    documents = []
    for da, db in zip(ea, eb, strict=True):
        outcome: Literal["win", "tie", "loss"] = (
            "win" if db.micro.f1 > da.micro.f1 else "loss" if db.micro.f1 < da.micro.f1 else "tie"
        )
        changes = None
        if da.items is not None and db.items is not None:
            changes = {c: ch for c in CATEGORIES if c in da.items and c in db.items
                       and (ch := _change(da.items[c], db.items[c])) is not None}  # fmt: skip
        documents.append(DocumentComparison(id=da.id, a=da.micro, b=db.micro, outcome=outcome, error_a=da.error,
                                            error_b=db.error, changes=changes))  # fmt: skip
    interval = paired_bootstrap([(da.micro, db.micro) for da, db in zip(ea, eb, strict=True)])
    summary_a, summary_b = _summary(a), _summary(b)
    if ids != list(by_id_a) or ids != list(by_id_b):  # each side's own scores, on the documents compared
        summary_a = replace(summary_a, micro=_scores(ea, None), categories={c: _scores(ea, c) for c in CATEGORIES})
        summary_b = replace(summary_b, micro=_scores(eb, None), categories={c: _scores(eb, c) for c in CATEGORIES})
    return Comparison(
        a=summary_a,
        b=summary_b,
        documents_compared=len(ids),
        only_in_a=[i for i in by_id_a if i not in by_id_b],
        only_in_b=[i for i in by_id_b if i not in by_id_a],
        gold_changed=changed,
        difference=difference,
        bootstrap=interval,
        wins=sum(d.outcome == "win" for d in documents),
        ties=sum(d.outcome == "tie" for d in documents),
        losses=sum(d.outcome == "loss" for d in documents),
        worse=interval.difference < 0 and interval.high < 0,
        documents=documents,
    )


# --------------------------------------------------------------------------- rendering

_COLUMNS = ("tp", "fp", "fn", "P", "R", "F1")  # ``views.COLUMNS``, abbreviated for a two-run table


def rows(c: Comparison) -> list[list[str]]:
    """Per category and micro: A's six columns, B's six, then ΔP ΔR ΔF1."""
    out = []
    for name in (*CATEGORIES, "micro"):
        sa = c.a.micro if name == "micro" else c.a.categories[name]
        sb = c.b.micro if name == "micro" else c.b.categories[name]
        d = c.difference[name]
        out.append([name, *cells(sa), *cells(sb), f"{d.precision:+.3f}", f"{d.recall:+.3f}", f"{d.f1:+.3f}"])
    return out


HEADER = ["category", *(f"A {x}" for x in _COLUMNS), *(f"B {x}" for x in _COLUMNS), "ΔP", "ΔR", "ΔF1"]


def _spend(s: SideSummary) -> str:
    if s.tokens is None:
        return "no model calls reported"
    cost = f", ${s.cost_usd:.4f} at the shipped list prices" if s.cost_usd is not None else ", cost unknown"
    return f"{s.tokens.total_tokens:,} tokens ({s.tokens.cached_tokens:,} cached){cost}"


def _describe(s: SideSummary) -> str:
    run = s.run
    made = ", ".join(x for x in (run.model, run.mode, run.prompt_version) if x) if run else ""
    return f"{s.path} ({s.kind}{'; ' + made if made else ''})"


def facts(c: Comparison) -> list[str]:
    """The lines under the table: sides, interval, wins/ties/losses, spend, documents left out."""
    b = c.bootstrap
    out = [
        f"A: {_describe(c.a)}",
        f"B: {_describe(c.b)}",
        f"micro F1 difference B − A: {b.difference:+.3f}, 95% paired bootstrap interval [{b.low:+.3f}, {b.high:+.3f}] "
        f"over {c.documents_compared} documents ({b.samples} resamples, seed {b.seed})",
        f"documents: B better on {c.wins}, equal on {c.ties}, worse on {c.losses}",
        f"spend: A {_spend(c.a)}; B {_spend(c.b)}",
    ]
    if c.only_in_a or c.only_in_b:
        out.append(f"left out: {len(c.only_in_a)} document(s) only in A, {len(c.only_in_b)} only in B")
    if c.gold_changed:
        out.append(f"left out, gold changed between the runs: {', '.join(c.gold_changed)}")
    if c.worse:
        out.append("B is worse than A: its micro F1 is lower and the interval excludes 0")
    return out


def _change_lines(d: DocumentComparison) -> list[str]:
    lines = []
    for category, ch in (d.changes or {}).items():
        lines += [f"{category}: gained {x}" for x in ch.gained] + [f"{category}: lost {x}" for x in ch.lost]
        lines += [f"{category}: {x.item}: {x.field} {x.change}" for x in ch.fields]
        if ch.spurious_a != ch.spurious_b:
            lines.append(f"{category}: spurious {len(ch.spurious_a)} → {len(ch.spurious_b)}")
    return lines


def to_text(c: Comparison) -> str:
    table = [HEADER, *rows(c)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    out = ["  ".join(x.ljust(w) if i == 0 else x.rjust(w) for i, (x, w) in enumerate(zip(r, widths, strict=True)))
           for r in table]  # fmt: skip
    out += ["", *facts(c)]
    moved = [d for d in c.documents if d.outcome != "tie" or d.changes]
    if moved:
        out += ["", "documents that changed:"]
        for d in moved:
            out.append(f"  {d.id}: F1 {d.a.f1:.3f} → {d.b.f1:.3f} ({d.b.f1 - d.a.f1:+.3f})")
            out += [f"    {line}" for line in _change_lines(d)]
    return "\n".join(out) + "\n"


def to_markdown(c: Comparison) -> str:
    out = ["## Comparison (B against A)", "", "| " + " | ".join(HEADER) + " |", "|---|" + "---:|" * (len(HEADER) - 1)]
    out += ["| " + " | ".join(r) + " |" for r in rows(c)]
    out += ["", *[f"- {md_cell(line)}" for line in facts(c)], "", "### Documents", "",
            "| document | A F1 | B F1 | Δ | B | what changed |", "|---|---:|---:|---:|---|---|"]  # fmt: skip
    for d in c.documents:
        what = "<br>".join(md_cell(x) for x in _change_lines(d))
        out.append(f"| {d.id} | {d.a.f1:.3f} | {d.b.f1:.3f} | {d.b.f1 - d.a.f1:+.3f} | {d.outcome} | {what} |")
    return "\n".join(out) + "\n"
