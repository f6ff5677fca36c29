"""The HTML eval report (``eval --html``): its structure on a small hand-built run (parsed, no browser),
the same page and the shipped replay's page opened in a real headless Chromium (the ``driver``
fixture; .ci/run installs Debian's chromium and chromium-driver, and a missing browser fails the test
rather than skipping it)."""

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from test_html_brief import Tree, _ev

from summarizer.cli import main
from summarizer.evaluation.gold import Aliases, Gold
from summarizer.evaluation.html_report import OPTIONAL, eval_page
from summarizer.evaluation.scoring import aggregate, score_document
from summarizer.schema import ArticleSummary, Draft

ARTICLE = (
    "NATO said it will not shoot down Russian missiles over Ukraine. <script>document.title='pwned'</script> "
    "Poland is considering intercepting missiles near its border. "
    "<img src=x onerror=\"document.title='img';alert(1)\"> Germany pledged air defence systems to Ukraine. "
    "Analysts warned of a wider war.\n"
)
OTHER = "Berlin & Paris <b>agreed</b> on talks.\n"
HOSTILE_ID = 'a<b>&"c'
RUN_DATE = "2025-06-01T12:00:00+00:00"
MODEL = "m-1 <b>x</b>"
ACTORS = [{"name": n, "type": t, "affiliation": None} for n, t in
          (("NATO", "organization"), ("Poland", "state"), ("Germany", "state"), ("Ukraine", "state"))]  # fmt: skip
STOP = "NATO said it will not shoot down Russian missiles over Ukraine"


def _gold(doc_id: str, text: str, items: dict[str, list[dict[str, Any]]]) -> Gold:
    optional = {c: [bool(i.pop("optional", False)) for i in items.get(c, [])]
                for c in ("positions", "proposals", "risks", "support_commitments")}  # fmt: skip
    draft = Draft.model_validate({"summary": "s", "actors": ACTORS, "positions": [], "proposals": [], "risks": [],
                                  "support_commitments": [], **items})  # fmt: skip
    return Gold(doc_id, Path(f"{doc_id}.yaml"), Path("a.txt"), text, draft, optional)


def _summary(items: dict[str, list[dict[str, Any]]], prompt_version: str) -> ArticleSummary:
    meta = {"model": MODEL, "base_url_host": "127.0.0.1", "mode": "tools", "prompt_version": prompt_version,
            "article_sha256": "x", "attempts": 1, "usage": {"total_tokens": 2}, "latency_ms": 1, "warnings": [],
            "chunks": 1, "created_at": "2025-06-01T11:59:00+00:00", "package_version": "0"}  # fmt: skip
    return ArticleSummary.model_validate({"summary": "s", "actors": ACTORS, "positions": [], "proposals": [],
                                          "risks": [], "support_commitments": [], **items, "metadata": meta})  # fmt: skip


