"""Views: an ``EvalReport`` rendered for people as a terminal table or Markdown (the CI job summary);
the HTML page, with each document's items and highlighted evidence, is ``html_report``.

A *view* is text made from a report; views never compute a score. The lines comparing with a
baseline come from ``gate`` and are shown as given.
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.categories import CATEGORIES
from summarizer.evaluation.report import EvalReport, Scores

COLUMNS = ("tp", "fp", "fn", "precision", "recall", "f1")


def cells(m: Scores) -> list[str]:
    """The ``COLUMNS`` of ``m`` as text (scores to three places)."""
    return [str(m.tp), str(m.fp), str(m.fn), f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}"]


def score_rows(report: EvalReport) -> list[list[str]]:
    """One row per category, then ``micro``: the name and the ``COLUMNS`` as text."""
    return [[name, *cells(report.micro if name == "micro" else report.categories[name])]
            for name in (*CATEGORIES, "micro")]  # fmt: skip


def facts(report: EvalReport) -> dict[str, str]:
    """The report's facts beside the table, by name: ``bootstrap``, ``attributes``, ``grounding``, ``runs``
    (schema validity, attempts, tokens) and ``provenance``."""
    b, g, t = report.bootstrap_micro_f1, report.grounding, report.tokens
    prov = ", ".join(f"{k}: {v}" for k, v in sorted(report.provenance.items())) or "none"
    attrs = ", ".join(f"{k} {v.correct}/{v.pairs}" for k, v in report.attributes.items())
    return {
        "bootstrap": f"micro F1 95% bootstrap interval over documents: [{b.low:.3f}, {b.high:.3f}]",
        "attributes": f"attributes on matched pairs: {attrs}",
        "grounding": f"grounding: {g.quotes} quotes, exact {g.exact}, normalized {g.normalized}, "
        f"fuzzy {g.fuzzy}, not found {g.not_found}",
        "runs": f"schema-valid: {report.schema_valid_rate:.0%} of {len(report.documents)} documents; "
        f"attempts: {report.attempts}; tokens: {t.total_tokens} ({t.cached_tokens} cached prompt tokens)"
        + (f"; cost ${report.cost_usd:.4f} at the shipped list prices" if report.cost_usd is not None else ""),
        "provenance": f"responses used, by provenance: {prov}",
    }


def footer(report: EvalReport) -> list[str]:
    """The lines under the table: bootstrap interval, attributes, grounding, validity and cost, provenance."""
    return list(facts(report).values())


def field_rows(report: EvalReport) -> list[list[str]]:
    """Per category: matched pairs, mean similarity, mean evidence overlap, and each compared field as
    "disagreeing/pairs" (e.g. ``stance 4/60``)."""
    if report.fields is None:
        return []
    return [[c, str(f.pairs), f"{f.mean_similarity:.3f}", f"{f.mean_evidence_overlap:.3f}",
             ", ".join(f"{k} {n}/{f.pairs}" for k, n in f.differ.items())]
            for c, f in report.fields.items()]  # fmt: skip


def _shown(value: object) -> str:
    if value is None or value == []:
        return "(none)"
    return ", ".join(value) if isinstance(value, list) else str(value)


def _field_markdown(report: EvalReport) -> list[str]:
    rows = field_rows(report)
    if not rows:
        return []
    out = ["", "### Matched pairs, field by field", "",
           "| category | pairs | mean similarity | mean evidence agreement | fields that differ |",
           "|---|---:|---:|---:|---|", *["| " + " | ".join(r) + " |" for r in rows]]  # fmt: skip
    diffs = [(d.id, c, p) for d in report.documents for c, o in (d.items or {}).items() for p in o.matched
             if p.differences]  # fmt: skip
    if diffs:
        out += ["", "| document | item | field | predicted | gold |", "|---|---|---|---|---|"]
        for doc_id, c, pair in diffs:
            for name, diff in pair.differences.items():
                cell = md_cell(pair.predicted.label)
                out.append(f"| {doc_id} | {c}[{pair.predicted.index}] {cell} | {name} | "
                           f"{md_cell(_shown(diff.predicted))} | {md_cell(_shown(diff.gold))} |")  # fmt: skip
    return out


def md_cell(text: str) -> str:
    """Text safe in a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def to_text(report: EvalReport, comparison: Sequence[str] | None = None) -> str:
    """The terminal table and footer; with ``comparison`` (from ``gate``), the lines against the baseline."""
    header = ["category", *COLUMNS]
    rows = score_rows(report)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in [header, *rows]]  # fmt: skip
    errors = [f"{d.id}: {d.error}" for d in report.documents if d.error]
    out = [*lines, "", *footer(report), *(["", "errors:", *errors] if errors else [])]
    if comparison is not None:
        out += ["", "against the baseline:" if comparison else "against the baseline: no change"]
        out += [f"  {line}" for line in comparison]
    return "\n".join(out) + "\n"


def to_markdown(report: EvalReport, comparison: Sequence[str] | None = None) -> str:
    out = [f"## Eval report ({report.source})", "", "| category | " + " | ".join(COLUMNS) + " |",
           "|---|" + "---:|" * len(COLUMNS)]  # fmt: skip
    out += ["| " + " | ".join(r) + " |" for r in score_rows(report)]
    out += ["", *[f"- {line}" for line in footer(report)], "", "### Documents", "",
            "| document | F1 | tp | fp | fn | error |", "|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for d in report.documents:
        m = d.micro
        out.append(f"| {d.id} | {m.f1:.3f} | {m.tp} | {m.fp} | {m.fn} | {md_cell(d.error or '')} |")
    out += _field_markdown(report)
    if comparison:
        out += ["", "### Against the baseline", "", *[f"- {line}" for line in comparison]]
    return "\n".join(out) + "\n"
