"""The eval report as one self-contained HTML page people can navigate (``eval --html``).

The page: a header (run date, source, model, mode, prompt version, provenance counts), the scores (per
category and micro, the bootstrap interval, attribute accuracy), how similarity is computed, a table of
contents (one row per document, linking to its section), and a section per document: its items by
category (matched pairs with their predicted and gold side, the similarity and its two halves, the
attributes that differ; missed gold items; spurious predictions; optional gold items marked as not
penalised) beside the article, where predicted evidence is shaded and gold evidence underlined. Every
item links to its spans in the article, and after every span small labels (``P3``, ``G2``) link back
to the items citing it.

The page loads nothing and runs nothing (``html_brief.CSP``); everything from an article, a gold file
or a model is escaped. Ids are positional, so no document id can break them: the ``n``-th document
(from 1) is ``d{n}``, its spans ``d{n}-s-{k}``, the items of run ``r`` ``d{n}-r-p{i}`` (predicted) and
``d{n}-r-g{j}`` (gold), numbered per document in category order.

Two runs side by side (``compare``): ``run_view`` reads one run's items of a document under its own run
key and tag, ``evidence_spans`` places the evidence of several run views in one article, ``run_items``
renders one run's column, and ``document_section`` puts the columns beside the article; ``page``,
``header``, ``scores_html``, ``contents_html`` and ``scoring_html`` make the rest of a page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from summarizer.categories import CATEGORIES, CATEGORY
from summarizer.evaluation import views
from summarizer.evaluation.gold import Gold
from summarizer.evaluation.matching import NEGATION_PENALTY, THRESHOLD, evidence_overlap, text_similarity
from summarizer.evaluation.report import EvalReport, Scores
from summarizer.evaluation.scoring import DocumentScore, match_text
from summarizer.grounding import locate
from summarizer.html_brief import CSP, STYLE, Span, arrange, esc, headline, mark_article, span_link

Side = Literal["pred", "gold"]
Range = tuple[int, int]
_SIDE = {"pred": "Predicted", "gold": "Gold"}
_SOURCE = {"replay": "recorded responses run through the pipeline", "predictions": "saved predictions scored",
           "live": "the model called"}  # fmt: skip
OPTIONAL = "optional — not penalised"


@dataclass(frozen=True)
class Shown:
    """One item as the page shows it: element id, short label (``P3``, ``G2``), side, evidence ranges."""

    id: str
    label: str
    side: Side
    category: str
    obj: Any  # the predicted item (``schema.Position``…) or the gold one (``schema.DraftPosition``…)
    ranges: tuple[Range, ...]  # the evidence located in the article
    unlocated: tuple[str, ...] = ()  # gold quotes not found in the article
    optional: bool = False


@dataclass
class RunView:
    """One run's items of one document, per category: matched pairs, missed gold, spurious predictions."""

    key: str  # the document's id on the page
    run: str  # the run's key in item ids
    doc: DocumentScore
    pairs: dict[str, list[tuple[Shown, Shown, float]]] = field(default_factory=dict)
    missed: dict[str, list[Shown]] = field(default_factory=dict)
    spurious: dict[str, list[Shown]] = field(default_factory=dict)

    def items(self) -> list[Shown]:
        return [x for c in CATEGORIES for x in (*(s for p, g, _ in self.pairs[c] for s in (p, g)),
                                                *self.missed[c], *self.spurious[c])]  # fmt: skip


def _located(evidence: Sequence[Any], text: str) -> tuple[tuple[Range, ...], tuple[str, ...]]:
    """Evidence ranges and quotes not found: a summary's evidence is located already, a labelling's
    (gold or a second labelling) is quotes, located here."""
    if not evidence or not isinstance(evidence[0], str):
        return tuple((e.start, e.end) for e in evidence), ()
    found = [(q, locate(q, text)) for q in evidence]
    return tuple((s.start, s.end) for _, s in found if s), tuple(q for q, s in found if s is None)


