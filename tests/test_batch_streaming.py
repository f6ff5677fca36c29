"""Streamed batch inputs (issue #10, criterion 5): articles are read as workers take them, never all at once.

A first pass over the inputs keeps only ids: duplicate ids and malformed JSON Lines are refused
before anything is sent, naming where; the finished articles of a resume are found by id and hash;
the progress total is exact. The second pass reads each article when a worker takes it. A JSON
Lines line that turns malformed during the run (the file changed) stops the run with an error naming
the line, keeping every line written; lines appended during the run are left for the next run.
No timing or memory is asserted here (``benchmarks/batch_memory.py`` measures them).
"""

from __future__ import annotations

import asyncio
import io
import json
import threading
from pathlib import Path

import pytest
from openai_server import Answer, OpenAIServer, echo_answer
from test_batch import costly_echo, lines, marked_failures, options, write_articles

from summarizer import cli
from summarizer.batch import articles, dry_run, run_batch
from summarizer.batch.plan import SURVEY_STEP, Stream, asurvey, survey
from summarizer.batch.results import Results
from summarizer.config import Settings
from summarizer.errors import BATCH_PARTIAL_FAILURE_EXIT, InputError


@pytest.fixture
def env(env: OpenAIServer) -> OpenAIServer:
    env.responder = echo_answer
    return env


def batch(*argv: str | Path) -> int:
    return cli.main(["batch", *map(str, argv)])


def record(i: int, text: str | None = None) -> str:
    return json.dumps({"id": f"r{i:02d}", "text": text or f"Article {i} reports that officials met on day {i}. They talked."})


def write_jsonl(path: Path, rows: list[str]) -> Path:
    path.write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def ids(path: Path) -> list[str]:
    return sorted(r["id"] for r in lines(path))


