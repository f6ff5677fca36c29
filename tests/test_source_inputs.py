"""Source inputs (issue #11, criteria 4 and 5): metadata flows into the result lines and the brief, and
real article inputs (HTML pages, Markdown, markup in a .txt) are read as their main text.

JSON Lines fields besides id/text/html are kept as the line's ``source`` object (ok and error lines
alike), capped in size. An HTML page (a ``.html`` file or an ``html`` field) is reduced to its main
text by trafilatura: offsets index that text, it is what is hashed, and the line says it came from
HTML with the title and date found. A page with nothing to extract is one error line.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openai_server import OpenAIServer, article_of, echo_answer
from test_batch import FAIL_MARK, lines, marked_failures

from summarizer import cli, render
from summarizer.errors import BATCH_PARTIAL_FAILURE_EXIT
from summarizer.inputs import MAX_SOURCE_BYTES, extract_html, looks_like_html

ROOT = Path(__file__).resolve().parent.parent

BOILERPLATE = ("Subscribe now", "Cookie settings", "All rights reserved", "Most read")
PARAGRAPHS = (
    "The city council of Portmere on Tuesday approved a plan to rebuild the old harbour, after a debate that "
    "lasted most of the afternoon and ended in a vote of 31 to 12.",
    "Mayor Jane Doe said the project would create hundreds of jobs and protect the town against winter "
    "storms for decades to come, and promised that work would start in the spring.",
    "Opposition councillors warned that the cost, estimated at 40 million euros, could rise sharply and "
    "called for an independent review before any contract is signed.",
)
PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Portmere council approves harbour plan | Coastal Times</title>
  <meta property="og:title" content="Portmere council approves harbour plan">
  <meta property="og:site_name" content="Coastal Times">
  <meta property="og:url" content="https://coastal-times.example/news/harbour-plan">
  <meta property="article:published_time" content="2024-03-05T10:00:00Z">
  <link rel="stylesheet" href="/static/site.css">
  <script>window.dataLayer = window.dataLayer || [];</script>
</head>
<body>
  <header><a href="/">Coastal Times</a>
    <nav><ul><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
    <li><a href="/subscribe">Subscribe now</a></li></ul></nav>
  </header>
  <main>
    <article>
      <h1>Portmere council approves harbour plan</h1>
      <p class="byline">By Sam Reporter, 5 March 2024</p>
      <p>{PARAGRAPHS[0]}</p>
      <p>{PARAGRAPHS[1]}</p>
      <p>{PARAGRAPHS[2]}</p>
    </article>
    <aside><h2>Most read</h2><ul><li><a href="/a">Storm closes ferry</a></li></ul></aside>
  </main>
  <footer><p>Copyright 2024 Coastal Times. All rights reserved.</p>
    <p><a href="/privacy">Privacy policy</a> <a href="/cookies">Cookie settings</a></p></footer>
</body>
</html>
"""
EMPTY_PAGE = """<!doctype html><html><head><title>Loading…</title>
<script src="/app.js"></script></head><body><div id="root"></div><script>render()</script></body></html>
"""


@pytest.fixture
def env(env: OpenAIServer) -> OpenAIServer:
    env.responder = echo_answer
    return env


def batch(*argv: str | Path) -> int:
    return cli.main(["batch", *map(str, argv), "--retries", "1"])


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def evidence(line: dict) -> list[dict]:
    summary = line["summary"]
    return [e for key in ("positions", "proposals", "risks", "support_commitments") for item in summary[key]
            for e in item["evidence"]]  # fmt: skip


def assert_grounded_in(line: dict, text: str) -> None:
    found = evidence(line)
    assert found
    for e in found:
        assert text[e["start"] : e["end"]] == e["quote"]


# --------------------------------------------------------------------------- JSON Lines metadata


def test_jsonl_metadata_is_kept_as_the_source_of_ok_and_error_lines(env, tmp_path) -> None:
    env.responder = marked_failures
    meta = {"url": "https://example.org/a", "title": "Harbour plan", "published": "2024-03-05", "source": "Coastal Times"}
    jsonl = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "ok", "text": "Officials met on Monday. They talked.", **meta, "desk": "city", "tags": ["port", "vote"]},
        {"id": "failed", "text": f"Officials met on Tuesday. {FAIL_MARK}.", "url": "https://example.org/b"},
        {"id": "empty", "text": "  ", "title": "Nothing here", "extra": {"nested": 1}},
        {"id": "plain", "text": "Officials met on Friday. They talked."},
    ])  # fmt: skip
    out = tmp_path / "out.jsonl"
    assert batch(jsonl, "-o", out) == BATCH_PARTIAL_FAILURE_EXIT
    by_id = {line["id"]: line for line in lines(out)}
    assert by_id["ok"]["ok"] is True
    assert by_id["ok"]["source"] == {**meta, "desk": "city", "tags": ["port", "vote"]}  # unknown fields kept
    assert list(by_id["ok"])[:4] == ["id", "article_sha256", "source", "ok"]
    assert by_id["failed"]["ok"] is False and by_id["failed"]["source"] == {"url": "https://example.org/b"}
    assert by_id["empty"]["ok"] is False and by_id["empty"]["error"]["type"] == "InputError"
    assert by_id["empty"]["source"] == {"title": "Nothing here", "extra": {"nested": 1}}
    assert "source" not in by_id["plain"]  # nothing known: the line is as before
    assert by_id["ok"]["article_sha256"] == sha("Officials met on Monday. They talked.")  # the text only