def run_view(doc: DocumentScore, gold: Gold, *, key: str, run: str = "r", tag: str = "") -> RunView:
    """``doc`` (one run's score of ``gold``'s document) as items to show: their ids start ``{key}-{run}-``,
    their labels with ``tag`` (e.g. ``"A:"`` when two runs share a page)."""
    view = RunView(key, run, doc)
    n_pred = n_gold = 0
    for c in CATEGORIES:
        preds: list[Shown] = []
        optional_preds = doc.predicted_optional.get(c) or [False] * len(doc.predicted.get(c, []))
        for obj, optional in zip(doc.predicted.get(c, []), optional_preds, strict=True):
            n_pred += 1
            ranges, unlocated = _located(obj.evidence, gold.article_text)
            preds.append(Shown(f"{key}-{run}-p{n_pred}", f"{tag}P{n_pred}", "pred", c, obj, ranges, unlocated, optional))
        golds: list[Shown] = []
        for obj, optional in zip(getattr(gold.draft, c), gold.optional[c], strict=True):
            n_gold += 1
            ranges, unlocated = _located(obj.evidence, gold.article_text)
            golds.append(Shown(f"{key}-{run}-g{n_gold}", f"{tag}G{n_gold}", "gold", c, obj, ranges, unlocated, optional))
        alignment = doc.alignments[c]
        view.pairs[c] = [(preds[i], golds[j], sim) for i, j, sim in alignment.pairs]
        view.missed[c] = [golds[j] for j in alignment.missed]
        view.spurious[c] = [preds[i] for i in alignment.spurious]
    return view


def _clamp(r: Range, length: int) -> Range:
    start = max(0, min(r[0], length))
    return start, max(start, min(r[1], length))


def evidence_spans(text: str, items: Iterable[Shown], *, key: str) -> dict[Range, Span]:
    """The distinct evidence ranges of ``items`` in ``text`` as arranged spans (``html_brief.arrange``),
    each citing its items: class ``ev-pred`` when a prediction cites it, ``ev-gold`` when gold does."""
    spans: dict[Range, Span] = {}
    for item in items:
        for r in dict.fromkeys(_clamp(r, len(text)) for r in item.ranges):
            span = spans.setdefault(r, Span(0, *r, prefix=f"{key}-s"))
            span.items.append((item.id, item.label))
            if f"ev-{item.side}" not in span.classes:
                span.classes = " ".join(sorted([*span.classes.split(), f"ev-{item.side}"], reverse=True))
    arrange(list(spans.values()))
    return spans


def _item(item: Shown, spans: dict[Range, Span], text: str) -> str:
    links = [span_link(s, text, s.anchor) for s in (spans[_clamp(r, len(text))] for r in dict.fromkeys(item.ranges))]
    links += [f"<q>{esc(q)}</q> (not found in the article)" for q in item.unlocated]
    optional = f'<span class="badge optional" title="neither rewarded nor penalised">{OPTIONAL}</span> '
    conditions = getattr(item.obj, "conditions", None)
    return (f'<div class="item {item.side}" id="{item.id}" tabindex="-1"><span class="tag">{_SIDE[item.side]} '
            f"{esc(item.label)}</span> {optional if item.optional else ''}{headline(item.category, item.obj)}"
            + (f'<br><span class="note">Conditions: {esc("; ".join(conditions))}</span>' if conditions else "")
            + f'<br><span class="note">Evidence: {"; ".join(links) or "none"}</span></div>')  # fmt: skip


def _explain(category: str, pred: Shown, gold: Shown, similarity: float) -> str:
    """The pair's similarity with its two halves, and its attributes, those that differ marked."""
    text = text_similarity(match_text(category, pred.obj), match_text(category, gold.obj))
    overlap = evidence_overlap(pred.ranges, gold.ranges)
    out = [f'<p class="sim">Similarity {similarity:.2f} = ½ × text {text:.2f} + ½ × evidence {overlap:.2f} '
           '<a href="#scoring">(how)</a></p>']  # fmt: skip
    attrs = []
    for name in CATEGORY[category].attributes:
        p, g, label = getattr(pred.obj, name), getattr(gold.obj, name), name.replace("_", " ")
        if p == g:
            attrs.append(f'<li class="same">{esc(label)}: {esc(p)} (same)</li>')
        else:
            attrs.append(f'<li class="diff">{esc(label)} differs: predicted {esc(p)}, gold {esc(g)}</li>')
    if attrs:
        out.append('<ul class="attrs">' + "".join(attrs) + "</ul>")
    return "".join(out)