def run() -> tuple[Any, list[Any], list[Gold]]:
    """Three documents: one with a match (stance differs), a match (status differs) on evidence crossing two
    gold spans, a miss, a missed optional item and a spurious prediction citing ``<script>``; one with no
    prediction (a hostile id); one empty, predicted with another prompt version."""
    golds = [
        _gold("first", ARTICLE, {
            "positions": [
                {"actor": "NATO", "topic": "shooting down Russian missiles", "stance": "oppose",
                 "statement": "NATO will not shoot down Russian missiles over Ukraine.", "evidence": [STOP]},
                {"actor": "Poland", "topic": "intercepting missiles", "stance": "considering", "optional": True,
                 "statement": "Poland is considering intercepting missiles.",
                 "evidence": ["Poland is considering intercepting missiles near its border"]}],
            "risks": [{"risk": "a wider war", "raised_by": None, "affected": [],
                       "evidence": ["Analysts warned of a wider war"]}],
            "support_commitments": [{"provider": "Germany", "recipient": "Ukraine", "support_type": "military",
                                     "description": "air defence systems", "status": "pledged", "conditions": [],
                                     "evidence": ["Germany pledged air defence systems to Ukraine"]}]}),
        _gold(HOSTILE_ID, OTHER, {"positions": [{"actor": "Germany", "topic": "talks", "stance": "support",
                                                 "statement": "Berlin agreed on talks.", "evidence": ["agreed"]}]}),
        _gold("empty", OTHER, {}),
    ]  # fmt: skip
    first = _summary({
        "positions": [{"actor": "NATO", "topic": "shooting down Russian missiles", "stance": "neutral",
                       "statement": "NATO will not shoot down Russian missiles over Ukraine.",
                       "evidence": [_ev(ARTICLE, STOP)]}],
        "proposals": [{"proposer": "Poland", "proposal": "Close the <b>sky</b>", "addressees": ["NATO"],
                       "status": "proposed", "evidence": [_ev(ARTICLE, "<script>document.title='pwned'</script>")]}],
        "support_commitments": [{"provider": "Germany", "recipient": "Ukraine", "support_type": "military",
                                 "description": "air defence systems", "status": "delivered", "conditions": ["<i>"],
                                 "evidence": [_ev(ARTICLE, "air defence systems to Ukraine. Analysts warned")]}],
    }, "p1")  # fmt: skip
    docs = [score_document(golds[0], first, Aliases()),
            score_document(golds[1], None, Aliases(), "InputError: no prediction <file>"),
            score_document(golds[2], _summary({}, "p2"), Aliases())]  # fmt: skip
    docs[0].provenance, docs[2].provenance = {"authored": 1}, {"recorded": 2}
    return aggregate(docs, "predictions"), docs, golds


@pytest.fixture(scope="module")
def page() -> str:
    report, docs, golds = run()
    return eval_page(report, docs, golds, generated_at=RUN_DATE, comparison=["micro F1 0.500 -> 0.600"])


def _one(tree: Tree, **attrs: str) -> Any:
    (node,) = tree.find(None, **attrs)
    return node


def test_structure_ids_unique_links_resolve_and_nothing_loads_or_runs(page: str) -> None:
    tree = Tree(page)
    ids = [n.attrs["id"] for n in tree.nodes if "id" in n.attrs]
    assert len(ids) == len(set(ids))
    hrefs = [n.attrs["href"] for n in tree.find("a")]
    assert hrefs and [h for h in hrefs if not h.startswith("#") or h[1:] not in ids] == []
    csp = tree.find("meta", http_equiv="Content-Security-Policy")
    assert len(csp) == 1 and "default-src 'none'" in csp[0].attrs["content"]
    assert "script-src" not in csp[0].attrs["content"] and tree.find("script") == [] and tree.find("img") == []
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page and "<b>sky" not in page
    assert "&lt;img src=x onerror=" in page and "<i>" not in page and "<file>" not in page
    # the header
    facts = {n.attrs["data-fact"]: n.text for n in tree.find("dd")}
    assert facts["Run date"] == RUN_DATE and facts["Model"] == MODEL and tree.find("b") == [] and facts["Mode"] == "tools"
    assert facts["Prompt version"] == "mixed (p1, p2)" and facts["Provenance"] == "authored: 1, recorded: 2"
    assert facts["Source"].startswith("predictions") and facts["Documents"] == "3, 1 without a prediction"
    assert "micro F1 0.500 -> 0.600" in _one(tree, **{"class": "baseline"}).text
    # the contents: one row per document, linking to its section
    rows = tree.find("tr")
    links = [(a.attrs["href"], a.text) for a in tree.find("a") if a.attrs["href"] in ("#d1", "#d2", "#d3")]
    assert links == [("#d1", "first"), ("#d2", HOSTILE_ID), ("#d3", "empty")]
    assert _one(tree, id="d2").attrs["data-doc"] == HOSTILE_ID and "no prediction <file>" in _one(tree, id="d2").text
    first_row = next(r for r in rows if r.text.startswith("first"))
    assert re.sub(r"\s+", " ", first_row.text) == "first2110.6670.6670.667"  # tp fp fn P R F1: optional not counted
    # the scoring explained, with the threshold
    assert "at least 0.3" in _one(tree, id="scoring").text


