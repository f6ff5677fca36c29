"""Views: an ``EvalReport`` rendered for people: a terminal table, Markdown (the CI job summary), or a
self-contained HTML page with each document's items and highlighted evidence.

A *view* is text made from a report (plus, for HTML, the documents' alignments and gold); views
never compute a score. The lines comparing with a baseline come from ``gate`` and are shown as given.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from summarizer.evaluation.gold import Gold
from summarizer.evaluation.report import EvalReport, Scores
from summarizer.evaluation.scoring import DocumentScore
from summarizer.grounding import locate
from summarizer.schema import CATEGORIES, CATEGORY

_COLUMNS = ("tp", "fp", "fn", "precision", "recall", "f1")


def _cells(m: Scores) -> list[str]:
    return [str(m.tp), str(m.fp), str(m.fn), f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}"]


def _rows(report: EvalReport) -> list[list[str]]:
    return [[name, *_cells(report.micro if name == "micro" else report.categories[name])]
            for name in (*CATEGORIES, "micro")]  # fmt: skip


def _footer(report: EvalReport) -> list[str]:
    b, g, t = report.bootstrap_micro_f1, report.grounding, report.tokens
    prov = ", ".join(f"{k}: {v}" for k, v in sorted(report.provenance.items())) or "none"
    attrs = ", ".join(f"{k} {v.correct}/{v.pairs}" for k, v in report.attributes.items())
    return [
        f"micro F1 95% bootstrap interval over documents: [{b.low:.3f}, {b.high:.3f}]",
        f"attributes on matched pairs: {attrs}",
        f"grounding: {g.quotes} quotes, exact {g.exact}, normalized {g.normalized}, "
        f"fuzzy {g.fuzzy}, not found {g.not_found}",
        f"schema-valid: {report.schema_valid_rate:.0%} of {len(report.documents)} documents; "
        f"attempts: {report.attempts}; tokens: {t.total_tokens} ({t.cached_tokens} cached prompt tokens)"
        + (f"; cost ${report.cost_usd:.4f} at the shipped list prices" if report.cost_usd is not None else ""),
        f"responses used, by provenance: {prov}",
    ]


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
           "| category | pairs | mean similarity | mean evidence overlap | fields that differ |",
           "|---|---:|---:|---:|---|", *["| " + " | ".join(r) + " |" for r in rows]]  # fmt: skip
    diffs = [(d.id, c, p) for d in report.documents for c, o in (d.items or {}).items() for p in o.matched
             if p.differences]  # fmt: skip
    if diffs:
        out += ["", "| document | item | field | predicted | gold |", "|---|---|---|---|---|"]
        for doc_id, c, pair in diffs:
            for name, diff in pair.differences.items():
                cell = _md(pair.predicted.label)
                out.append(f"| {doc_id} | {c}[{pair.predicted.index}] {cell} | {name} | "
                           f"{_md(_shown(diff.predicted))} | {_md(_shown(diff.gold))} |")  # fmt: skip
    return out


def _md(text: str) -> str:
    """Text safe in a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def to_text(report: EvalReport, comparison: Sequence[str] | None = None) -> str:
    """The terminal table and footer; with ``comparison`` (from ``gate``), the lines against the baseline."""
    header = ["category", *_COLUMNS]
    rows = _rows(report)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in [header, *rows]]  # fmt: skip
    errors = [f"{d.id}: {d.error}" for d in report.documents if d.error]
    out = [*lines, "", *_footer(report), *(["", "errors:", *errors] if errors else [])]
    if comparison is not None:
        out += ["", "against the baseline:" if comparison else "against the baseline: no change"]
        out += [f"  {line}" for line in comparison]
    return "\n".join(out) + "\n"


def to_markdown(report: EvalReport, comparison: Sequence[str] | None = None) -> str:
    out = [f"## Eval report ({report.source})", "", "| category | " + " | ".join(_COLUMNS) + " |",
           "|---|" + "---:|" * len(_COLUMNS)]  # fmt: skip
    out += ["| " + " | ".join(r) + " |" for r in _rows(report)]
    out += ["", *[f"- {line}" for line in _footer(report)], "", "### Documents", "",
            "| document | F1 | tp | fp | fn | error |", "|---|---:|---:|---:|---:|---|"]  # fmt: skip
    for d in report.documents:
        m = d.micro
        out.append(f"| {d.id} | {m.f1:.3f} | {m.tp} | {m.fp} | {m.fn} | {_md(d.error or '')} |")
    out += _field_markdown(report)
    if comparison:
        out += ["", "### Against the baseline", "", *[f"- {line}" for line in comparison]]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- HTML