def run_items(view: RunView, spans: dict[Range, Span], text: str, *, heading: str = "Items") -> str:
    """One run's column of a document: per category its matched pairs, missed gold and spurious items."""
    out = [f'<div class="run" data-run="{esc(view.run)}"><h3>{esc(heading)}</h3>']
    for c in CATEGORIES:
        n = view.doc.counts[c]
        out.append(f'<section class="category"><h4>{esc(CATEGORY[c].heading)} '
                   f'<span class="note">tp {n.tp} · fp {n.fp} · fn {n.fn}</span></h4>')  # fmt: skip
        pairs, missed, spurious = view.pairs[c], view.missed[c], view.spurious[c]
        if not (pairs or missed or spurious):
            out.append('<p class="note">No items on either side.</p>')
        if pairs:
            out.append('<h5>Matched</h5><ul class="items matched">')
            for p, g, sim in pairs:
                out.append(f'<li class="pair">{_item(p, spans, text)}{_item(g, spans, text)}{_explain(c, p, g, sim)}</li>')
            out.append("</ul>")
        for title, css, shown in (("Missed: gold not predicted", "missed", missed),
                                  ("Spurious: predicted, not in gold", "spurious", spurious)):  # fmt: skip
            if shown:
                out.append(f'<h5>{title}</h5><ul class="items {css}">')
                out += [f"<li>{_item(item, spans, text)}</li>" for item in shown]
                out.append("</ul>")
        out.append("</section>")
    out.append("</div>")
    return "".join(out)


LEGEND = ('<p class="legend"><span class="key ev-pred">predicted evidence: shaded</span> '
          '<span class="key ev-gold">gold evidence: underlined</span> '
          '<span class="key ev-pred ev-gold">both</span> <span>after each span, '
          '<sup class="refs">P1 G1</sup> link to the predicted (P) and gold (G) items citing it</span></p>')  # fmt: skip


def _back(span: Span) -> str:
    links = " ".join(f'<a href="#{item_id}" class="to-item">{esc(label)}</a>' for item_id, label in span.items)
    return f'<sup class="refs">{links}</sup>'


def article_html(text: str, spans: dict[Range, Span]) -> str:
    """The legend and the article, its evidence spans highlighted and each followed by links to its items."""
    ordered = sorted(spans.values(), key=lambda s: s.number)
    return f'{LEGEND}<div class="article">{mark_article(text, ordered, _back)}</div>'


def document_section(key: str, title: str, columns: Sequence[str], article: str, *, intro: str = "") -> str:
    """A document's section: its title, ``intro``, the run ``columns`` side by side, then the article."""
    return (f'<section class="document" id="{key}" data-doc="{esc(title)}"><h2>{esc(title)}</h2>{intro}'
            f'<div class="doc-body"><div class="runs">{"".join(columns)}</div>'
            f'<div class="source"><h3>Article</h3>{article}</div></div>'
            '<p class="note"><a href="#contents">Back to the contents</a></p></section>')  # fmt: skip


def _one(values: Iterable[str]) -> str:
    distinct = sorted(set(values))
    if not distinct:
        return "none (no prediction)"
    return distinct[0] if len(distinct) == 1 else f"mixed ({', '.join(distinct)})"


def run_facts(report: EvalReport, docs: Sequence[DocumentScore], generated_at: str | None) -> list[tuple[str, str]]:
    """(name, value) of the run for a header: date, source, model, mode, prompt version (from the
    predictions' metadata, "mixed" when they differ), provenance counts, documents."""
    metas = [d.summary.metadata for d in docs if d.summary is not None]
    created = sorted(m.created_at for m in metas)
    return [
        ("Run date", generated_at or "not recorded"),
        ("Source", f"{report.source}: {_SOURCE[report.source]}"),
        ("Model", _one(m.model for m in metas)),
        ("Mode", _one(m.mode for m in metas)),
        ("Prompt version", _one(m.prompt_version for m in metas)),
        ("Provenance", ", ".join(f"{k}: {v}" for k, v in sorted(report.provenance.items())) or "none recorded"),
        ("Documents", f"{len(docs)}, {sum(d.summary is None for d in docs)} without a prediction"),
        ("Predictions made", f"{created[0]} to {created[-1]}" if created else "none"),
    ]


def header(title: str, facts: Sequence[tuple[str, str]], comparison: Sequence[str] | None = None) -> str:
    """The page's header: ``title``, the ``facts`` as a definition list, lines against a baseline."""
    out = [f"<header><h1>{esc(title)}</h1>", '<dl class="meta">']
    out += [f'<dt>{esc(k)}</dt><dd data-fact="{esc(k)}">{esc(v)}</dd>' for k, v in facts]
    out.append('</dl><p class="jump"><a href="#scores">Scores</a> · <a href="#contents">Contents</a> · '
               '<a href="#scoring">How items are matched</a> · <a href="#documents">Documents</a></p>')  # fmt: skip
    if comparison is not None:
        lines = "".join(f"<li>{esc(line)}</li>" for line in comparison) or "<li>no change</li>"
        out.append(f'<section class="baseline"><h2>Against the baseline</h2><ul>{lines}</ul></section>')
    return "".join(out) + "</header>"