def test_items_matched_missed_spurious_optional_and_attribute_differences(page: str) -> None:
    tree = Tree(page)
    pairs = tree.find("li", **{"class": "pair"})
    assert len(pairs) == 2
    position, support = pairs
    assert "Predicted P1" in position.text and "Gold G1" in position.text
    assert "Similarity 1.00 = ½ × text 1.00 + ½ × evidence 1.00" in position.text
    assert "stance differs: predicted neutral, gold oppose" in position.text
    assert "status differs: predicted delivered, gold pledged" in support.text
    assert "support type: military (same)" in support.text
    assert len(tree.find("li", **{"class": "diff"})) == 2
    missed = tree.find("ul", **{"class": "items missed"})
    spurious = tree.find("ul", **{"class": "items spurious"})
    assert [m.text.count("Gold G") for m in missed] == [1, 1, 1]  # Poland (optional), the risk, d2's position
    assert OPTIONAL in missed[0].text and OPTIONAL not in missed[1].text
    assert page.count(f">{OPTIONAL}<") == 1  # the one optional gold item, and only it
    assert len(spurious) == 1 and "Predicted P2" in spurious[0].text and "Close the <b>sky</b>" in spurious[0].text
    # every item is linked from a highlight, and every highlight from an item
    items = {n.attrs["id"] for n in tree.nodes if "item" in n.attrs.get("class", "").split()}
    back = {a.attrs["href"][1:] for a in tree.find("a", **{"class": "to-item"})}
    assert back == items and len(items) == 8  # d1: P1-P3, G1-G4; d2: G1
    to_span = {a.attrs["href"][1:] for a in tree.find("a", **{"class": "to-span"})}
    marks = {n.attrs["id"] for n in tree.find("mark") if "id" in n.attrs}
    assert to_span == marks
    assert tree.find("mark", **{"class": "ev-part ev-pred"})  # the support's quote crosses two gold quotes


def _report_page(tmp_path: Path, page: str) -> str:
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    return path.as_uri()


WITHOUT_REFS = "n => { const c = n.cloneNode(true); c.querySelectorAll('.refs').forEach(r => r.remove()); return c.textContent; }"


def test_navigation_both_ways_and_420px_in_a_browser(tmp_path: Path, driver: Any, page: str) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    driver.set_window_size(420, 900)
    driver.get(_report_page(tmp_path, page))
    assert driver.title == "summarizer eval report"  # neither the <script> nor the onerror of the article ran
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert.text
    assert driver.execute_script("return document.querySelectorAll('script, img').length") == 0
    assert driver.find_element(By.CSS_SELECTOR, 'dd[data-fact="Run date"]').text == RUN_DATE
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    # the contents navigate to the documents' sections
    for key, doc_id in (("d1", "first"), ("d2", HOSTILE_ID), ("d3", "empty")):
        driver.find_element(By.CSS_SELECTOR, f'#contents a[href="#{key}"]').click()
        assert driver.execute_script("const t = document.querySelector(':target'); return [t.id, t.dataset.doc]") == [
            key, doc_id]  # fmt: skip
    # the article is shown whole, evidence predicted (shaded) and gold (underlined) told apart without colour
    assert driver.execute_script(f"return ({WITHOUT_REFS})(document.querySelector('#d1 .article'))") == ARTICLE
    style = "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.textDecorationLine]; }"
    pred = driver.execute_script(f"return ({style})(document.querySelector('#d1 mark.ev.ev-pred:not(.ev-gold)'))")
    gold = driver.execute_script(f"return ({style})(document.querySelector('#d1 mark.ev.ev-gold:not(.ev-pred)'))")
    assert pred[0] not in ("rgba(0, 0, 0, 0)", "transparent") and "underline" not in pred[1]
    assert gold[0] == "rgba(0, 0, 0, 0)" and "underline" in gold[1]
    # item -> span: an existing mark of the same document's article, its text the quoted range
    bad = driver.execute_script(f"""
        const plain = {WITHOUT_REFS};
        return [...document.querySelectorAll('a.to-span')].filter(a => {{
          const t = document.getElementById(a.getAttribute('href').slice(1));
          if (!t || t.tagName !== 'MARK' || !t.closest('.article')) return true;
          if (t.closest('section.document') !== a.closest('section.document')) return true;
          const doc = plain(t.closest('.article')), quote = doc.slice(+t.dataset.start, +t.dataset.end);
          return t.classList.contains('ev') ? plain(t) !== quote : !quote.startsWith(plain(t));
        }}).map(a => a.getAttribute('href'));""")
    assert bad == []
    # span -> item: the links after each span go to items citing that very span
    checked = driver.execute_script("""
        const out = [];
        for (const sup of document.querySelectorAll('.article sup.refs')) {
          const mark = sup.previousElementSibling, n = mark.dataset.span || mark.dataset.partOf;
          const key = sup.closest('section.document').id, span = `#${key}-s-${n}`;
          for (const a of sup.querySelectorAll('a')) {
            const item = document.getElementById(a.getAttribute('href').slice(1));
            const cites = item ? [...item.querySelectorAll('a.to-span')].map(l => l.getAttribute('href')) : [];
            out.push(!!item && item.classList.contains('item') && (cites.includes(span) || cites.includes(span + '-part')));
          }
        }
        return out;""")
    assert checked and all(checked)
    spans = driver.execute_script("return document.querySelectorAll('.article mark.ev, .article mark[id$=\"-part\"]').length")
    assert driver.execute_script("return document.querySelectorAll('.article sup.refs').length") == spans
    # clicking an item's evidence lands on the highlight; its back link lands on the item
    driver.find_element(By.CSS_SELECTOR, "#d1-r-g2 a.to-span").click()
    assert driver.execute_script("return document.querySelector(':target').closest('.article') !== null")
    target = driver.execute_script("return document.querySelector(':target').id")
    driver.find_element(By.CSS_SELECTOR, f'#{target} + sup.refs a[href="#d1-r-g2"]').click()
    assert driver.execute_script("return document.querySelector(':target').id") == "d1-r-g2"
    assert OPTIONAL in driver.find_element(By.ID, "d1-r-g2").text
    driver.set_window_size(1280, 900)
    driver.get(_report_page(tmp_path, page))
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_replay_report_in_a_browser(tmp_path: Path, driver: Any) -> None:
    from selenium.webdriver.common.by import By

    page = tmp_path / "report.html"
    assert main(["eval", "--gold", str(ROOT / "evals/gold"), "--recordings", str(ROOT / "evals/recordings"),
                 "--html", str(page)]) == 0  # fmt: skip
    driver.set_window_size(420, 900)
    driver.get(page.as_uri())
    assert driver.title == "summarizer eval report"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", driver.find_element(By.CSS_SELECTOR, 'dd[data-fact="Run date"]').get_attribute("textContent"))  # fmt: skip
    assert driver.find_element(By.CSS_SELECTOR, 'dd[data-fact="Provenance"]').get_attribute("textContent") == "authored: 22"
    assert len(driver.find_elements(By.CSS_SELECTOR, "section.document")) == 16
    seed = driver.find_element(By.CSS_SELECTOR, 'section.document[data-doc="nato_rejects_missile_interception"]')
    both = seed.find_elements(By.CSS_SELECTOR, "mark.ev.ev-pred.ev-gold")
    assert any("will not participate" in m.get_attribute("textContent") for m in both)
    for kind in ("matched", "missed", "spurious"):
        assert driver.find_elements(By.CSS_SELECTOR, f"ul.items.{kind} .item"), kind
    article = seed.find_element(By.CSS_SELECTOR, ".article").get_attribute("textContent")
    assert "Jens Stoltenberg has spoken out against the idea" in article
    unresolved = driver.execute_script(
        "return [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
        ".filter(h => !h.startsWith('#') || !document.getElementById(h.slice(1)))"
    )
    assert unresolved == []
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
