"""``summarizer render``: a results file over real inputs as a static review site, its index and pages,
checked as HTML and in a real headless Chromium (Debian's chromium + chromium-driver)."""

import hashlib
import html
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from conftest import ROOT
from test_html_brief import HOSTILE, Tree, hostile_summary

from summarizer.cli import main
from summarizer.review_site import CHANGED, MISSING, SCRIPT_HASH, page_path

EVIL_ID = "../../../evil<script>alert('id')</script>"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _ok(article_id: str, text: str, source: dict[str, Any] | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"id": article_id, "article_sha256": _sha(text)}
    if source is not None:
        line["source"] = source
    line.update(ok=True, summary=hostile_summary(text).model_dump(mode="json"))
    return line


def _write_lines(path: Path, lines: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


@pytest.fixture
def batch(tmp_path: Path) -> dict[str, Any]:
    """Inputs (a directory with a nested file, a JSONL with source metadata) and a results file over them."""
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    texts = {
        "alpha": "Alpha report.\n" + HOSTILE,
        "sub/beta": "Beta: " + HOSTILE + "More text after it.\n",
        "changed": "Changed, first version. " + HOSTILE,
        "feed-1": "From the feed. " + HOSTILE,
        EVIL_ID: "Hostile id. " + HOSTILE,
    }
    (docs / "alpha.txt").write_text(texts["alpha"], encoding="utf-8")
    (docs / "sub" / "beta.txt").write_text(texts["sub/beta"], encoding="utf-8")
    (docs / "changed.txt").write_text("Changed, second version. " + HOSTILE, encoding="utf-8")  # not what was run
    (docs / "notes.md").write_text("not an article", encoding="utf-8")
    source = {"title": "Feed <b>title</b>", "source": "Wire & Co", "published": "2025-03-04"}
    feed = tmp_path / "feed.jsonl"
    records = [{"id": "feed-1", "text": texts["feed-1"], **source}, {"id": EVIL_ID, "text": texts[EVIL_ID]},
               {"id": "unrun", "text": "never summarised"}]  # fmt: skip
    feed.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    results = tmp_path / "out.jsonl"
    lines = [
        _ok("alpha", texts["alpha"]),
        _ok("sub/beta", texts["sub/beta"]),
        _ok("changed", texts["changed"]),
        _ok("feed-1", texts["feed-1"], source),
        _ok(EVIL_ID, texts[EVIL_ID]),
        _ok("gone", "An article no input has. " + HOSTILE),
        {"id": "broken", "article_sha256": _sha("x"), "ok": False,
         "error": {"type": "RefusalError", "message": "the model refused <b>this</b>"}},
    ]  # fmt: skip
    _write_lines(results, lines)
    site = tmp_path / "site"
    return {"docs": docs, "feed": feed, "results": results, "site": site, "texts": texts, "lines": lines}


def _render(b: dict[str, Any]) -> int:
    return main(["render", str(b["results"]), str(b["docs"]), str(b["feed"]), "-o", str(b["site"])])


def _rows(index: Path) -> dict[str, dict[str, Any]]:
    """Each row of the index by its id cell: cells by label, and the id cell's link."""
    tree = Tree(index.read_text(encoding="utf-8"))
    rows: dict[str, dict[str, Any]] = {}
    cells = [n for n in tree.nodes if n.tag == "td"]
    links = {n.text: n.attrs["href"] for n in tree.nodes if n.tag == "a"}
    row: dict[str, Any] = {}
    for cell in cells:
        if cell.attrs["data-label"] == "Id":
            row = {"href": links.get(cell.text)}
            rows[cell.text] = row
        row[cell.attrs["data-label"]] = cell.text
    return rows


def _evs(page: str) -> list[tuple[int, int, str]]:
    return [(int(n.attrs["data-start"]), int(n.attrs["data-end"]), n.text)
            for n in Tree(page).nodes if "ev" in n.attrs.get("class", "").split()]  # fmt: skip


def test_index_rows_link_to_pages_with_highlights_or_a_notice_saying_why(batch: dict[str, Any], capsys) -> None:
    assert _render(batch) == 0
    assert "7 article(s) (6 ok, 1 failed)" in capsys.readouterr().err
    site: Path = batch["site"]
    rows = _rows(site / "index.html")
    assert set(rows) == {"alpha", "sub/beta", "changed", "feed-1", EVIL_ID, "gone", "broken"}
    feed = rows["feed-1"]
    assert (feed["Title"], feed["Source"], feed["Date"]) == ("Feed <b>title</b>", "Wire & Co", "2025-03-04")
    assert (feed["Positions"], feed["Proposals"], feed["Risks"], feed["Actors"]) == ("1", "1", "1", "2")
    assert feed["Warnings"] == "1" and feed["Status"] == "ok" and feed["Text"] == "highlighted"
    assert feed["Tokens"] == "2"
    assert rows["broken"]["href"] is None
    assert rows["broken"]["Status"] == "failed: RefusalError: the model refused <b>this</b>"
    assert rows["changed"]["Text"] == CHANGED and rows["gone"]["Text"] == MISSING
    for article_id, row in rows.items():
        if article_id == "broken":
            continue
        page = site / unquote(row["href"])
        assert page.is_file() and page == page_path(site, article_id)
        assert page.resolve().is_relative_to(site.resolve())
    for article_id in ("alpha", "sub/beta", "feed-1", EVIL_ID):
        text = batch["texts"][article_id]
        page = page_path(site, article_id).read_text(encoding="utf-8")
        evs = _evs(page)
        assert len(evs) == 5 and len({(s, e) for s, e, _ in evs}) == 5  # one element per span
        assert all(t == text[s:e] for s, e, t in evs)
        assert "No highlights" not in page
    for article_id, why in (("changed", CHANGED), ("gone", MISSING)):
        page = page_path(site, article_id).read_text(encoding="utf-8")
        assert _evs(page) == [] and "<mark" not in page
        notes = [n.text for n in Tree(page).nodes if n.attrs.get("class") == "notice"]
        assert len(notes) == 1 and why in notes[0]
        assert "NATO agreed" in page  # the items and their quoted evidence are still shown
    assert not page_path(site, "unrun").exists() and not page_path(site, "broken").exists()
    assert page_path(site, "sub/beta") == site / "a" / "sub" / "beta.html"


def test_hostile_ids_stay_inside_the_site(batch: dict[str, Any]) -> None:
    assert _render(batch) == 0
    site: Path = batch["site"].resolve()
    written = [p for p in batch["site"].parent.rglob("*") if p.is_file()]
    outside = [p for p in written if not p.resolve().is_relative_to(site)]
    assert sorted(p.name for p in outside) == ["alpha.txt", "beta.txt", "changed.txt", "feed.jsonl", "notes.md",
                                               "out.jsonl"]  # fmt: skip
    evil = page_path(batch["site"], EVIL_ID)
    assert evil.resolve().is_relative_to(site / "a") and evil.is_file()
    assert "<script>alert" not in evil.read_text(encoding="utf-8")
    assert "<script>alert" not in (site / "index.html").read_text(encoding="utf-8")


def test_rerender_replaces_pages_and_the_index(batch: dict[str, Any]) -> None:
    assert _render(batch) == 0
    site: Path = batch["site"]
    alpha = page_path(site, "alpha")
    assert "No highlights" not in alpha.read_text(encoding="utf-8")
    (batch["docs"] / "alpha.txt").write_text("Alpha, edited since. " + HOSTILE, encoding="utf-8")
    lines = [line for line in batch["lines"] if line["id"] != "broken"]
    _write_lines(batch["results"], lines)
    assert _render(batch) == 0
    assert CHANGED in html.unescape(alpha.read_text(encoding="utf-8"))
    rows = _rows(site / "index.html")
    assert "broken" not in rows and rows["alpha"]["Text"] == CHANGED
    assert [p.name for p in site.rglob(".*")] == []  # no temporary file left


def test_a_malformed_line_or_a_duplicate_input_id_exits_2(batch: dict[str, Any], capsys) -> None:
    with open(batch["results"], "a", encoding="utf-8") as f:
        f.write('{"id": "x"}\n')
    assert _render(batch) == 2
    assert f"{batch['results']}:8 is not a batch result line" in capsys.readouterr().err
    _write_lines(batch["results"], batch["lines"])
    (batch["docs"] / "feed-1.txt").write_text("same id as a feed record", encoding="utf-8")
    assert _render(batch) == 2
    assert "two articles share the id 'feed-1'" in capsys.readouterr().err


def test_render_takes_glob_like_batch(batch: dict[str, Any]) -> None:
    text = (batch["docs"] / "notes.md").read_text(encoding="utf-8") + " " + HOSTILE
    (batch["docs"] / "notes.md").write_text(text, encoding="utf-8")
    _write_lines(batch["results"], [_ok("notes", text)])
    argv = ["render", str(batch["results"]), str(batch["docs"]), "-o", str(batch["site"])]
    assert main(argv) == 0
    assert _rows(batch["site"] / "index.html")["notes"]["Text"] == MISSING
    assert main([*argv, "--glob", "*.md"]) == 0
    assert _rows(batch["site"] / "index.html")["notes"]["Text"] == "highlighted"


def test_render_of_a_replayed_batch_imports_no_sdk(tmp_path: Path) -> None:
    from test_offline_imports import run_probe

    results, articles = tmp_path / "out.jsonl", str(ROOT / "evals/articles")
    assert main(["batch", articles, "-o", str(results), "--replay", str(ROOT / "evals/recordings")]) == 0
    code, imported = run_probe(["render", str(results), articles, "-o", str(tmp_path / "site")])
    assert code == 0 and imported == []
    rows = _rows(tmp_path / "site" / "index.html")
    assert rows and all(row["Text"] == "highlighted" for row in rows.values())


# --------------------------------------------------------------------------- in the browser


def _cells(d: Any, label: str) -> list[str]:
    return list(d.execute_script(
        "return [...document.querySelectorAll('#rows tbody tr')].filter(r => !r.hidden)"
        ".map(r => r.querySelector(`td[data-label=\"${arguments[0]}\"]`).textContent)", label))  # fmt: skip


def test_index_sorts_filters_links_resolve_and_fits_420px(driver: Any, batch: dict[str, Any]) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    assert _render(batch) == 0
    index = batch["site"] / "index.html"
    assert SCRIPT_HASH in index.read_text(encoding="utf-8")
    driver.set_window_size(420, 900)
    driver.get(index.as_uri())
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert driver.execute_script("return document.getElementById('filter').disabled") is False  # the script ran
    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert.text
    assert driver.execute_script("return document.scripts.length") == 1
    ids = _cells(driver, "Id")
    driver.find_element("css selector", "button[data-col='0']").click()
    assert _cells(driver, "Id") == sorted(ids)
    driver.find_element("css selector", "button[data-col='0']").click()
    assert _cells(driver, "Id") == sorted(ids, reverse=True)
    status = driver.find_element("xpath", "//th/button[normalize-space()='Status']")
    status.click()
    assert _cells(driver, "Status")[0] == "failed: RefusalError: the model refused <b>this</b>"
    box = driver.find_element("id", "filter")
    box.send_keys("wire & co")
    assert _cells(driver, "Id") == ["feed-1"]
    assert driver.find_element("id", "shown").text == "1"
    box.clear()
    box.send_keys("hash differs")
    assert _cells(driver, "Id") == ["changed"]
    driver.execute_script("const f = document.getElementById('filter'); f.value = ''; "
                          "f.dispatchEvent(new Event('input'))")  # fmt: skip
    assert len(_cells(driver, "Id")) == 7
    hrefs = driver.execute_script("return [...document.querySelectorAll('a[href]')].map(a => a.href)")
    assert len(hrefs) == 6
    for href in hrefs:
        driver.get(href)
        assert driver.title.startswith("Brief: ")
        with pytest.raises(NoAlertPresentException):
            _ = driver.switch_to.alert.text
        assert driver.execute_script("return document.querySelectorAll('script, img').length") == 0
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        unresolved = driver.execute_script(
            "return [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
            ".filter(h => h.startsWith('#') && !document.getElementById(h.slice(1)))"
        )
        assert unresolved == []
        back = driver.execute_script("return document.querySelector('.back a').href")
        assert back == index.as_uri()
    driver.set_window_size(1400, 900)
    driver.get(index.as_uri())
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    assert os.path.exists(index)