def table(head: Sequence[str], rows: Iterable[str]) -> str:
    """A table with ``head`` as its header row and ``rows`` (``<tr>`` markup), scrolling in its own box."""
    cells = "".join(f'<th scope="col">{esc(h)}</th>' for h in head)
    return f'<div class="wrap"><table><thead><tr>{cells}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


def scores_html(report: EvalReport) -> str:
    """Scores per category and micro, the bootstrap interval, attribute accuracy and the run's counts."""
    rows = [f'<tr class="{esc(r[0])}">' + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>"
            for r in views.score_rows(report)]  # fmt: skip
    attrs = [f"<tr><td>{esc(k)}</td><td>{v.correct}</td><td>{v.pairs}</td><td>{v.accuracy:.3f}</td></tr>"
             for k, v in report.attributes.items()]  # fmt: skip
    facts = views.facts(report)
    b = report.bootstrap_micro_f1
    return ('<section id="scores"><h2>Scores</h2>' + table(("category", *views.COLUMNS), rows)
            + f"<p>Micro F1, 95% bootstrap interval over documents: <strong>[{b.low:.3f}, {b.high:.3f}]</strong> "
            f"({b.samples} resamplings, seed {b.seed}).</p><h3>Attributes on matched pairs</h3>"
            + table(("attribute", "correct", "pairs", "accuracy"), attrs)
            + _fields_html(report)
            + f'<ul class="facts"><li>{esc(facts["grounding"])}</li><li>{esc(facts["runs"])}</li></ul></section>')  # fmt: skip


def _fields_html(report: EvalReport) -> str:
    rows = [f"<tr>{''.join(f'<td>{esc(c)}</td>' for c in r)}</tr>" for r in views.field_rows(report)]
    if not rows:
        return ""
    return ("<h3>Matched pairs, field by field</h3><p class=\"note\">Per category: pairs, their mean similarity "
            "and evidence agreement (characters both sides' evidence covers over those either covers), and on how "
            "many pairs each field disagrees with gold (actor roles compared by side).</p>"
            + table(("category", "pairs", "mean similarity", "mean evidence agreement", "fields that differ"), rows))


def contents_html(report: EvalReport, keys: Sequence[str]) -> str:
    """The table of contents: one row per document (micro scores, error) linking to section ``keys[i]``."""
    rows = [f'<tr><td><a href="#{key}">{esc(d.id)}</a></td>'
            + "".join(f"<td>{c}</td>" for c in views.cells(d.micro)) + f'<td class="error">{esc(d.error or "")}</td></tr>'
            for key, d in zip(keys, report.documents, strict=True)]  # fmt: skip
    return ('<nav id="contents"><h2>Contents</h2><p class="note">Each document, its micro-averaged scores and '
            "error; the id links to its section.</p>" + table(("document", *views.COLUMNS, "error"), rows) + "</nav>")  # fmt: skip


def scoring_html() -> str:
    """How the similarity of a predicted and a gold item is computed, in plain words (from ``matching``)."""
    texts = "; ".join(f"{k.heading.lower()}: {' and '.join(k.match_text)}" for k in CATEGORY.values())
    parties = "; ".join(f"{k.heading.lower()}: {' and '.join(k.parties)}" for k in CATEGORY.values() if k.parties)
    return (f'<section id="scoring"><h2>How items are matched</h2><p>In each category every predicted item is '
            f"compared with every gold item, and the best one-to-one pairing is kept where the similarity is at "
            f"least <strong>{THRESHOLD}</strong>. Similarity = ½ × text similarity + ½ × evidence overlap, from 0 "
            "to 1:</p><ul><li><strong>Text similarity</strong>: the share of content words the two items have in "
            "common (little words such as “the” or “will” are ignored, words are compared by their first six "
            f"letters), on {esc(texts)}. When only one side is negated (“will not take part” against “will take "
            f"part”) it is multiplied by {NEGATION_PENALTY}. With no content word in common the pair is not "
            "possible.</li><li><strong>Evidence overlap</strong>: how much the best-overlapping predicted and gold "
            "quotes share in the article, as a share of the shorter one (1: one contains the other).</li>"
            "<li><strong>Hard constraints</strong>: a pair is impossible when the actors are on different sides "
            f"({esc(parties)}; a person counts as whom they speak for, aliases resolved) or when a position's "
            "stance is the opposite (support or conditional against oppose).</li></ul><p>Attributes (stance, "
            "status, support type) are scored on matched pairs and do not decide matching. Optional gold items, "
            "which a careful labeller would accept either way, are neither rewarded when matched nor penalised "
            "when missed.</p></section>")  # fmt: skip


