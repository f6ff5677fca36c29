"""The HTML brief (``summarize --format html``): its structure on a hand-built summary, and the page of
the seed brief opened in a real headless Chromium (Debian's chromium + chromium-driver)."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SEED

from summarizer.cli import main
from summarizer.cli.summarize import output_format
from summarizer.html_brief import to_html
from summarizer.schema import ArticleSummary

HOSTILE = (
    "Officials said \"no deal\" & left. <script>document.title='pwned'</script> Then "
    "<img src=x onerror=\"document.title='img';alert(1)\"> Poland & NATO agreed to talk, and NATO said "
    "talks would resume soon.\n"
)


def _ev(text: str, quote: str, occurrence: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    return {"quote": quote, "start": start, "end": start + len(quote), "match": "exact"}


def hostile_summary(text: str = HOSTILE) -> ArticleSummary:
    meta = {"model": 'm<b>"x"</b>', "base_url_host": "127.0.0.1", "mode": "tools", "prompt_version": "p1",
            "article_sha256": "x", "attempts": 1, "usage": {"total_tokens": 2}, "latency_ms": 1,
            "warnings": ["<script>alert('warn')</script>"], "chunks": 1, "created_at": "2025-01-01T00:00:00+00:00",
            "package_version": "0"}  # fmt: skip
    whole = "Poland & NATO agreed to talk"
    inner = "NATO agreed"  # nested in `whole`
    crossing = "to talk, and NATO said"  # starts inside `whole`, ends after it
    doc = {
        "summary": "Gist with <script>alert('gist')</script> and \"quotes\".",
        "actors": [{"name": "Poland <i>", "type": "state", "affiliation": None},
                   {"name": "NATO", "type": "organization", "affiliation": None}],
        "positions": [{"actor": "Poland <i>", "topic": "talks *now*", "stance": "support",
                       "statement": "Wants <script>alert('model')</script> talks \"soon\".",
                       "evidence": [_ev(text, whole), _ev(text, "<script>document.title='pwned'</script>")]}],
        "proposals": [{"proposer": "NATO", "proposal": "Resume talks", "addressees": ["Poland <i>"],
                       "status": "proposed", "evidence": [_ev(text, inner), _ev(text, crossing)]}],
        "risks": [{"risk": "No deal", "raised_by": None, "affected": [], "evidence": [_ev(text, '"no deal"')]}],
        "support_commitments": [{"provider": "NATO", "recipient": "Poland <i>", "support_type": "diplomatic",
                                 "description": "Talks", "status": "pledged", "conditions": ["only if <asked>"],
                                 "evidence": [_ev(text, whole)]}],
        "metadata": meta,
    }  # fmt: skip
    return ArticleSummary.model_validate(doc)


class Node:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs, self.text = tag, attrs, ""


class Tree(HTMLParser):
    """Every element with its attributes and its text content (all descendant text)."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr"})

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[Node] = []
        self.open: list[Node] = []
        self.feed(page)
        self.close()
        assert not self.open, [n.tag for n in self.open]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.nodes.append(node)
        if tag not in self.VOID:
            self.open.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1].tag == tag, (tag, [n.tag for n in self.open])
        self.open.pop()

    def handle_data(self, data: str) -> None:
        for node in self.open:
            node.text += data

    def find(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [n for n in self.nodes if (tag is None or n.tag == tag)
                and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]  # fmt: skip


def _spans(summary: ArticleSummary) -> set[tuple[int, int]]:
    return {(e.start, e.end) for c in ("positions", "proposals", "risks", "support_commitments")
            for item in getattr(summary, c) for e in item.evidence}  # fmt: skip


def test_page_escapes_article_and_model_text_and_loads_nothing() -> None:
    page = to_html(hostile_summary(), HOSTILE, title='t<script>"', provenance="replayed <x>")
    tree = Tree(page)
    assert [n.tag for n in tree.find("script")] == [] and tree.find("img") == []
    assert "<script>" not in page and "<img" not in page and "<i>" not in page and "<asked>" not in page
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
    assert "&quot;no deal&quot;" in page and "&lt;b&gt;&quot;x&quot;&lt;/b&gt;" in page
    assert tree.find("title")[0].text == 'Brief: t<script>"'
    csp = tree.find("meta", http_equiv="Content-Security-Policy")
    assert len(csp) == 1 and "default-src 'none'" in csp[0].attrs["content"]
    assert "script-src" not in csp[0].attrs["content"]  # no script at all
    for node in tree.nodes:
        for key in ("src", "href", "action"):
            assert not re.match(r"\s*(https?:|//|javascript:)", node.attrs.get(key, ""), re.I), node.attrs
    # the model's Markdown emphasis becomes tags; a literal * from the model stays text
    item = tree.find("li", id="item-positions-1")[0]
    assert "Poland <i> — support — talks *now*: Wants <script>" in item.text
    assert tree.find("strong") and tree.find("em")


def test_one_element_per_span_with_the_article_text_overlaps_included() -> None:
    summary = hostile_summary()
    tree = Tree(to_html(summary, HOSTILE, title="hostile", provenance="live"))
    spans = _spans(summary)
    assert len(spans) == 5  # `whole` is cited twice but is one span
    ev = tree.find(None, **{"class": "ev"})
    assert sorted((int(n.attrs["data-start"]), int(n.attrs["data-end"])) for n in ev) == sorted(spans)
    for node in ev:
        assert node.text == HOSTILE[int(node.attrs["data-start"]) : int(node.attrs["data-end"])]
        assert node.attrs["id"] == f"span-{node.attrs['data-span']}"
    # nested spans are nested marks in the article; the crossing one is shown in parts there
    article = tree.find("div", **{"class": "article"})[0]
    assert article.text == HOSTILE
    marks = tree.find("mark", **{"class": "ev"})
    assert len(marks) == 4 and all(m.attrs["tabindex"] == "0" for m in marks)
    parts = tree.find("mark", **{"class": "ev-part"})
    crossing = next(n for n in ev if n.tag != "mark")
    assert crossing.text == "to talk, and NATO said" and len(parts) == 2
    assert "".join(p.text for p in parts) == crossing.text
    # the span cited by two items says so on hover/focus
    whole = next(m for m in marks if m.text == "Poland & NATO agreed to talk")
    assert whole.attrs["title"] == "cited by: Positions 1, Support commitments 1"


def test_items_and_spans_link_both_ways_to_existing_ids() -> None:
    summary = hostile_summary()
    tree = Tree(to_html(summary, HOSTILE, title="hostile", provenance="live"))
    ids = [n.attrs["id"] for n in tree.nodes if "id" in n.attrs]
    assert len(ids) == len(set(ids))
    hrefs = [n.attrs["href"] for n in tree.find("a")]
    assert hrefs and all(h.startswith("#") and h[1:] in ids for h in hrefs)
    to_span = {n.attrs["href"] for n in tree.find("a", **{"class": "to-span"})}
    to_item = {n.attrs["href"] for n in tree.find("a", **{"class": "to-item"})}
    assert to_span == {f"#span-{i}" for i in range(1, 6)}
    assert to_item == {f"#item-{c}-1" for c in ("positions", "proposals", "risks", "support_commitments")}


def test_output_format_from_flag_then_extension() -> None:
    assert output_format(None, None) == "markdown"
    assert output_format(None, "brief.html") == "html" and output_format(None, "b.HTM") == "html"
    assert output_format(None, "brief.json") == "json" and output_format(None, "brief.md") == "markdown"
    assert output_format(None, "brief.txt") == "markdown" and output_format(None, "-") == "markdown"
    assert output_format("json", "brief.html") == "json"


def test_cli_writes_html_for_html_extension_and_says_provenance(tmp_path: Path) -> None:
    page = tmp_path / "brief.html"
    assert main(["summarize", str(SEED), "--replay", str(ROOT / "evals/recordings"), "-o", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "Brief: nato_rejects_missile_interception" in text and "Replayed from authored response" in text
    forced = tmp_path / "brief.html.json"
    assert main(["summarize", str(SEED), "--replay", str(ROOT / "evals/recordings"), "-o", str(forced),
                 "--format", "markdown"]) == 0  # fmt: skip
    assert forced.read_text(encoding="utf-8").startswith("# Brief")


# --------------------------------------------------------------------------- in a real browser




def test_seed_page_in_browser_highlights_every_span_links_resolve_and_fits_420px(driver: Any, tmp_path: Path) -> None:
    recordings = str(ROOT / "evals/recordings")
    page, brief = tmp_path / "page.html", tmp_path / "brief.json"
    assert main(["summarize", str(SEED), "--replay", recordings, "--format", "html", "-o", str(page)]) == 0
    assert main(["summarize", str(SEED), "--replay", recordings, "-o", str(brief)]) == 0
    summary = ArticleSummary.model_validate(json.loads(brief.read_text(encoding="utf-8")))
    article = SEED.read_text(encoding="utf-8")
    spans = _spans(summary)
    driver.set_window_size(420, 900)
    driver.get(page.as_uri())
    assert driver.title == "Brief: nato_rejects_missile_interception"
    found = driver.execute_script(
        "return [...document.querySelectorAll('.ev')].map(e => [+e.dataset.start, +e.dataset.end, e.textContent])"
    )
    assert sorted((s, e) for s, e, _ in found) == sorted(spans)
    assert all(t == article[s:e] for s, e, t in found)
    assert driver.execute_script("return document.querySelector('.article').textContent") == article
    unresolved = driver.execute_script(
        "return [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
        ".filter(h => !h.startsWith('#') || !document.getElementById(h.slice(1)))"
    )
    assert unresolved == []
    assert driver.execute_script("return document.querySelectorAll('a[href^=\"#item-\"]').length") > 0
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    mark = driver.find_element("css selector", "mark.ev")
    assert mark.get_attribute("title").startswith("cited by: ")
    assert mark.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "transparent")
    driver.set_window_size(1400, 900)
    driver.get(page.as_uri())
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_script_in_the_article_does_not_run_in_browser(driver: Any, tmp_path: Path) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    page = tmp_path / "hostile.html"
    page.write_text(to_html(hostile_summary(), HOSTILE, title="hostile", provenance="live"), encoding="utf-8")
    driver.set_window_size(420, 900)
    driver.get(page.as_uri())
    assert driver.title == "Brief: hostile"
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert.text
    assert driver.execute_script("return document.querySelectorAll('script, img').length") == 0
    article = driver.execute_script("return document.querySelector('.article').textContent")
    assert article == HOSTILE
    found = driver.execute_script(
        "return [...document.querySelectorAll('.ev')].map(e => [+e.dataset.start, +e.dataset.end, e.textContent])"
    )
    assert len(found) == 5 and all(t == HOSTILE[s:e] for s, e, t in found)
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