_CSS = """body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:right}
td:first-child,th:first-child{text-align:left}.article{white-space:pre-wrap;background:#fafafa;
padding:1rem;border:1px solid #ddd}mark{background:none;color:inherit}.ev-pred{background:#cfe8ff}.ev-gold{border-bottom:2px solid #e69500}
.ev-pred.ev-gold{background:#c8f2c8}.matched{color:#17652b}.missed{color:#a32}.spurious{color:#8a4d00}
li{margin:.3rem 0}.legend span{padding:0 .4rem;margin-right:.5rem}"""


def _highlight(text: str, pred: list[tuple[int, int]], gold: list[tuple[int, int]]) -> str:
    flags = [0] * (len(text) + 1)
    for bit, spans in ((1, pred), (2, gold)):
        for s, e in spans:
            for i in range(max(s, 0), min(e, len(text))):
                flags[i] |= bit
    out, start = [], 0
    for i in range(1, len(text) + 1):
        if i == len(text) or flags[i] != flags[start]:
            chunk = html.escape(text[start:i])
            f = flags[start]
            if f:
                cls = " ".join(c for b, c in ((1, "ev-pred"), (2, "ev-gold")) if f & b)
                chunk = f'<mark class="{cls}">{chunk}</mark>'
            out.append(chunk)
            start = i
    return "".join(out)


def _item_text(item: Any, category: str) -> str:
    kind = CATEGORY[category]
    actor = getattr(item, kind.parties[0]) if kind.parties else None
    return f"{actor + ': ' if actor else ''}{getattr(item, kind.gist)}"


def to_html(report: EvalReport, docs: list[DocumentScore], golds: list[Gold]) -> str:
    parts = ["<!doctype html><html lang=en><head><meta charset=utf-8><title>summarizer eval report</title>",
             f"<style>{_CSS}</style></head><body><h1>Eval report ({html.escape(report.source)})</h1>",
             "<table><tr><th>category</th>" + "".join(f"<th>{c}</th>" for c in _COLUMNS) + "</tr>"]  # fmt: skip
    parts += ["<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in _rows(report)]
    parts.append("</table><ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in _footer(report)) + "</ul>")
    parts.append('<p class=legend><span class="ev-pred">predicted evidence</span>'
                 '<span class="ev-gold">gold evidence</span><span class="ev-pred ev-gold">both</span></p>')  # fmt: skip
    for doc, entry, gold in zip(docs, report.documents, golds, strict=True):
        pred_spans = [(e.start, e.end) for c in CATEGORIES for it in (getattr(doc.summary, c) if doc.summary else [])
                      for e in it.evidence]  # fmt: skip
        gold_spans = [(s.start, s.end) for c in CATEGORIES for it in getattr(gold.draft, c) for q in it.evidence
                      if (s := locate(q, gold.article_text))]  # fmt: skip
        parts.append(f'<section class=document id="doc-{html.escape(doc.id)}"><h2>{html.escape(doc.id)} '
                     f"— F1 {entry.micro.f1:.3f}</h2>")  # fmt: skip
        if doc.error:
            parts.append(f"<p class=missed>error: {html.escape(doc.error)}</p>")
        parts.append("<ul class=items>")
        for c in CATEGORIES:
            al = doc.alignments[c]
            preds = getattr(doc.summary, c) if doc.summary else []
            gitems = getattr(gold.draft, c)
            for i, j, sim in al.pairs:
                parts.append(f'<li class="item matched">{c} · matched ({sim:.2f}): '
                             f"{html.escape(_item_text(preds[i], c))} ⇔ {html.escape(_item_text(gitems[j], c))}</li>")  # fmt: skip
            for j in al.missed:
                opt = " (optional)" if gold.optional[c][j] else ""
                parts.append(f'<li class="item missed">{c} · missed{opt}: {html.escape(_item_text(gitems[j], c))}</li>')
            for i in al.spurious:
                parts.append(f'<li class="item spurious">{c} · spurious: {html.escape(_item_text(preds[i], c))}</li>')
        parts.append("</ul>")
        parts.append(f"<div class=article>{_highlight(gold.article_text, pred_spans, gold_spans)}</div></section>")
    parts.append("</body></html>\n")
    return "".join(parts)