def test_oversized_metadata_keeps_the_known_fields_and_says_so(env, tmp_path, capsys) -> None:
    jsonl = write_jsonl(tmp_path / "in.jsonl", [
        {"id": "big", "text": "Officials met on Monday. They talked.", "title": "Harbour plan",
         "url": "https://example.org/a", "blob": "x" * (MAX_SOURCE_BYTES + 1), "other": 1},
    ])  # fmt: skip
    out = tmp_path / "out.jsonl"
    assert batch(jsonl, "-o", out) == 0
    [line] = lines(out)
    source = line["source"]
    assert source["title"] == "Harbour plan" and source["url"] == "https://example.org/a"
    assert "blob" not in source and "other" not in source
    assert "dropped 2 field(s)" in source["capped"]
    assert len(json.dumps(source)) < MAX_SOURCE_BYTES
    assert "note: big: source metadata over" in capsys.readouterr().err


def test_a_record_needs_text_or_html_not_both(env, tmp_path, capsys) -> None:
    jsonl = write_jsonl(tmp_path / "in.jsonl", [{"id": "x", "text": "A text.", "html": PAGE}])
    assert batch(jsonl, "-o", tmp_path / "out.jsonl") == 2
    assert 'in.jsonl:1 needs an "id" and either a "text" or an "html"' in capsys.readouterr().err


# --------------------------------------------------------------------------- HTML pages


def test_extraction_drops_the_boilerplate_and_finds_title_and_date() -> None:
    text, source = extract_html(PAGE, "page")
    for paragraph in PARAGRAPHS:
        assert paragraph in text
    for junk in BOILERPLATE:
        assert junk not in text
    assert source["format"] == "html"
    assert source["title"] == "Portmere council approves harbour plan"
    assert source["published"] == "2024-03-05"
    assert source["url"] == "https://coastal-times.example/news/harbour-plan"


