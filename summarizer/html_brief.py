"""An ``ArticleSummary`` as one self-contained HTML page: a header (title, model, prompt version, time,
provenance), the items by category (``schema.CATEGORY`` order), and the article with every evidence span
highlighted, items and spans linked both ways.

The page loads nothing and runs nothing: a Content-Security-Policy in a ``<meta>`` allows inline style
only; hovering or focusing a span shows the items citing it through CSS alone (``title``, ``::after``
and ``:has()``). Everything from the article or the model is escaped.

*Spans*: each distinct ``(start, end)`` of the evidence is one span, cited by one or more items. Each
span has exactly one element of class ``ev`` whose text is ``article[start:end]``. Spans that nest (or
are disjoint) are nested ``<mark>`` elements in the article itself. A span that crosses one already
placed cannot be one element of the article; it is shown there in parts (``mark.ev-part``) and its
whole-span ``ev`` element is its entry in the list of spans under the article.

Without the article's text (a review site whose input changed or is missing), the page shows the items
with their quoted evidence and a notice saying why nothing is highlighted.

The eval report (``evaluation.html_report``) highlights gold and predicted evidence the same way:
``Span``, ``arrange``, ``mark_article`` and ``span_link`` place and link spans, ``STYLE`` is the style
of a page with a highlighted article, ``headline`` an item's line.
"""

from __future__ import annotations

import html
import itertools
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from summarizer.categories import CATEGORY

if TYPE_CHECKING:
    from summarizer.schema import ArticleSummary  # or a record of one (summarizer.snapshots)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


@dataclass
class Span:
    """One distinct evidence range of an article and the items citing it; ``number`` and ``whole`` are
    set by ``arrange``. Its element's id is ``{prefix}-{number}``; ``classes`` are added to ``ev``."""

    number: int
    start: int
    end: int
    whole: bool = True  # one element of the article carries the whole span
    items: list[tuple[str, str]] = field(default_factory=list)  # (item id, item label)
    prefix: str = "span"
    classes: str = ""

    @property
    def id(self) -> str:
        return f"{self.prefix}-{self.number}"

    @property
    def anchor(self) -> str:
        """The id of the span's place in the article: the span itself, or the first part of a split one."""
        return self.id if self.whole else f"{self.id}-part"


def arrange(spans: list[Span]) -> list[Span]:
    """``spans`` numbered in article order (by start, the longer first); laminar spans stay whole and a
    span crossing one already placed is split (``whole`` false)."""
    spans = sorted(spans, key=lambda s: (s.start, -s.end))
    placed: list[Span] = []
    for n, span in enumerate(spans, 1):
        span.number = n
        span.whole = not any(
            p.start < span.start < p.end < span.end or span.start < p.start < span.end < p.end for p in placed
        )
        if span.whole:
            placed.append(span)
    return spans


def span_link(span: Span, article_text: str, target: str | None = None) -> str:
    """A link to ``span`` (to ``target``, by default its id) showing its text, cut to 90 characters, and offsets."""
    quote = article_text[span.start : span.end]
    short = quote if len(quote) <= 90 else quote[:87] + "…"
    return f'<a href="#{target or span.id}" class="to-span">“{esc(short)}” [{span.start}–{span.end}]</a>'


@dataclass(frozen=True)
class _Item:
    id: str
    label: str
    category: str
    obj: Any
    spans: list[int]


