"""Batch runs: inputs, one whole line per article, failures as lines, resume, budget, dry run, Ctrl-C."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx2
import pytest
from openai_server import Answer, Fault, OpenAIServer, article_of, echo_answer

from summarizer import cli
from summarizer.batch import Options, collect, dry_run, run_batch, workers
from summarizer.batch.ledger import worst_case_tokens
from summarizer.capture import capture
from summarizer.config import Settings
from summarizer.errors import BATCH_PARTIAL_FAILURE_EXIT, InputError
from summarizer.prices import Price
from summarizer.schema import ArticleSummary
from summarizer.transport import RetryPolicy

ROOT = Path(__file__).resolve().parent.parent
FAST = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05)
FAIL_MARK = "PLEASE-FAIL"


def batch_main(*argv: str) -> int:
    return cli.main(["batch", *argv])


def write_articles(folder: Path, n: int, *, fail: set[int] = frozenset(), prefix: str = "a") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        mark = f" {FAIL_MARK}." if i in fail else ""
        path = folder / f"{prefix}{i:03d}.txt"
        path.write_text(f"Article {i} reports that officials met on day {i}. They talked.{mark}\n", encoding="utf-8")
        paths.append(path)
    return paths


def marked_failures(request: dict) -> Answer | Fault:
    if FAIL_MARK in article_of(request):
        return Fault(400, body='{"error": {"message": "injected bad request"}}')
    return echo_answer(request)


def lines(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw == b"" or raw.endswith(b"\n")
    return [json.loads(line) for line in raw.splitlines()]


def options(settings: Settings, **kw) -> Options:
    return Options(settings=settings, retry=FAST, timeout=5.0, **kw)




# --------------------------------------------------------------------------- inputs


def test_directories_are_searched_recursively_and_ids_are_relative_paths_without_extension(tmp_path) -> None:
    (tmp_path / "in/sub/deeper").mkdir(parents=True)
    (tmp_path / "in/.git").mkdir()
    (tmp_path / "in/one.txt").write_text("One.")
    (tmp_path / "in/sub/two.md").write_text("Two.")
    (tmp_path / "in/sub/deeper/three.txt").write_text("Three.")
    (tmp_path / "in/SOURCES.md").write_text("Attribution, not an article.")
    (tmp_path / "in/notes.json").write_text("{}")  # not an article
    (tmp_path / "in/.git/HEAD.txt").write_text("hidden")
    (tmp_path / "in/.draft.txt").write_text("hidden")
    single = tmp_path / "single.md"
    single.write_text("Single.")
    found = collect([str(tmp_path / "in"), str(single)])
    assert [a.id for a in found] == ["one", "sub/deeper/three", "single"]  # a file named directly is always taken
    assert found[0].sha256 == hashlib.sha256(b"One.").hexdigest()
    found = collect([str(tmp_path / "in")], patterns=("*.txt", "two.*"))
    assert [a.id for a in found] == ["one", "sub/deeper/three", "sub/two"]


def test_batch_glob_option_chooses_the_files_taken_from_directories(tmp_path, capsys) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in/a.md").write_text("An article in Markdown.")
    (tmp_path / "in/README.md").write_text("Not an article.")
    out = tmp_path / "out.jsonl"
    assert cli.main(["batch", str(tmp_path / "in"), "-o", str(out), "--dry-run", "--model", "gpt-4o-mini"]) == 2
    assert "--glob" in capsys.readouterr().err
    assert cli.main(["batch", str(tmp_path / "in"), "-o", str(out), "--dry-run", "--model", "gpt-4o-mini",
                 "--glob", "a.*", "--glob", "*.txt"]) == 0  # fmt: skip
    assert "0 already done, 1 to run" in capsys.readouterr().out


def test_jsonl_input_supplies_ids_and_texts(tmp_path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text('{"id": "x1", "text": "First."}\n\n{"id": 7, "text": "Second."}\n{"id": "e", "text": "  "}\n')
    found = collect([str(path)])
    assert [(a.id, a.text) for a in found] == [("x1", "First."), ("7", "Second."), ("e", None)]
    assert found[2].problem == "the article is empty"


@pytest.mark.parametrize("line", ['{"id": "x"}', "not json", '["id", "text"]'])
def test_malformed_jsonl_line_is_bad_input_naming_the_line(tmp_path, line: str) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text('{"id": "ok", "text": "Fine."}\n' + line + "\n")
    with pytest.raises(InputError, match=r"articles.jsonl:2"):
        collect([str(path)])


def test_duplicate_ids_missing_inputs_and_empty_inputs_are_bad_input(tmp_path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a/x.txt").write_text("A.")
    (tmp_path / "b/x.txt").write_text("B.")
    with pytest.raises(InputError, match="share the id 'x'"):
        collect([str(tmp_path / "a"), str(tmp_path / "b")])
    with pytest.raises(InputError, match="does not exist"):
        collect([str(tmp_path / "nope")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no articles"):
        collect([str(tmp_path / "empty")])


# --------------------------------------------------------------------------- running


def test_batch_writes_one_valid_line_per_article_and_exits_zero(env, tmp_path, capsys) -> None:
    env.responder = echo_answer
    write_articles(tmp_path / "in", 6)
    out = tmp_path / "out.jsonl"
    assert batch_main(str(tmp_path / "in"), "-o", str(out), "--concurrency", "3") == 0
    records = lines(out)
    assert sorted(r["id"] for r in records) == [f"a{i:03d}" for i in range(6)]
    for record in records:
        assert set(record) == {"id", "article_sha256", "ok", "summary"} and record["ok"] is True
        summary = ArticleSummary.model_validate(record["summary"])
        text = (tmp_path / "in" / f"{record['id']}.txt").read_text()
        assert record["article_sha256"] == summary.metadata.article_sha256 == hashlib.sha256(text.encode()).hexdigest()
    err = capsys.readouterr().err
    for label in ("succeeded", "failed", "tokens", "cost", "wall time", "6/6"):
        assert label in err


def test_a_failed_article_is_an_error_line_and_the_rest_still_run(env, tmp_path, capsys) -> None:
    env.responder = marked_failures
    write_articles(tmp_path / "in", 5, fail={1, 3})
    (tmp_path / "in/binary.txt").write_bytes(b"\x00\x01\x02")
    out = tmp_path / "out.jsonl"
    assert batch_main(str(tmp_path / "in"), "-o", str(out)) == BATCH_PARTIAL_FAILURE_EXIT
    by_id = {r["id"]: r for r in lines(out)}
    assert len(by_id) == 6
    assert [i for i, r in sorted(by_id.items()) if not r["ok"]] == ["a001", "a003", "binary"]
    assert by_id["a001"]["error"]["type"] == "ProviderError" and "HTTP 400" in by_id["a001"]["error"]["message"]
    assert by_id["binary"]["error"]["type"] == "InputError" and "binary" in by_id["binary"]["error"]["message"]
    assert set(by_id["a001"]) == {"id", "article_sha256", "ok", "error"}
    err = capsys.readouterr().err
    assert "failed: a001: ProviderError" in err


def test_template_syntax_in_an_article_reaches_the_model_verbatim(env, tmp_path) -> None:
    env.responder = echo_answer
    (tmp_path / "in").mkdir()
    (tmp_path / "in/t1.txt").write_text("The minister said {{ 7*7 }} times that talks continue. More later.\n")
    (tmp_path / "in/t2.txt").write_text("Officials said {% the deal %} is near. More later.\n")
    out = tmp_path / "out.jsonl"
    assert batch_main(str(tmp_path / "in"), "-o", str(out)) == 0
    assert {article_of(r) for r in env.requests} == {p.read_text() for p in (tmp_path / "in").iterdir()}
    quotes = {r["id"]: r["summary"]["positions"][0]["evidence"][0]["quote"] for r in lines(out)}
    assert quotes == {"t1": "The minister said {{ 7*7 }} times that talks continue.",
                      "t2": "Officials said {% the deal %} is near."}  # fmt: skip


def test_rerun_skips_finished_articles_and_retries_failed_ones(env, tmp_path) -> None:
    env.responder = marked_failures
    paths = write_articles(tmp_path / "in", 6, fail={2, 4})
    out = tmp_path / "out.jsonl"
    first = run_batch([str(tmp_path / "in")], out, options(Settings.from_env()))
    assert (first.succeeded, first.failed) == (4, 2)
    for i in (2, 4):  # fix the inputs... no: the same inputs, and the server recovers
        paths[i].write_text(paths[i].read_text())
    env.responder = echo_answer
    before = len(env.requests)
    second = run_batch([str(tmp_path / "in")], out, options(Settings.from_env()))
    assert (second.skipped, second.succeeded, second.failed) == (4, 2, 0)
    assert len(env.requests) - before == 2  # only the failed ones were asked again
    records = lines(out)
    assert len(records) == 6 and all(r["ok"] for r in records)  # their error lines were replaced
    assert sorted(r["id"] for r in records) == [f"a{i:03d}" for i in range(6)]


def test_a_changed_article_runs_again_and_lines_of_other_inputs_are_kept(env, tmp_path) -> None:
    env.responder = echo_answer
    paths = write_articles(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    other = {"id": "elsewhere", "article_sha256": "0" * 64, "ok": False, "error": {"type": "X", "message": "m"}}
    out.write_text(json.dumps(other) + "\n")
    run_batch([str(tmp_path / "in")], out, options(Settings.from_env()))
    paths[1].write_text("Article 1 was rewritten. It now says something else.\n")
    report = run_batch([str(tmp_path / "in")], out, options(Settings.from_env()))
    assert (report.skipped, report.succeeded) == (2, 1)
    records = lines(out)
    assert records[0] == other
    assert sorted(r["id"] for r in records) == ["a000", "a001", "a002", "elsewhere"]
    new = next(r for r in records if r["id"] == "a001")
    assert new["article_sha256"] == hashlib.sha256(paths[1].read_bytes()).hexdigest()


def test_a_half_written_last_line_from_a_crash_is_dropped_on_resume(env, tmp_path) -> None:
    env.responder = echo_answer
    write_articles(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    run_batch([str(tmp_path / "in")], out, options(Settings.from_env()))
    whole = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(whole[:2]) + whole[2][:40])  # the machine died mid-line
    report = run_batch([str(tmp_path / "in")], out, options(Settings.from_env()))
    assert (report.skipped, report.succeeded, report.dropped_lines) == (2, 1, 0)
    torn = json.loads(whole[2])["id"]
    assert report.repaired is not None and f"torn last line (of article {torn!r}, 40 bytes)" in report.repaired
    assert len(lines(out)) == 3


def test_workers_share_one_engine_and_run_concurrently(env, tmp_path, monkeypatch) -> None:
    built = []
    real_build = workers.build_engine
    monkeypatch.setattr(workers, "build_engine", lambda *a, **kw: built.append(kw) or real_build(*a, **kw))
    inflight = peak = 0
    lock = threading.Lock()

    def slow_echo(request: dict) -> Answer:
        nonlocal inflight, peak
        with lock:
            inflight += 1
            peak = max(peak, inflight)
        threading.Event().wait(0.05)
        with lock:
            inflight -= 1
        return echo_answer(request)

    env.responder = slow_echo
    write_articles(tmp_path / "in", 12)
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl", options(Settings.from_env(), concurrency=4))
    assert report.succeeded == 12
    assert len(built) == 1 and built[0]["is_async"] is True
    assert 1 < peak <= 4


def test_tokens_of_failed_attempts_and_failed_articles_are_counted(env, tmp_path, price_file) -> None:
    bad = {"summary": "s", "actors": [], "proposals": [], "risks": [], "support_commitments": [],
           "positions": [{"actor": "X", "topic": "t", "stance": "neutral", "statement": "s",
                          "evidence": ["this quote is nowhere in the article at all"]}]}  # fmt: skip
    env.responder = lambda request: Answer(bad)  # never grounded: re-asked, then fails under --strict
    write_articles(tmp_path / "in", 2)
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl",
                       options(Settings.from_env(), strict=True, max_reasks=2, prices_file=price_file))  # fmt: skip
    assert report.failed == 2
    assert report.attempts == 6 == len(env.requests)
    assert report.usage.total_tokens == 6 * 150
    assert report.cost == pytest.approx((6 * 100 * 1.0 + 6 * 50 * 2.0) / 1e6)


# --------------------------------------------------------------------------- budget and dry run


def costly_echo(request: dict) -> Answer:
    answer = echo_answer(request)
    answer.usage = (2000, 500)  # about what a real model would bill for these articles
    return answer


def test_max_cost_stops_starting_articles_and_says_so(env, tmp_path, price_file, capsys) -> None:
    env.responder = costly_echo
    write_articles(tmp_path / "in", 8)
    out = tmp_path / "out.jsonl"
    texts = [p.read_text() for p in sorted((tmp_path / "in").glob("*.txt"))]
    bodies = [b[0] for b in capture(Settings.from_env(), "tools", texts, max_output_tokens=1000)]
    worst = max(Price(1.0, 2.0).cost(*worst_case_tokens(httpx2.Request("POST", "http://x/", json=b))) for b in bodies)
    per_article = Price(1.0, 2.0).cost(2000, 500)  # what costly_echo bills
    # the first article starts (its worst case fits), so does the second (one article spent + a worst case
    # fits), the third does not (two spent + a worst case > budget)
    budget = worst + 1.5 * per_article
    code = batch_main(str(tmp_path / "in"), "-o", str(out), "--concurrency", "1", "--max-output-tokens", "1000",
                      "--max-cost", f"{budget:.6f}", "--prices", str(price_file))  # fmt: skip
    assert code == 8
    err = capsys.readouterr().err
    assert "stopped before exceeding --max-cost" in err and "not started" in err
    done = lines(out)
    assert len(done) == 2 and all(r["ok"] for r in done)
    # a bigger budget resumes with the rest
    assert batch_main(str(tmp_path / "in"), "-o", str(out), "--max-cost", "1", "--prices", str(price_file)) == 0
    assert len(lines(out)) == 8


def test_max_cost_needs_a_price_for_the_model(env, tmp_path) -> None:
    write_articles(tmp_path / "in", 1)
    code = batch_main(str(tmp_path / "in"), "-o", str(tmp_path / "out.jsonl"), "--max-cost", "1")
    assert code == 3 and not (tmp_path / "out.jsonl").exists()


def test_dry_run_prices_offline_and_writes_nothing(tmp_path, monkeypatch, capsys) -> None:
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SUMMARIZER_MODEL"):
        monkeypatch.delenv(key, raising=False)
    write_articles(tmp_path / "in", 4)
    out = tmp_path / "out.jsonl"
    code = batch_main(str(tmp_path / "in"), "-o", str(out), "--dry-run", "--model", "gpt-4o-mini",
                      "--base-url", "http://127.0.0.1:9/v1", "--max-input-tokens", "1000")  # fmt: skip
    assert code == 0 and not out.exists()
    printed = capsys.readouterr().out
    assert "dry run (gpt-4o-mini" in printed and "nothing was sent" in printed
    assert "estimated cost" in printed and "$" in printed and "4 to run" in printed


def test_dry_run_estimate_matches_the_price_table(tmp_path, price_file) -> None:
    write_articles(tmp_path / "in", 3)
    plain = dry_run([str(tmp_path / "in")], tmp_path / "o.jsonl", Options(Settings(model="test-model"), prices_file=price_file))
    assert plain.calls == 3 and plain.prompt_tokens == plain.article_tokens + 3 * plain.overhead_tokens
    assert plain.cost == pytest.approx((plain.prompt_tokens * 1.0 + plain.completion_tokens * 2.0) / 1e6)
    via_batch = dry_run([str(tmp_path / "in")], tmp_path / "o.jsonl",
                        Options(Settings(model="test-model"), prices_file=price_file, openai_batch=True))  # fmt: skip
    assert via_batch.cost == pytest.approx(plain.cost / 2)


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_leaves_a_valid_file_and_the_rerun_finishes(tmp_path) -> None:
    with OpenAIServer(responder=echo_answer, latency=0.1) as server:
        write_articles(tmp_path / "in", 30)
        out = tmp_path / "out.jsonl"
        argv = [sys.executable, "-m", "summarizer", "batch", str(tmp_path / "in"), "-o", str(out), "--concurrency", "2",
                "--base-url", server.base_url, "--model", "test-model"]  # fmt: skip
        env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
        child = subprocess.Popen(argv, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while (not out.exists() or len(out.read_bytes().splitlines()) < 4) and time.monotonic() < deadline:
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
        assert child.returncode == 130, err
        assert "interrupted" in err and "re-run the same command to resume" in err
        first = lines(out)  # every line whole and valid
        assert 4 <= len(first) < 30 and all(r["ok"] for r in first)
        rerun = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, rerun.stderr
        final = lines(out)
        assert sorted(r["id"] for r in final) == [f"a{i:03d}" for i in range(30)]
        assert f"resuming: {len(first)} article(s) already done" in rerun.stderr