def test_an_html_file_is_summarised_from_its_main_text(env, tmp_path) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "harbour.html").write_text(PAGE, encoding="utf-8")
    (folder / "notes.txt").write_text("Officials met on Monday. They talked.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert batch(folder, "--glob", "*.html", "-o", out) == 0
    [line] = lines(out)  # the glob takes the pages only
    text, _ = extract_html(PAGE, "page")
    assert line["id"] == "harbour" and line["ok"] is True
    assert line["article_sha256"] == sha(text)
    assert line["source"]["format"] == "html"
    assert line["source"]["title"] == "Portmere council approves harbour plan"
    assert line["source"]["published"] == "2024-03-05"
    [sent] = [article_of(r) for r in env.requests]
    assert sent == text and not any(junk in sent for junk in BOILERPLATE)
    assert_grounded_in(line, text)
    assert batch(folder, "--glob", "*.html", "-o", out) == 0  # a re-run finds it finished (same hash)
    assert len(env.requests) == 1 and len(lines(out)) == 1


def test_a_jsonl_html_field_is_read_like_a_page(env, tmp_path) -> None:
    jsonl = write_jsonl(tmp_path / "in.jsonl", [{"id": "p1", "html": PAGE, "source": "Wire feed", "lang": "en"}])
    out = tmp_path / "out.jsonl"
    assert batch(jsonl, "-o", out) == 0
    [line] = lines(out)
    text, _ = extract_html(PAGE, "page")
    assert line["article_sha256"] == sha(text)
    source = line["source"]
    assert source["format"] == "html" and source["title"] == "Portmere council approves harbour plan"
    assert source["source"] == "Wire feed" and source["lang"] == "en"  # the record's fields win and are kept
    assert_grounded_in(line, text)


def test_a_page_with_nothing_to_extract_is_one_error_line(env, tmp_path) -> None:
    (tmp_path / "shell.html").write_text(EMPTY_PAGE, encoding="utf-8")
    jsonl = write_jsonl(tmp_path / "in.jsonl", [{"id": "j", "html": EMPTY_PAGE, "url": "https://example.org/j"}])
    out = tmp_path / "out.jsonl"
    assert batch(tmp_path / "shell.html", jsonl, "-o", out) == BATCH_PARTIAL_FAILURE_EXIT
    found = lines(out)
    assert sorted(line["id"] for line in found) == ["j", "shell"]
    for line in found:
        assert line["ok"] is False and line["error"]["type"] == "InputError"
        assert "no article text could be extracted" in line["error"]["message"]
        assert line["source"]["format"] == "html"
    assert {line["id"]: line["source"].get("url") for line in found}["j"] == "https://example.org/j"
    assert env.requests == []


def test_summarize_reads_a_page_and_the_brief_names_its_source(env, tmp_path) -> None:
    page = tmp_path / "harbour-plan.html"
    page.write_text(PAGE, encoding="utf-8")
    out = tmp_path / "brief.md"
    assert cli.main(["summarize", str(page), "--base-url", env.base_url, "-o", str(out)]) == 0
    brief = out.read_text(encoding="utf-8")
    assert brief.startswith("# Portmere council approves harbour plan\n\nCoastal Times · 2024-03-05 · "
                            "<https://coastal-times.example/news/harbour-plan>\n\n")  # fmt: skip
    assert "Subscribe now" not in brief
    assert not any(junk in article_of(env.requests[0]) for junk in BOILERPLATE)


def test_summarize_json_of_a_page_is_grounded_in_the_extracted_text(env, tmp_path) -> None:
    page = tmp_path / "harbour-plan.htm"
    page.write_text(PAGE, encoding="utf-8")
    out = tmp_path / "brief.json"
    assert cli.main(["summarize", str(page), "--format", "json", "-o", str(out)]) == 0
    summary = json.loads(out.read_text(encoding="utf-8"))
    text, _ = extract_html(PAGE, "page")
    assert_grounded_in({"summary": summary}, text)


def test_summarize_of_an_empty_page_is_an_input_error(env, tmp_path, capsys) -> None:
    page = tmp_path / "shell.html"
    page.write_text(EMPTY_PAGE, encoding="utf-8")
    assert cli.main(["summarize", str(page)]) == 2
    assert "no article text could be extracted" in capsys.readouterr().err
    assert env.requests == []


# --------------------------------------------------------------------------- markup in text files, Markdown


def test_a_txt_that_is_mostly_markup_gets_a_warning(env, tmp_path, capsys) -> None:
    page = tmp_path / "page.txt"
    page.write_text(PAGE, encoding="utf-8")
    assert cli.main(["summarize", str(page), "-o", str(tmp_path / "brief.md")]) == 0
    err = capsys.readouterr().err
    assert f"warning: {page} looks like HTML" in err and "rename it to .html" in err
    out = tmp_path / "out.jsonl"
    assert batch(page, "-o", out) == 0
    err = capsys.readouterr().err
    assert f"note: page: {page} looks like HTML" in err and "rename it to .html" in err


def test_markup_detection() -> None:
    assert looks_like_html("<!DOCTYPE html><p>Officials met.</p>")
    assert looks_like_html("  <html><body>x</body></html>")
    assert looks_like_html("<div><span><b>a</b></span></div> text")  # mostly tags
    assert not looks_like_html("Officials met on Monday. The vote was 3 < 4 and 5 > 2.")
    assert not looks_like_html("A long article " * 50 + "<b>one tag</b>")


def test_plain_text_gets_no_warning_and_markdown_is_read_as_text(env, tmp_path, capsys) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "brief.md").write_text("# Harbour\n\nOfficials met on Monday. They talked.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert batch(folder, "--glob", "*.md", "-o", out) == 0
    [line] = lines(out)
    assert line["id"] == "brief" and line["ok"] is True and "source" not in line
    assert "note:" not in capsys.readouterr().err


# --------------------------------------------------------------------------- rendering, imports


def test_markdown_is_unchanged_without_a_source(env, tmp_path) -> None:
    (tmp_path / "a.txt").write_text("Officials met on Monday. They talked.\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert batch(tmp_path / "a.txt", "-o", out) == 0
    from summarizer.schema import ArticleSummary

    summary = ArticleSummary.model_validate(lines(out)[0]["summary"])
    plain = render.to_markdown(summary)
    assert render.to_markdown(summary, source=None) == plain
    assert render.to_markdown(summary, source={"format": "html"}) == plain  # nothing to name
    assert plain.startswith("# Brief\n\nOfficials met on Monday.")
    named = render.to_markdown(summary, source={"title": "A\ntitle", "url": "https://example.org/a"})
    assert named == plain.replace("# Brief\n\n", "# A title\n\n<https://example.org/a>\n\n", 1)


def test_trafilatura_is_imported_only_when_a_page_is_read() -> None:
    probe = ("import sys\nfrom summarizer.cli import main\nfrom summarizer.batch import articles, plan\n"
             "from summarizer import inputs\nprint('trafilatura' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr
