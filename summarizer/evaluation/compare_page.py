"""The HTML page of a comparison (``compare --html``): both runs side by side, document by document.

Self-contained and script-free (the CSP forbids every resource and script): a header naming both
runs (path, kind, model, mode, prompt version, when made, provenance, spend), the score table, the
paired interval and wins/ties/losses, a table of contents of the documents (each row links to its
section), and per document two columns, A and B, listing per category the gold items each matched
(with the fields that disagree), missed and the spurious items each predicted. Items that changed
between the runs are marked in words as well as colour: "gained" (B matched it, A did not), "lost",
and "fixed"/"broken" fields. Everything shown comes from the reports' per-document outcomes, so
saved reports compare as well as runs scored here. Narrow screens stack the columns.
"""

from __future__ import annotations

from summarizer.evaluation.compare import HEADER, Comparison, DocumentComparison, Side, SideSummary, facts, rows
from summarizer.evaluation.report import DocumentEntry, Outcome, Pair
from summarizer.html_brief import CSP, esc
from summarizer.schema import CATEGORIES

_CSS = """body{font:15px/1.5 system-ui,sans-serif;margin:1rem auto;max-width:80rem;padding:0 .8rem;color:#222;overflow-wrap:anywhere}
td,th{overflow-wrap:normal}
.scroll{overflow-x:auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .45rem;text-align:right}
td:first-child,th:first-child{text-align:left}.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}
.col{min-width:0;overflow-wrap:anywhere}h2{border-top:2px solid #444;padding-top:.6rem}
.gained{background:#dff5df}.lost{background:#fbe0dc}.tag{font-size:.8em;font-weight:600;margin-right:.3rem}
.matched::before{content:"✓ "}.missed::before{content:"✗ "}.spurious::before{content:"+ "}
.muted{color:#666}ul{padding-left:1.1rem}dl{display:grid;grid-template-columns:max-content 1fr;gap:0 .8rem}dd{margin:0}@media (max-width:700px){.cols{grid-template-columns:1fr}}"""


def _run(label: str, s: SideSummary, side: Side) -> str:
    run = s.run
    made = [("model", run.model if run else None), ("mode", run.mode if run else None),
            ("prompt version", run.prompt_version if run else None), ("made", run.created_at if run else None)]  # fmt: skip
    prov = ", ".join(f"{k}: {v}" for k, v in sorted(s.provenance.items())) or "none"
    cells = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in made if v)
    tokens = f"{s.tokens.total_tokens:,} tokens" if s.tokens else "no model calls reported"
    cost = f", ${s.cost_usd:.4f}" if s.cost_usd is not None else ""
    return (f"<section class=col><h3>{label}: {esc(s.path)}</h3><dl><dt>kind</dt><dd>{esc(s.kind)} "
            f"({esc(s.source)})</dd>{cells}<dt>responses by provenance</dt><dd>{esc(prov)}</dd>"
            f"<dt>spend</dt><dd>{esc(tokens + cost)}</dd></dl></section>")  # fmt: skip


def _value(value: object) -> str:
    if value is None or value == []:
        return "(none)"
    return esc(", ".join(value) if isinstance(value, list) else value)


def _pair(p: Pair, changed: str) -> str:
    diffs = "; ".join(f"{k}: {_value(v.predicted)} (gold {_value(v.gold)})" for k, v in p.differences.items())
    tag = f'<span class=tag>{changed}</span>' if changed else ""
    opt = " <span class=muted>(optional — not penalised)</span>" if p.gold.optional else ""
    return (f'<li class="matched {changed}">{tag}{esc(p.gold.label)}{opt} <span class=muted>similarity '
            f"{p.similarity:.2f}, evidence {p.evidence_overlap:.2f}</span>"
            + (f"<br><span class=muted>differs — {diffs}</span>" if diffs else "") + "</li>")  # fmt: skip