_STYLE = """
:root { --pred: #bcd7ff; --pred2: #93bdf5; --gold: #b35c00; }
h1 { font-size: 1.5rem; overflow-wrap: anywhere; }
.wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; }
th, td { border-bottom: 1px solid #ddd; padding: .2rem .5rem; text-align: right; font-variant-numeric: tabular-nums; }
th, td { white-space: nowrap; } th:first-child, td:first-child, td.error { text-align: left; }
td:first-child, td.error { white-space: normal; overflow-wrap: anywhere; min-width: 9rem; } tr.micro { font-weight: 600; }
section.document { border-top: 3px solid #333; margin-top: 2.5rem; }
h2, h3, h4 { overflow-wrap: anywhere; } h5 { margin: .6rem 0 .2rem; font-size: .95rem; }
.doc-body { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1.5rem; }
@media (min-width: 1000px) { .doc-body { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
  .source { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow-y: auto; } }
section:target, nav:target, div:target { outline: none; }
.runs { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 22rem), 1fr)); gap: 1rem; }
.items { list-style: none; padding: 0; margin: 0; } .items > li { margin: 0 0 .6rem; }
.pair { border: 1px solid #ccc; border-radius: 4px; padding: .4rem; }
.item { border-left: 4px solid #888; padding: .1rem 0 .1rem .5rem; margin: .2rem 0; overflow-wrap: anywhere; }
.item.pred { border-left-style: double; border-left-color: #1d5fb4; } .item.gold { border-left-color: var(--gold); }
.tag { font: 600 .8rem system-ui, sans-serif; border: 1px solid currentColor; border-radius: 3px; padding: 0 .3rem; }
.badge.optional { font-size: .8rem; font-style: italic; background: #eee; padding: 0 .3rem; }
.sim { margin: .2rem 0; font-size: .9rem; } .attrs { margin: .2rem 0; font-size: .9rem; }
.attrs .diff { font-weight: 600; color: #a1001b; } .attrs .diff::before { content: "≠ "; }
.article mark, .legend .key { background: transparent; }
.article .ev-pred, .legend .ev-pred { background: var(--pred); }
.article .ev-pred .ev-pred { background: var(--pred2); }
.article .ev-gold, .legend .ev-gold {
  text-decoration: underline 3px var(--gold); text-underline-offset: 3px; text-decoration-skip-ink: none; }
.legend { font-size: .9rem; } .legend .key { padding: 0 .2rem; margin-right: .4rem; }
.refs { font: .7rem/1 system-ui, sans-serif; } .refs a { margin-left: .15rem; }
"""


def page(title: str, parts: Iterable[str], *, style: str = "") -> str:
    """One self-contained page: ``parts`` in the body, ``style`` after the report's own."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="referrer" content="no-referrer">\n<title>{esc(title)}</title>\n'
            f"<style>{STYLE}{_STYLE}{style}</style>\n</head>\n<body>\n" + "\n".join(parts) + "\n</body>\n</html>\n")  # fmt: skip


def _scoreline(m: Scores) -> str:
    return (f'<p class="scoreline">Micro P {m.precision:.3f} · R {m.recall:.3f} · F1 {m.f1:.3f} · '
            f"tp {m.tp} · fp {m.fp} · fn {m.fn}</p>")  # fmt: skip


def eval_page(report: EvalReport, docs: Sequence[DocumentScore], golds: Sequence[Gold], *,
              generated_at: str | None = None, comparison: Sequence[str] | None = None) -> str:  # fmt: skip
    """The page of one run: ``docs`` and ``golds`` in the order of ``report.documents``; ``generated_at``
    is the run's date for the header, ``comparison`` the lines against a baseline (``gate``)."""
    keys = [f"d{n}" for n in range(1, len(docs) + 1)]
    sections = []
    for key, doc, entry, gold in zip(keys, docs, report.documents, golds, strict=True):
        view = run_view(doc, gold, key=key)
        spans = evidence_spans(gold.article_text, view.items(), key=key)
        error = f'<p class="error">No prediction: {esc(doc.error)}</p>' if doc.error else ""
        sections.append(document_section(key, doc.id, [run_items(view, spans, gold.article_text)],
                                         article_html(gold.article_text, spans), intro=_scoreline(entry.micro) + error))  # fmt: skip
    head = header(f"Eval report ({report.source})", run_facts(report, docs, generated_at), comparison)
    return page("summarizer eval report", [head, scores_html(report), contents_html(report, keys), scoring_html(),
                                           '<div id="documents">', *sections, "</div>"])  # fmt: skip