class Reads:
    """Counts the article files read (``articles._from_file``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[Path] = []
        real = articles._from_file

        def counted(path: Path, article_id: str) -> articles.Article:
            self.paths.append(path)
            return real(path, article_id)

        monkeypatch.setattr(articles, "_from_file", counted)


# --------------------------------------------------------------------------- read when taken


def test_articles_are_read_when_a_worker_takes_them_not_before(env, tmp_path, monkeypatch) -> None:
    reads = Reads(monkeypatch)
    read_at_request: list[int] = []

    def watching(request: dict) -> Answer:
        read_at_request.append(len(reads.paths))
        return echo_answer(request)

    env.responder = watching
    write_articles(tmp_path / "in", 8)
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl", options(Settings.from_env(), concurrency=2))
    assert report.succeeded == 8
    assert read_at_request[0] <= 2  # two workers: at most two articles read when the first request arrives
    assert read_at_request == sorted(read_at_request) and read_at_request[-1] == 8
    assert len(reads.paths) == 8  # each once: the first pass of a fresh run reads no article


def test_the_first_pass_of_a_resume_reads_only_articles_with_a_line(env, tmp_path, monkeypatch) -> None:
    write_articles(tmp_path / "in", 6)
    out = tmp_path / "out.jsonl"
    run_batch([str(tmp_path / "in")], out, options(Settings.from_env()))
    out.write_text("".join(json.dumps(r) + "\n" for r in lines(out)[:2]))  # two finished, four to run
    reads = Reads(monkeypatch)
    report = run_batch([str(tmp_path / "in")], out, options(Settings.from_env()))
    assert (report.total, report.skipped, report.succeeded) == (6, 2, 4)
    # each file read once: hashed by the first pass (it has a line: skipped) or read when taken (it has none)
    assert sorted(p.name for p in reads.paths) == [f"a{i:03d}.txt" for i in range(6)]


def test_a_budget_stop_reads_no_further_article(env, tmp_path, monkeypatch, price_file) -> None:
    env.responder = costly_echo
    write_articles(tmp_path / "in", 12)
    reads = Reads(monkeypatch)
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl",
                       options(Settings.from_env(), concurrency=1, max_cost=0.02, prices_file=price_file,
                               max_output_tokens=1000))  # fmt: skip
    assert report.budget_stop is not None and report.succeeded >= 1
    assert len(reads.paths) == report.succeeded + report.failed + 1  # the one refused, and no more
    assert report.succeeded + report.failed + report.not_started == 12


# --------------------------------------------------------------------------- refused before anything is sent


def test_duplicate_ids_are_refused_before_anything_is_sent_naming_both_places(env, tmp_path, capsys) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a/x.txt").write_text("Article 1 reports that officials met. They talked.")
    jsonl = write_jsonl(tmp_path / "more.jsonl", [record(1), json.dumps({"id": "x", "text": "Another article."})])
    out = tmp_path / "out.jsonl"
    assert batch(tmp_path / "a", jsonl, "-o", out) == 2
    err = capsys.readouterr().err
    assert f"two articles share the id 'x' ({tmp_path / 'a/x.txt'} and {jsonl}:2)" in err
    assert not env.requests and not out.exists()
    same_file = write_jsonl(tmp_path / "dup.jsonl", [record(1), record(2), record(1)])
    with pytest.raises(InputError, match=rf"share the id 'r01' \({same_file}:1 and {same_file}:3\)"):
        run_batch([str(same_file)], out, options(Settings.from_env()))
    assert not env.requests and not out.exists()


def test_a_malformed_line_is_refused_before_anything_is_sent_and_the_finished_lines_stay(env, tmp_path, capsys) -> None:
    jsonl = write_jsonl(tmp_path / "articles.jsonl", [record(i) for i in range(3)])
    out = tmp_path / "out.jsonl"
    assert batch(jsonl, "-o", out) == 0
    before, sent = out.read_bytes(), len(env.requests)
    write_jsonl(jsonl, [record(i) for i in range(3)] + [record(3), '{"id": "r04", "text": "cut off', record(5)])
    capsys.readouterr()
    assert batch(jsonl, "-o", out) == 2
    err = capsys.readouterr().err
    assert f"{jsonl}:5 is not valid JSON" in err and "hint:" in err
    assert out.read_bytes() == before and len(env.requests) == sent  # nothing sent, nothing changed
    assert batch(jsonl, "-o", out, "--dry-run", "--model", "gpt-4o-mini") == 2
    assert f"{jsonl}:5 is not valid JSON" in capsys.readouterr().err
    write_jsonl(jsonl, [record(i) for i in range(6)])  # fixed: the resume does the rest
    report = run_batch([str(jsonl)], out, options(Settings.from_env()))
    assert (report.total, report.skipped, report.succeeded) == (6, 3, 3)
    assert ids(out) == [f"r{i:02d}" for i in range(6)]


@pytest.mark.parametrize("bad", [b"\xff\xfe not utf-8\n", b'{"text": "no id"}\n', b"[1, 2]\n"])
def test_every_kind_of_malformed_line_names_its_line(tmp_path, bad: bytes) -> None:
    jsonl = tmp_path / "articles.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + (record(0) + "\n\n" + record(1) + "\n").encode() + bad)
    with pytest.raises(InputError, match=r"articles.jsonl:4 "):
        survey([str(jsonl)], Results(tmp_path / "out.jsonl"))


def test_a_symlink_to_the_output_inside_an_input_directory_is_refused(env, tmp_path, capsys) -> None:
    write_articles(tmp_path / "in", 2)
    out = tmp_path / "out.jsonl"
    assert batch(tmp_path / "in", "-o", out) == 0
    before = out.read_bytes()
    (tmp_path / "in/zz.txt").symlink_to(out)  # found by the walk, not by its name
    capsys.readouterr()
    assert batch(tmp_path / "in", "-o", out) == 2
    err = capsys.readouterr().err
    assert f"-o {out} is one of the inputs ({tmp_path / 'in/zz.txt'})" in err
    assert out.read_bytes() == before


# --------------------------------------------------------------------------- inputs that change during the run


def appending(path: Path, row: str) -> object:
    """A responder that appends ``row`` to ``path`` when the first request arrives (after the first pass)."""
    done = threading.Event()

    def responder(request: dict) -> Answer:
        if not done.is_set():
            done.set()
            with path.open("a", encoding="utf-8") as f:
                f.write(row + "\n")
        return echo_answer(request)

    return responder


def test_a_line_malformed_during_the_run_stops_it_naming_the_line_and_keeps_the_finished_lines(env, tmp_path, capsys) -> None:
    jsonl = write_jsonl(tmp_path / "articles.jsonl", [record(i) for i in range(5)])
    out = tmp_path / "out.jsonl"
    env.responder = appending(jsonl, "not json")
    assert batch(jsonl, "-o", out, "--concurrency", "1") == 2
    err = capsys.readouterr().err
    assert f"{jsonl}:6 is not valid JSON" in err and "changed during the run" in err and "re-run" in err
    assert ids(out) == [f"r{i:02d}" for i in range(5)] and all(r["ok"] for r in lines(out))
    write_jsonl(jsonl, [record(i) for i in range(7)])
    env.responder = echo_answer
    sent = len(env.requests)
    report = run_batch([str(jsonl)], out, options(Settings.from_env()))
    assert (report.skipped, report.succeeded, len(env.requests) - sent) == (5, 2, 2)


def test_lines_appended_during_the_run_are_left_for_the_next_run(env, tmp_path) -> None:
    jsonl = write_jsonl(tmp_path / "articles.jsonl", [record(i) for i in range(4)])
    out = tmp_path / "out.jsonl"
    env.responder = appending(jsonl, record(9))
    stream = io.StringIO()
    report = run_batch([str(jsonl)], out, options(Settings.from_env(), concurrency=1), stream=stream)
    assert (report.total, report.succeeded, report.not_started) == (4, 4, 0)
    assert "1 article(s) appeared in the inputs after the run began; the next run does them" in stream.getvalue()
    env.responder = echo_answer
    again = run_batch([str(jsonl)], out, options(Settings.from_env()))
    assert (again.total, again.skipped, again.succeeded) == (5, 4, 1)
    assert ids(out) == ["r00", "r01", "r02", "r03", "r09"]


def test_an_article_gone_by_its_turn_is_an_error_line(env, tmp_path) -> None:
    paths = write_articles(tmp_path / "in", 4)

    def deleting(request: dict) -> Answer:
        paths[3].unlink(missing_ok=True)
        return echo_answer(request)

    env.responder = deleting
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl", options(Settings.from_env(), concurrency=1))
    assert (report.total, report.succeeded, report.failed) == (4, 3, 1)
    gone = next(r for r in lines(tmp_path / "out.jsonl") if not r["ok"])
    assert gone["id"] == "a003" and "cannot read" in gone["error"]["message"]


# --------------------------------------------------------------------------- resume, progress and the final table


def test_resume_after_a_streamed_run_and_the_progress_total_counts_only_what_runs(env, tmp_path) -> None:
    env.responder = marked_failures
    rows = [record(i) for i in range(10)]
    rows[2] = record(2, "Article 2 is here. PLEASE-FAIL.")
    rows[7] = json.dumps({"id": "r07", "text": ""})  # unreadable: an error line
    jsonl = write_jsonl(tmp_path / "articles.jsonl", rows)
    out = tmp_path / "out.jsonl"
    stream = io.StringIO()
    first = run_batch([str(jsonl)], out, options(Settings.from_env(), concurrency=3), stream=stream)
    assert (first.total, first.succeeded, first.failed, first.skipped) == (10, 8, 2, 0)
    assert "10/10 (100%)" in stream.getvalue().splitlines()[-1]
    assert len(lines(out)) == 10

    rows[2], rows[7] = record(2), record(7)  # fixed; and one finished article changes
    rows[5] = record(5, "Article 5 was rewritten. It says something else now.")
    write_jsonl(jsonl, rows)
    env.responder = echo_answer
    sent = len(env.requests)
    stream = io.StringIO()
    second = run_batch([str(jsonl)], out, options(Settings.from_env(), concurrency=3), stream=stream)
    assert (second.total, second.skipped, second.succeeded, second.failed, second.dropped_lines) == (10, 7, 3, 0, 3)
    assert len(env.requests) - sent == 3
    progress = [line for line in stream.getvalue().splitlines() if "articles/s" in line]
    assert progress and all("/3 (" in line for line in progress) and "3/3 (100%)" in progress[-1]
    table = second.table(out)
    assert "articles                10" in table and "skipped                  7" in table
    assert ids(out) == [f"r{i:02d}" for i in range(10)] and all(r["ok"] for r in lines(out))

    third = run_batch([str(jsonl)], out, options(Settings.from_env()))
    assert (third.total, third.skipped, third.succeeded) == (10, 10, 0)


def test_survey_and_stream_keep_ids_and_read_the_articles_to_run_in_order(tmp_path) -> None:
    jsonl = write_jsonl(tmp_path / "articles.jsonl", [record(i) for i in range(5)])
    out = tmp_path / "out.jsonl"
    done = [{"id": "r01", "article_sha256": articles._sha(json.loads(record(1))["text"].encode()), "ok": True,
             "summary": {"metadata": {}}},
            {"id": "r03", "article_sha256": "0" * 64, "ok": True, "summary": {}}]  # fmt: skip
    out.write_text("".join(json.dumps(r) + "\n" for r in done))
    plan = survey([str(jsonl)], Results(out))
    assert (plan.total, plan.todo, plan.skip, plan.rerun) == (5, 4, {"r01"}, {"r03"})
    assert plan.ids == {f"r{i:02d}" for i in range(5)}
    stream = Stream([str(jsonl)], plan)
    taken = list(stream)
    assert [a.id for a in taken] == ["r00", "r02", "r03", "r04"] and stream.total == 4
    assert [a.text for a in taken] == [json.loads(record(i))["text"] for i in (0, 2, 3, 4)]
    assert stream.failure is None and stream.late == 0


def test_dry_run_counts_what_the_run_would_do(env, tmp_path) -> None:
    jsonl = write_jsonl(tmp_path / "articles.jsonl", [record(i) for i in range(6)] + ['{"id": "e", "text": " "}'])
    out = tmp_path / "out.jsonl"
    plan = dry_run([str(jsonl)], out, options(Settings.from_env()))
    assert (plan.total, plan.todo, plan.unreadable, plan.calls) == (7, 7, 1, 6)
    run_batch([str(jsonl)], out, options(Settings.from_env()))
    again = dry_run([str(jsonl)], out, options(Settings.from_env()))
    assert (again.total, again.todo, again.unreadable, again.calls) == (7, 1, 1, 0)


def test_unreadable_articles_still_become_error_lines(env, tmp_path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in/good.txt").write_text("Article 1 reports that officials met. They talked.")
    (tmp_path / "in/bad.txt").write_bytes(b"caf\xe9 is not UTF-8")
    jsonl = write_jsonl(tmp_path / "articles.jsonl", [json.dumps({"id": "n", "text": 5})])
    out = tmp_path / "out.jsonl"
    assert batch(tmp_path / "in", jsonl, "-o", out) == BATCH_PARTIAL_FAILURE_EXIT
    by_id = {r["id"]: r for r in lines(out)}
    assert by_id["good"]["ok"] and not by_id["bad"]["ok"] and not by_id["n"]["ok"]
    assert "not valid UTF-8" in by_id["bad"]["error"]["message"] and "must be text" in by_id["n"]["error"]["message"]


def test_ctrl_c_lands_during_the_first_pass_however_long_the_inputs(tmp_path) -> None:
    jsonl = write_jsonl(tmp_path / "articles.jsonl", [record(i) for i in range(4 * SURVEY_STEP)])

    async def cancelled_early() -> None:
        task = asyncio.create_task(asurvey([str(jsonl)], Results(tmp_path / "out.jsonl")))
        await asyncio.sleep(0)  # the survey runs up to its first pause
        task.cancel()  # what Ctrl-C does to the run
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancelled_early())
    plan = asyncio.run(asurvey([str(jsonl)], Results(tmp_path / "out.jsonl")))  # left alone, it walks them all
    assert (plan.total, plan.todo) == (4 * SURVEY_STEP, 4 * SURVEY_STEP)