def headline(category: str, item: Any) -> str:
    """The category's Markdown headline as HTML: fields escaped (``*`` too), then ``**``/``*`` to tags."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return esc(value).replace("*", "&#42;")
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    fields = {name: clean(value) for name, value in vars(item).items() if name != "evidence"}
    line = CATEGORY[category].headline(SimpleNamespace(**fields))  # a model, or a record (snapshots)
    line = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", line)
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", line)


def _collect(summary: ArticleSummary, length: int) -> tuple[list[_Item], list[Span]]:
    """The items, and the distinct evidence spans numbered in article order, each knowing who cites it."""
    by_range: dict[tuple[int, int], Span] = {}
    cited: list[tuple[str, str, str, Any, list[tuple[int, int]]]] = []
    for name, category in CATEGORY.items():
        for i, obj in enumerate(getattr(summary, name), 1):
            item_id, label = f"item-{name}-{i}", f"{category.heading} {i}"
            ranges: list[tuple[int, int]] = []
            for ev in obj.evidence:
                start = max(0, min(ev.start, length))
                key = (start, max(start, min(ev.end, length)))
                if key not in ranges:
                    ranges.append(key)
            for key in ranges:
                by_range.setdefault(key, Span(0, *key)).items.append((item_id, label))
            cited.append((item_id, label, name, obj, ranges))
    spans = arrange(list(by_range.values()))
    items = [_Item(i, label, name, obj, [by_range[k].number for k in ranges]) for i, label, name, obj, ranges in cited]
    return items, spans


def _mark(span: Span, *, part: bool) -> str:
    cites = ", ".join(label for _, label in span.items)
    extra = f" {span.classes}" if span.classes else ""
    attrs = (
        f'class="ev-part{extra}" data-part-of="{span.number}"'
        if part
        else f'class="ev{extra}" id="{span.id}" data-span="{span.number}"'
    )
    return (
        f'<mark {attrs} data-start="{span.start}" data-end="{span.end}" tabindex="0" '
        f'title="cited by: {esc(cites)}" data-cites="{esc(cites)}">'
    )


def mark_article(text: str, spans: list[Span], after: Callable[[Span], str] | None = None) -> str:
    """``text`` escaped, with nested marks: each whole span one ``mark.ev``, a split span one part per
    piece (``arrange`` decides which). ``after(span)``, when given, is put right after the span's
    element (after its last part), e.g. links back to the items citing it."""
    bounds = sorted({p for s in spans for p in (s.start, s.end)})
    elements: list[tuple[int, int, int, str, str]] = []  # start, end, order, opening tag, after closing
    order = 0
    for span in spans:
        tail = after(span) if after else ""
        if span.whole:
            elements.append((span.start, span.end, order, _mark(span, part=False), tail))
            order += 1
            continue
        cuts = [span.start, *(b for b in bounds if span.start < b < span.end), span.end]
        for k, (a, b) in enumerate(itertools.pairwise(cuts)):
            tag = _mark(span, part=True)
            if k == 0:  # the first part is where a link to the span lands in the article
                tag = tag.replace("<mark ", f'<mark id="{span.anchor}" ', 1)
            elements.append((a, b, order, tag, tail if k == len(cuts) - 2 else ""))
            order += 1
    elements.sort(key=lambda e: (e[0], -e[1], e[2]))
    out: list[str] = []
    pos = 0
    stack: list[tuple[int, str]] = []
    for start, end, _, tag, tail in elements:
        while stack and stack[-1][0] <= start:
            out.append(esc(text[pos : stack[-1][0]]))
            pos, closing = stack.pop()
            out.append("</mark>" + closing)
        out.append(esc(text[pos:start]))
        pos = start
        out.append(tag)
        stack.append((end, tail))
    while stack:
        out.append(esc(text[pos : stack[-1][0]]))
        pos, closing = stack.pop()
        out.append("</mark>" + closing)
    out.append(esc(text[pos:]))
    return "".join(out)


STYLE = """
:root { color-scheme: light; --mark: #fff1a8; --mark2: #ffd76a; --focus: #d9480f; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 1rem; font: 16px/1.5 system-ui, sans-serif; color: #1b1b1b; }
header h1 { margin: 0 0 .5rem; font-size: 1.5rem; overflow-wrap: anywhere; }
dl.meta { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .1rem .75rem; margin: 0 0 1rem; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
section, li, p { overflow-wrap: anywhere; min-width: 0; }
.article { white-space: pre-wrap; overflow-wrap: anywhere; font-family: Georgia, serif; line-height: 1.7; }
mark { background: var(--mark); color: inherit; position: relative; border-radius: 2px; }
mark mark { background: var(--mark2); }
mark:focus { outline: 2px solid var(--focus); }
mark:hover::after, mark:focus::after {
  content: attr(data-cites); position: absolute; left: 0; top: 100%; z-index: 2; width: max-content;
  max-width: min(20rem, 80vw); background: #222; color: #fff; font: 12px/1.3 system-ui, sans-serif;
  padding: .2rem .4rem; border-radius: 3px; white-space: normal; pointer-events: none;
}
:target { outline: 3px solid var(--focus); }
.note { color: #555; font-size: .9rem; }
.notice { border-left: 4px solid var(--focus); background: #fff4e6; padding: .5rem .75rem; overflow-wrap: anywhere; }
a { color: #0b57d0; }
"""  # a page of evidence highlighted in an article (this one, the eval report)

_BRIEF_STYLE = """
main { display: grid; grid-template-columns: minmax(0, 1fr); gap: 1.5rem; }
@media (min-width: 1000px) { main { grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); } }
.items ol { padding-left: 1.2rem; } .items li { margin-bottom: .6rem; }
.spans { font-size: .9rem; }
"""


def _cross_rules(items: list[_Item], spans: list[Span]) -> str:
    """CSS-only highlighting: hovering/focusing a span outlines its items, and an item its spans."""
    rules = []
    for span in spans:
        targets = ", ".join(f"#{item_id}" for item_id, _ in span.items)
        rules.append(f"body:has(#{span.id}:is(:hover, :focus)) :is({targets}) {{ outline: 2px solid var(--focus); }}")
    for item in items:
        targets = ", ".join(f'[data-span="{n}"], [data-part-of="{n}"]' for n in item.spans)
        rules.append(f"body:has(#{item.id}:is(:hover, :focus-within)) :is({targets}) {{ background: var(--mark2); "
                     "outline: 2px solid var(--focus); }")  # fmt: skip
    return "\n".join(rules)


def to_html(summary: ArticleSummary, article_text: str | None, *, title: str, provenance: str,
            notice: str | None = None, back: str | None = None) -> str:  # fmt: skip
    """The brief of ``article_text`` as one self-contained page; ``title`` and ``provenance`` go in its header.

    Without ``article_text`` (the text is unknown or not the one summarised) the items are shown with
    their evidence quotes and offsets but nothing is highlighted, and ``notice`` says why. ``back`` is
    the address of a page to link back to (a review site's index).
    """
    items, spans = _collect(summary, len(article_text) if article_text is not None else sys.maxsize)
    if article_text is None:
        spans = []
    by_number = {s.number: s for s in spans}
    m = summary.metadata
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>Brief: {esc(title)}</title>",
        f"<style>{STYLE}{_BRIEF_STYLE}\n{_cross_rules(items, spans) if article_text is not None else ''}\n</style>",
        "</head>",
        "<body>",
        "<header>",
        *([f'<p class="back"><a href="{esc(back)}">All articles</a></p>'] if back is not None else []),
        f"<h1>Brief: {esc(title)}</h1>",
        '<dl class="meta">',
    ]
    for key, value in (("Model", f"{m.model} via {m.base_url_host} ({m.mode})"), ("Prompt version", m.prompt_version),
                       ("Created", m.created_at), ("Provenance", provenance),
                       ("Calls", f"{m.attempts} attempt(s), {m.usage.total_tokens} tokens, {m.chunks} chunk(s)")):  # fmt: skip
        out.append(f"<dt>{esc(key)}</dt><dd>{esc(value)}</dd>")
    out += ["</dl>", f'<p class="gist">{esc(summary.summary.strip())}</p>']
    if article_text is None:
        why = notice or "the article's text is not available"
        out.append(f'<p class="notice" role="note">No highlights: {esc(why)}. The evidence is shown as quoted '
                   "with its offsets, unchecked.</p>")  # fmt: skip
    if m.warnings:
        out.append('<ul class="warnings">' + "".join(f"<li>{esc(w)}</li>" for w in m.warnings) + "</ul>")
    out += ["</header>", "<main>", '<div class="items">']
    if summary.actors:
        out.append('<section class="actors"><h2>Actors</h2><ul>')
        for a in summary.actors:
            aff = f", {esc(a.affiliation)}" if a.affiliation else ""
            out.append(f"<li><strong>{esc(a.name)}</strong> ({esc(a.type)}{aff})</li>")
        out.append("</ul></section>")
    for name, category in CATEGORY.items():
        mine = [item for item in items if item.category == name]
        if not mine:
            continue
        out.append(f'<section class="category" id="cat-{name}"><h2>{esc(category.heading)}</h2><ol>')
        for item in mine:
            out.append(f'<li class="item" id="{item.id}" tabindex="-1">{headline(name, item.obj)}')
            conditions = getattr(item.obj, "conditions", None)
            if conditions:
                out.append(f'<br><span class="note">Conditions: {esc("; ".join(conditions))}</span>')
            if article_text is None:
                links = [f'<q class="quote">{esc(ev.quote)}</q> [{ev.start}–{ev.end}]' for ev in item.obj.evidence]
            else:
                links = [span_link(by_number[n], article_text) for n in item.spans]
            out.append('<br><span class="note">Evidence: ' + "; ".join(links) + "</span></li>")
        out.append("</ol></section>")
    out.append("</div>")
    if article_text is None:
        out += ["</main>", "</body>", "</html>"]
        return "\n".join(out) + "\n"
    out += ['<section class="source"><h2>Article</h2>',
            f'<div class="article">{mark_article(article_text, spans)}</div>']  # fmt: skip
    out.append('<h2>Evidence spans</h2><ol class="spans">')
    for s in spans:
        cited = ", ".join(f'<a href="#{item_id}" class="to-item">{esc(label)}</a>' for item_id, label in s.items)
        if s.whole:
            where = f'<a href="#{s.id}">[{s.start}–{s.end}]</a>'
            out.append(f'<li id="cite-{s.number}">{where} cited by {cited}</li>')
        else:
            where = f'<a href="#{s.anchor}">[{s.start}–{s.end}]</a>'
            out.append(f'<li id="cite-{s.number}">{where} (crosses another span; shown in parts above) '
                       f'<q class="ev" id="{s.id}" data-span="{s.number}" data-start="{s.start}" data-end="{s.end}">'
                       f"{esc(article_text[s.start : s.end])}</q> cited by {cited}</li>")  # fmt: skip
    out += ["</ol>", "</section>", "</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
