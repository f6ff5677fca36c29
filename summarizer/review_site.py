"""A batch run as a static review site: ``DIR/index.html``, one row per result line, and one page per
brief, ``DIR/a/<safe name>.html`` (``names``), made by ``html_brief.to_html`` over the article's text.

The texts come from the inputs the batch read, walked the same way (``batch.articles.names``: files,
directories searched for ``--glob`` patterns, JSON Lines records; the same ids, the same hash of the
text as read or extracted). A brief is highlighted only when its input's text hashes to the line's
``article_sha256``; otherwise its page shows the items unhighlighted with a notice saying why (the text
changed since the run, no input has this id, the input cannot be read now). A failed line is a row of
the index with its error, and has no page.

Memory stays small for any number of articles: the results file is streamed once keeping, per id,
only its index row and the byte offset of its line; the inputs are then walked once, and each article
whose id has an ok line is read, its line read again at its offset, and its page written, one at a
time; the ok lines no input named get their pages last. Every file is written to a temporary file and
renamed over its target, so a re-render into the same DIR replaces the pages (pages of ids no longer
in the results file are left). If an id has several lines, the last one wins (as in ``export``).

The index loads nothing; its one inline script (sorting by a column, filtering the rows) is allowed by
the Content-Security-Policy only through the SHA-256 of its exact text, and reads nothing from the
articles but the cells' text. Without scripts the table is still complete.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from summarizer import names
from summarizer.batch.articles import DEFAULT_PATTERNS, duplicate
from summarizer.batch.articles import names as input_names
from summarizer.batch.results import parse
from summarizer.categories import CATEGORY
from summarizer.errors import InputError
from summarizer.html_brief import esc, to_html
from summarizer.snapshots import ARTICLE_SUMMARY, Invalid

if TYPE_CHECKING:
    from summarizer.schema import ArticleSummary

CHANGED = "the input's text changed since the run (hash differs)"
MISSING = "no input has this id"
_TITLE_CHARS = 300  # of a source field, in an index cell


class RenderError(InputError):
    """The results file cannot be rendered (malformed line, unreadable file, unwritable DIR)."""

    default_hint = "pass a results file of summarizer batch and the inputs it was run on"


@dataclass
class Row:
    """What the index keeps of one result line (no summary, no text)."""

    id: str
    ok: bool
    line: int  # line number in the results file
    offset: int  # byte offset of the line
    sha256: str  # of the text the line was made from
    title: str | None = None
    source: str | None = None
    published: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # actors and every category
    warnings: int = 0
    error: str | None = None
    tokens: int | None = None
    cost: float | None = None
    text: str = ""  # "highlighted", or why not


@dataclass
class Rendered:
    """What a render wrote."""

    target: Path
    articles: int = 0  # rows of the index (distinct ids)
    ok: int = 0
    failed: int = 0
    pages: int = 0
    highlighted: int = 0
    changed: int = 0  # pages without highlights: the input's text changed
    missing: int = 0  # pages without highlights: no input has the id (or it cannot be read)


# --------------------------------------------------------------------------- the results file


def _field(source: Any, *keys: str) -> str | None:
    if not isinstance(source, dict):
        return None
    for key in keys:
        value = source.get(key)
        if value is not None and value != "":
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            return text if len(text) <= _TITLE_CHARS else text[: _TITLE_CHARS - 1] + "…"
    return None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _lines(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(line number, byte offset, line) of each non-blank line."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, errors while reading named too
    except OSError as e:
        raise RenderError(f"cannot read {path}: {e.strerror or e}") from e
    with f:
        offset = 0
        try:
            for n, line in enumerate(f, 1):
                if line.strip():
                    yield n, offset, line
                offset += len(line)
        except OSError as e:
            raise RenderError(f"cannot read {path}: {e.strerror or e}") from e


def _summary(path: Path, n: int, record: dict[str, Any]) -> ArticleSummary:
    try:
        return ARTICLE_SUMMARY.validate_python(record["summary"])  # type: ignore[no-any-return]
    except Invalid as e:
        first = e.errors[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RenderError(f"{path}:{n} is not a batch result line: summary.{where}: {first['msg']}") from None


def _record(path: Path, n: int, line: bytes) -> dict[str, Any]:
    record = parse(line)
    if record is None:
        raise RenderError(f"{path}:{n} is not a batch result line")
    return record


def _row(path: Path, n: int, offset: int, record: dict[str, Any]) -> Row:
    source = record.get("source")
    row = Row(id=record["id"], ok=record["ok"] is True, line=n, offset=offset, sha256=record["article_sha256"],
              title=_field(source, "title"),
              source=_field(source, "source", "url"), published=_field(source, "published", "date"),
              cost=_number(record.get("cost")))  # fmt: skip
    if not row.ok:
        error = record["error"]
        kind, message = error.get("type"), error.get("message")
        row.error = ": ".join(str(part) for part in (kind, message) if part is not None) or "failed"
        return row
    s = _summary(path, n, record)
    row.counts = {"actors": len(s.actors), **{name: len(getattr(s, name)) for name in CATEGORY}}
    row.warnings = len(s.metadata.warnings)
    row.tokens = s.metadata.usage.total_tokens
    if row.cost is None:
        row.cost = _number(record["summary"]["metadata"].get("cost"))
    return row


def _rows(results: Path) -> dict[str, Row]:
    """One row per id (the last line of an id wins), in the order of their last lines."""
    rows: dict[str, Row] = {}
    for n, offset, line in _lines(results):
        row = _row(results, n, offset, _record(results, n, line))
        rows.pop(row.id, None)
        rows[row.id] = row
    return rows


def _line_at(results: Path, row: Row) -> dict[str, Any]:
    try:
        with open(results, "rb") as f:
            f.seek(row.offset)
            line = f.readline()
    except OSError as e:
        raise RenderError(f"cannot read {results}: {e.strerror or e}") from e
    record = parse(line)
    if record is None or record["id"] != row.id:
        raise RenderError(f"{results} changed while it was rendered", hint="render it again")
    return record


# --------------------------------------------------------------------------- writing


def _write(target: Path, text: str) -> None:
    """``text`` to ``target`` through a fresh temporary file beside it and a rename (replaces atomically)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise RenderError(f"cannot write {target}: {e.strerror or e}", hint="pick a writable -o DIR") from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(name, 0o644)
        os.replace(name, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(name)
        if isinstance(e, OSError):
            raise RenderError(f"cannot write {target}: {e.strerror or e}", hint="pick a writable -o DIR") from e
        raise


def page_path(out: Path, article_id: str) -> Path:
    """Where the page of ``article_id`` goes: ``DIR/a/<safe name>.html``, checked to stay inside DIR."""
    return names.inside(out, names.child(out / "a", article_id, ".html"))


def _href(article_id: str) -> str:
    rel = names.relative(article_id)
    return quote("a/" + rel.with_name(rel.name + ".html").as_posix(), safe="/")


def _page(out: Path, results: Path, row: Row, text: str | None, notice: str | None) -> None:
    record = _line_at(results, row)
    summary = _summary(results, row.line, record)
    depth = len(names.relative(row.id).parts)
    page = to_html(summary, text, title=row.title or row.id, notice=notice, back="../" * depth + "index.html",
                   provenance=f"batch results {results.name}, line {row.line}, article {row.id}")  # fmt: skip
    _write(page_path(out, row.id), page)


# --------------------------------------------------------------------------- the index

SCRIPT = """
(() => {
  const table = document.getElementById('rows');
  const body = table.tBodies[0];
  const filter = document.getElementById('filter');
  const shown = document.getElementById('shown');
  const rows = [...body.rows];
  const count = () => { shown.textContent = String(rows.filter(r => !r.hidden).length); };
  filter.disabled = false;
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    for (const r of rows) r.hidden = q !== '' && !r.textContent.toLowerCase().includes(q);
    count();
  });
  for (const button of table.tHead.querySelectorAll('button[data-col]')) {
    button.disabled = false;
    button.addEventListener('click', () => {
      const col = +button.dataset.col;
      const th = button.parentElement;
      const dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      for (const other of table.tHead.querySelectorAll('th')) other.removeAttribute('aria-sort');
      th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
      const key = r => r.cells[col].dataset.v ?? r.cells[col].textContent;
      const numeric = button.dataset.type === 'n';
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        if (numeric) {
          const p = x === '' ? -Infinity : +x, q = y === '' ? -Infinity : +y;
          return (p - q) * dir;
        }
        return x.localeCompare(y) * dir;
      });
      body.append(...rows);
    });
  }
  count();
})();
"""
SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode("ascii")
INDEX_CSP = (f"default-src 'none'; style-src 'unsafe-inline'; script-src '{SCRIPT_HASH}'; img-src 'none'; "
             "base-uri 'none'; form-action 'none'")  # fmt: skip

_STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1400px; padding: 1rem; font: 15px/1.45 system-ui, sans-serif; color: #1b1b1b; }
h1 { font-size: 1.4rem; margin: 0 0 .5rem; overflow-wrap: anywhere; }
.tools { margin: 0 0 .75rem; display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.tools input { font: inherit; padding: .25rem .4rem; width: min(24rem, 100%); }
.wrap { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .45rem; text-align: left; vertical-align: top; }
td { overflow-wrap: anywhere; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
th button { font: inherit; font-weight: 600; border: 0; background: none; padding: 0; cursor: pointer; color: inherit; }
th button:disabled { cursor: default; }
th[aria-sort="ascending"] button::after { content: " ▲"; }
th[aria-sort="descending"] button::after { content: " ▼"; }
.failed { color: #b00020; }
.notext { color: #8a4b00; }
a { color: #0b57d0; }
@media (max-width: 700px) {
  table, thead, tbody, tr, th, td { display: block; }
  thead tr { display: flex; flex-wrap: wrap; gap: .25rem .75rem; }
  thead th { border: 0; padding: 0; }
  tbody tr { border-bottom: 1px solid #bbb; padding: .4rem 0; }
  td { border: 0; padding: .1rem 0; text-align: left; }
  td.n { text-align: left; }
  td::before { content: attr(data-label) ": "; font-weight: 600; }
}
"""


def _columns() -> list[tuple[str, str]]:
    """(heading, type) of each column: ``t`` text, ``n`` number."""
    counts = [("Actors", "n"), *((CATEGORY[name].heading, "n") for name in CATEGORY)]
    return [("Id", "t"), ("Title", "t"), ("Source", "t"), ("Date", "t"), *counts, ("Warnings", "n"),
            ("Status", "t"), ("Text", "t"), ("Tokens", "n"), ("Cost (USD)", "n")]  # fmt: skip


def _cell(label: str, value: object, *, numeric: bool = False, css: str = "", sort: object = None) -> str:
    classes = " ".join(c for c in ("n" if numeric else "", css) if c)
    attrs = f' class="{classes}"' if classes else ""
    if sort is not None:
        attrs += f' data-v="{esc(sort)}"'
    return f'<td data-label="{esc(label)}"{attrs}>{value}</td>'


def _index_row(row: Row) -> str:
    heads = [h for h, _ in _columns()]
    link = f'<a href="{esc(_href(row.id))}">{esc(row.id)}</a>' if row.ok else esc(row.id)
    cells = [_cell(heads[0], link, sort=row.id), _cell(heads[1], esc(row.title or "")),
             _cell(heads[2], esc(row.source or "")), _cell(heads[3], esc(row.published or ""))]  # fmt: skip
    for k, key in enumerate(["actors", *CATEGORY], 4):
        value = row.counts.get(key)
        cells.append(_cell(heads[k], "" if value is None else value, numeric=True, sort="" if value is None else value))
    k = 4 + 1 + len(CATEGORY)
    cells.append(_cell(heads[k], row.warnings if row.ok else "", numeric=True, sort=row.warnings if row.ok else ""))
    status = "ok" if row.ok else f"failed: {row.error}"
    cells.append(_cell(heads[k + 1], esc(status), css="" if row.ok else "failed", sort="ok" if row.ok else "failed"))
    text = row.text if row.ok else ""
    cells.append(_cell(heads[k + 2], esc(text), css="" if text in ("", "highlighted") else "notext"))
    tokens = "" if row.tokens is None else row.tokens
    cells.append(_cell(heads[k + 3], tokens, numeric=True, sort=tokens))
    cost = "" if row.cost is None else f"{row.cost:.4f}"
    cells.append(_cell(heads[k + 4], cost, numeric=True, sort="" if row.cost is None else row.cost))
    state = "ok" if row.ok else "failed"
    return f'<tr class="{state}">' + "".join(cells) + "</tr>"


def _index(results: Path, rows: dict[str, Row], report: Rendered) -> str:
    head = "".join(
        f'<th scope="col" class="{typ}"><button type="button" data-col="{k}" data-type="{typ}" disabled>'
        f"{esc(heading)}</button></th>"
        for k, (heading, typ) in enumerate(_columns())
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{esc(INDEX_CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>Review: {esc(results.name)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>Review: {esc(results.name)}</h1>",
        f'<p class="summary">{report.articles} article(s): {report.ok} ok, {report.failed} failed; '
        f"{report.highlighted} highlighted, {report.changed} with a changed text, {report.missing} without a text."
        "</p>",
        '<p class="tools"><label for="filter">Filter</label> <input id="filter" type="search" disabled '
        'placeholder="id, title, source, status…" autocomplete="off"> '
        f'<span><span id="shown">{len(rows)}</span> shown</span></p>',
        '<div class="wrap"><table id="rows">',
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
        *(_index_row(row) for row in rows.values()),
        "</tbody></table></div>",
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


# --------------------------------------------------------------------------- the site


def render(results: Path, inputs: Sequence[str], out: Path, patterns: Sequence[str] = DEFAULT_PATTERNS) -> Rendered:
    """Write the review site of ``results`` (read with ``inputs``) into ``out`` (see the module)."""
    report = Rendered(target=out)
    rows = _rows(results)
    report.articles = len(rows)
    report.ok = sum(row.ok for row in rows.values())
    report.failed = report.articles - report.ok
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"cannot write {out}: {e.strerror or e}", hint="pick a writable -o DIR") from e
    pending = {row.id for row in rows.values() if row.ok}
    seen: set[str] = set()
    for named in input_names(inputs, patterns):
        if named.id in seen:
            raise duplicate(inputs, patterns, named)
        seen.add(named.id)
        if named.id not in pending:
            continue
        pending.discard(named.id)
        row = rows[named.id]
        article = named.read()
        if article.text is None:
            row.text = f"the input cannot be read now ({article.problem})"
            report.missing += 1
            _page(out, results, row, None, row.text)
        elif article.sha256 != row.sha256:
            row.text = CHANGED
            report.changed += 1
            _page(out, results, row, None, CHANGED)
        else:
            row.text = "highlighted"
            report.highlighted += 1
            _page(out, results, row, article.text, None)
        report.pages += 1
    for article_id in [i for i in rows if i in pending]:
        row = rows[article_id]
        row.text = MISSING
        report.missing += 1
        _page(out, results, row, None, MISSING)
        report.pages += 1
    _write(out / "index.html", _index(results, rows, report))
    return report