def _column(entry: DocumentEntry, other: DocumentEntry, side: str) -> str:
    if entry.items is None:
        return "<p class=muted>no item detail in this report</p>"
    out = []
    for category in CATEGORIES:
        mine: Outcome | None = entry.items.get(category)
        theirs = (other.items or {}).get(category)
        if mine is None:
            continue
        other_matched = {p.gold.index for p in theirs.matched} if theirs else set()
        items = []
        for p in mine.matched:
            changed = "" if p.gold.index in other_matched or p.gold.optional else ("gained" if side == "B" else "")
            items.append(_pair(p, changed))
        for r in mine.missed:
            lost = side == "B" and r.index in other_matched and not r.optional
            opt = " <span class=muted>(optional — not penalised)</span>" if r.optional else ""
            items.append(f'<li class="missed{" lost" if lost else ""}">'
                         f'{"<span class=tag>lost</span>" if lost else ""}{esc(r.label)}{opt}</li>')  # fmt: skip
        items += [f'<li class=spurious>{esc(r.label)} <span class=muted>(not in gold)</span></li>' for r in mine.spurious]
        if items:
            out.append(f"<h4>{esc(category)}</h4><ul>{''.join(items)}</ul>")
    return "".join(out) or "<p class=muted>no items</p>"


def _document(d: DocumentComparison, a: DocumentEntry, b: DocumentEntry) -> str:
    errors = "".join(f"<p class=lost>{side}: {esc(e)}</p>" for side, e in (("A", d.error_a), ("B", d.error_b)) if e)
    return (f'<section id="doc-{esc(d.id)}"><h2>{esc(d.id)}: F1 {d.a.f1:.3f} → {d.b.f1:.3f} '
            f"({d.b.f1 - d.a.f1:+.3f}, B {d.outcome})</h2>{errors}<p class=muted>✓ matched gold item · ✗ missed "
            "gold item · + predicted, not in gold. <b>gained</b>: B matched it and A did not; <b>lost</b>: the "
            "reverse.</p><div class=cols>"
            f"<div class=col><h3>A</h3>{_column(a, b, 'A')}</div><div class=col><h3>B</h3>{_column(b, a, 'B')}</div>"
            '</div><p><a href="#top">back to the top</a></p></section>')  # fmt: skip


def to_html(c: Comparison, a: Side, b: Side) -> str:
    """The whole page (``a`` and ``b`` as loaded; only their reports' per-document entries are used)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in HEADER)
    body = "".join("<tr>" + "".join(f"<td>{esc(x)}</td>" for x in r) + "</tr>" for r in rows(c))
    entries_a = {e.id: e for e in a.report.documents}
    entries_b = {e.id: e for e in b.report.documents}
    toc = "".join(
        f'<tr><td><a href="#doc-{esc(d.id)}">{esc(d.id)}</a></td><td>{d.a.f1:.3f}</td><td>{d.b.f1:.3f}</td>'
        f"<td>{d.b.f1 - d.a.f1:+.3f}</td><td>{esc(d.outcome)}</td></tr>"
        for d in c.documents
    )
    docs = "".join(_document(d, entries_a[d.id], entries_b[d.id]) for d in c.documents)
    return (
        f'<!doctype html><html lang=en><head><meta charset=utf-8><meta http-equiv="Content-Security-Policy" '
        f'content="{CSP}"><meta name=viewport content="width=device-width,initial-scale=1">'
        f'<title>summarizer comparison</title><style>{_CSS}</style></head><body><h1 id="top">Comparison: B against A</h1>'
        f"<div class=cols>{_run('A', c.a, a)}{_run('B', c.b, b)}</div>"
        f'<div class=scroll><table><tr>{head}</tr>{body}</table></div><ul>{"".join(f"<li>{esc(x)}</li>" for x in facts(c))}</ul>'
        f'<h2>Documents</h2><div class=scroll><table><tr><th>document</th><th>A F1</th><th>B F1</th><th>Δ</th><th>B</th></tr>'
        f"{toc}</table></div>{docs}</body></html>\n"
    )
