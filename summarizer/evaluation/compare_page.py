"""The HTML page of a comparison (``compare --html``): both runs side by side, document by document.

The same page as ``eval --html`` (``html_report``: self-contained, no script, strict CSP, positional
ids, readable at 420 px), for two runs: a header naming both (path, kind, model, mode, prompt version,
when made, provenance, spend), the score table of both with the differences, the paired interval and
wins/ties/losses, a table of contents (each document's F1 on both sides, linking to its section), how
items are matched, and per document what changed (gold items gained or lost, fields fixed or broken,
spurious counts) above two columns, A and B, each with its matched pairs, missed and spurious items,
beside the article where both runs' evidence is highlighted (labels ``A:P3``, ``B:G2`` link back).
A side loaded from a saved report has no evidence spans: its column lists its items by outcome only.
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.categories import CATEGORIES, CATEGORY
from summarizer.evaluation.compare import HEADER, Comparison, DocumentComparison, Side, SideSummary, facts, rows
from summarizer.evaluation.html_report import (
    OPTIONAL,
    article_html,
    document_section,
    evidence_spans,
    header,
    page,
    run_items,
    run_view,
    scoring_html,
    table,
)
from summarizer.evaluation.report import DocumentEntry
from summarizer.evaluation.scoring import DocumentScore
from summarizer.html_brief import esc

_STYLE = """
.changes { border-left: 4px solid #555; padding: .1rem .6rem; } .changes li { margin: .15rem 0; }
.gained::before { content: "gained: "; font-weight: 600; color: #17652b; }
.lost::before { content: "lost: "; font-weight: 600; color: #a1001b; }
.fixed::before { content: "fixed: "; font-weight: 600; color: #17652b; }
.broken::before { content: "broken: "; font-weight: 600; color: #a1001b; }
.outcome-win { color: #17652b; } .outcome-loss { color: #a1001b; }
@media (min-width: 900px) { .runs { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); } }
@media (min-width: 1000px) { .doc-body { grid-template-columns: minmax(0, 1fr); }
  .source { position: static; max-height: none; } }
"""


def _side_facts(label: str, s: SideSummary) -> list[tuple[str, str]]:
    run = s.run
    spend = "no model calls reported" if s.tokens is None else (
        f"{s.tokens.total_tokens:,} tokens ({s.tokens.cached_tokens:,} cached)"
        + (f", ${s.cost_usd:.4f} at the shipped list prices" if s.cost_usd is not None else ", cost unknown"))
    made = [(f"{label} model", run.model if run else None), (f"{label} mode", run.mode if run else None),
            (f"{label} prompt version", run.prompt_version if run else None),
            (f"{label} made", run.created_at if run else None)]  # fmt: skip
    prov = ", ".join(f"{k}: {v}" for k, v in sorted(s.provenance.items())) or "none recorded"
    return [(label, f"{s.path} ({s.kind}, {s.source})"), *[(k, v) for k, v in made if v],
            (f"{label} provenance", prov), (f"{label} spend", spend)]  # fmt: skip


def _scores(c: Comparison) -> str:
    body = [f'<tr class="{esc(r[0])}">' + "".join(f"<td>{esc(x)}</td>" for x in r) + "</tr>" for r in rows(c)]
    lines = "".join(f"<li>{esc(x)}</li>" for x in facts(c)[2:])
    return f'<section id="scores"><h2>Scores, B against A</h2>{table(HEADER, body)}<ul class="facts">{lines}</ul></section>'


def _contents(c: Comparison, keys: Sequence[str]) -> str:
    body = [f'<tr><td><a href="#{key}">{esc(d.id)}</a></td><td>{d.a.f1:.3f}</td><td>{d.b.f1:.3f}</td>'
            f'<td>{d.b.f1 - d.a.f1:+.3f}</td><td class="outcome-{d.outcome}">{esc(d.outcome)}</td></tr>'
            for key, d in zip(keys, c.documents, strict=True)]  # fmt: skip
    return ('<nav id="contents"><h2>Contents</h2><p class="note">Each document compared, its micro F1 on both '
            "sides and whether B won, tied or lost it; the id links to its section.</p>"
            + table(("document", "A F1", "B F1", "Δ F1", "B"), body) + "</nav>")  # fmt: skip


def _changes(d: DocumentComparison) -> str:
    out = []
    for category, ch in (d.changes or {}).items():
        name = esc(CATEGORY[category].heading)
        out += [f'<li class="gained">{name}: {esc(x)}</li>' for x in ch.gained]
        out += [f'<li class="lost">{name}: {esc(x)}</li>' for x in ch.lost]
        out += [f'<li class="{x.change}">{name}: {esc(x.field)} of {esc(x.item)}</li>' for x in ch.fields]
        if ch.spurious_a != ch.spurious_b:
            out.append(f"<li>{name}: spurious items {len(ch.spurious_a)} → {len(ch.spurious_b)}</li>")
    if not out:
        return '<p class="note">Nothing changed between the runs in this document.</p>'
    return '<ul class="changes">' + "".join(out) + "</ul>"


def _outcomes(label: str, entry: DocumentEntry) -> str:
    """A saved report's column: its items by outcome (a report keeps no evidence spans)."""
    out = [f'<div class="run"><h3>{esc(label)}</h3>']
    if entry.items is None:
        return out[0] + '<p class="note">This report has no item detail.</p></div>'
    for c in CATEGORIES:
        o = entry.items.get(c)
        if o is None:
            continue
        out.append(f'<section class="category"><h4>{esc(CATEGORY[c].heading)}</h4><ul class="items">')
        for p in o.matched:
            diff = "; ".join(f"{k} differs" for k in p.differences)
            out.append(f'<li>matched: {esc(p.gold.label)} <span class="note">(similarity {p.similarity:.2f}'
                       f"{'; ' + esc(diff) if diff else ''})</span></li>")  # fmt: skip
        out += [f"<li>missed: {esc(r.label)}{' — ' + OPTIONAL if r.optional else ''}</li>" for r in o.missed]
        out += [f"<li>spurious: {esc(r.label)}</li>" for r in o.spurious]
        out.append("</ul></section>")
    return "".join(out) + "</div>"


def _document(key: str, d: DocumentComparison, a: Side, b: Side, da: DocumentScore | None,
              db: DocumentScore | None) -> str:  # fmt: skip
    intro = (f'<p class="scoreline">Micro F1: A {d.a.f1:.3f} → B {d.b.f1:.3f} ({d.b.f1 - d.a.f1:+.3f}; '
             f'B <span class="outcome-{d.outcome}">{esc(d.outcome)}</span>)</p>')  # fmt: skip
    intro += "".join(f'<p class="error">{side}: no prediction: {esc(e)}</p>'
                     for side, e in (("A", d.error_a), ("B", d.error_b)) if e)  # fmt: skip
    intro += _changes(d)
    golds = {g.id: g for g in (a.golds or []) + (b.golds or [])}
    gold = golds.get(d.id)
    views = []
    for label, doc, run in (("A", da, "a"), ("B", db, "b")):
        views.append(run_view(doc, gold, key=key, run=run, tag=f"{label}:") if doc is not None and gold else None)
    if gold is None:
        entries = [next(e for e in s.report.documents if e.id == d.id) for s in (a, b)]
        columns = [_outcomes(f"A: {a.path}", entries[0]), _outcomes(f"B: {b.path}", entries[1])]
        return document_section(key, d.id, columns, '<p class="note">Neither side was scored here: a saved report '
                                "keeps no evidence spans to show in the article.</p>", intro=intro)  # fmt: skip
    shown = [x for v in views if v is not None for x in v.items()]
    spans = evidence_spans(gold.article_text, shown, key=key)
    columns = []
    for label, side, view in (("A", a, views[0]), ("B", b, views[1])):
        if view is not None:
            columns.append(run_items(view, spans, gold.article_text, heading=f"{label}: {side.path}"))
        else:
            entry = next(e for e in side.report.documents if e.id == d.id)
            columns.append(_outcomes(f"{label}: {side.path}", entry))
    return document_section(key, d.id, columns, article_html(gold.article_text, spans), intro=intro)


def to_html(c: Comparison, a: Side, b: Side) -> str:
    """The whole page for ``c``, made from sides ``a`` and ``b`` as loaded."""
    keys = [f"d{n}" for n in range(1, len(c.documents) + 1)]
    docs_a = {d.id: d for d in a.docs or []}
    docs_b = {d.id: d for d in b.docs or []}
    sections = [_document(key, d, a, b, docs_a.get(d.id), docs_b.get(d.id)) for key, d in zip(keys, c.documents, strict=True)]
    head = header("Comparison: B against A", [*_side_facts("A", c.a), *_side_facts("B", c.b),
                                              ("Documents compared", str(c.documents_compared))])  # fmt: skip
    return page("summarizer comparison", [head, _scores(c), _contents(c, keys), scoring_html(),
                                          '<div id="documents">', *sections, "</div>"], style=_STYLE)  # fmt: skip
