"""--openai-batch: capture, upload, create, poll, download, validate, re-ask; against the local server."""

import asyncio
import hashlib
import json
import threading
from pathlib import Path

import pytest
from openai_server import Answer, Fault, article_of, echo_answer

from summarizer.batch import Options, arun_batch, openai_batch, run_batch
from summarizer.capture import capture
from summarizer.client import build_engine
from summarizer.config import Settings
from summarizer.errors import ConfigError
from summarizer.orchestrator import run
from summarizer.schema import ArticleSummary
from summarizer.transport import RetryPolicy

FAST = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05)
LONGEST = Path(__file__).resolve().parent.parent / "evals/articles/27_wh_gaza_ceasefire_bridging_proposal_call.txt"


def write_articles(folder: Path, n: int) -> None:
    folder.mkdir()
    for i in range(n):
        (folder / f"b{i:02d}.txt").write_text(f"Minister {i} announced a plan on Tuesday. Critics objected.\n")


def options(settings: Settings, **kw) -> Options:
    return Options(settings=settings, retry=FAST, timeout=5.0, openai_batch=True, poll_interval=0.01, **kw)


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


@pytest.mark.parametrize("mode", ["tools", "json_schema", "md_json"])
def test_captured_request_is_exactly_what_the_pipeline_sends(server, settings, seed_text, mode) -> None:
    server.responder = echo_answer
    run(build_engine(settings, mode=mode), seed_text)
    assert capture(settings, mode, [seed_text]) == [[server.requests[0]]]


def test_capture_of_a_long_article_has_one_request_per_chunk(settings) -> None:
    from summarizer.chunking import split

    text = LONGEST.read_text(encoding="utf-8")
    [bodies] = capture(settings, "tools", [text], max_input_tokens=1000)
    assert len(bodies) == len(split(text, 1000, settings.model)) > 1
    assert len({openai_batch.key(b) for b in bodies}) == len(bodies)


def test_batch_api_answers_every_first_attempt_and_each_is_validated(server, settings, tmp_path) -> None:
    server.responder = echo_answer
    write_articles(tmp_path / "in", 5)
    out = tmp_path / "out.jsonl"
    report = run_batch([str(tmp_path / "in")], out, options(settings))
    assert (report.succeeded, report.failed) == (5, 0)
    assert server.requests == []  # nothing went live
    assert len(server.batch_requests) == 5 and len(server.batches) == 1
    uploaded = next(f for f in server.files.values() if f["purpose"] == "batch")
    lines = [json.loads(line) for line in uploaded["data"].splitlines()]
    assert {line["url"] for line in lines} == {"/v1/chat/completions"}
    assert all(line["custom_id"] == openai_batch.key(line["body"]) for line in lines)
    for record in records(out):
        summary = ArticleSummary.model_validate(record["summary"])
        text = (tmp_path / "in" / f"{record['id']}.txt").read_text()
        assert record["article_sha256"] == hashlib.sha256(text.encode()).hexdigest()
        ev = summary.positions[0].evidence[0]
        assert text[ev.start : ev.end] == ev.quote  # grounded like any live answer
        assert summary.metadata.attempts == 1
    assert not openai_batch.state_path(out).exists()


def test_ungrounded_batch_answers_are_reasked_synchronously(server, settings, tmp_path) -> None:
    def responder(request: dict) -> Answer:
        if len(request["messages"]) == 2:  # a first attempt: answer with a quote the article lacks
            answer = echo_answer(request)
            answer.data["positions"][0]["evidence"] = ["a sentence that the article never contains"]
            return answer
        return echo_answer({"messages": request["messages"][:2]})  # a re-ask: answer properly

    server.responder = responder
    write_articles(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    report = run_batch([str(tmp_path / "in")], out, options(settings))
    assert (report.succeeded, report.failed) == (3, 0)
    assert len(server.batch_requests) == 3
    assert len(server.requests) == 3 and all(len(r["messages"]) > 2 for r in server.requests)
    assert "not in the article" in json.dumps(server.requests[0]["messages"][-1])
    for record in records(out):
        assert record["summary"]["metadata"]["attempts"] == 2
        assert record["summary"]["metadata"]["warnings"] == []


def test_requests_the_job_failed_run_live(server, settings, tmp_path) -> None:
    seen: set[str] = set()
    lock = threading.Lock()

    def responder(request: dict) -> Answer | Fault:
        text = article_of(request)
        with lock:
            first = text not in seen
            seen.add(text)
        if first and ("Minister 1 " in text or "Minister 3 " in text):
            return Fault(500)
        return echo_answer(request)

    server.responder = responder
    write_articles(tmp_path / "in", 4)
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl", options(settings))
    assert (report.succeeded, report.failed) == (4, 0)
    assert len(server.requests) == 2  # the two failed in the job, then succeeded live


def test_a_failed_job_falls_back_to_live_calls(server, settings, tmp_path) -> None:
    server.responder = echo_answer
    server.batch_outcome = "failed"
    write_articles(tmp_path / "in", 3)
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl", options(settings))
    assert (report.succeeded, len(server.requests)) == (3, 3)


def test_interrupted_wait_resumes_the_same_job_instead_of_paying_twice(server, settings, tmp_path) -> None:
    server.responder = echo_answer
    server.batch_polls = 10**9  # the job never finishes while we wait
    write_articles(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    state = openai_batch.state_path(out)

    async def interrupted() -> object:
        task = asyncio.create_task(arun_batch([str(tmp_path / "in")], out, options(settings)))
        for _ in range(2000):
            if state.exists():
                break
            await asyncio.sleep(0.005)
        task.cancel()  # what Ctrl-C does to the run
        return await task

    report = asyncio.run(interrupted())
    assert report.interrupted and report.not_started == 3
    assert json.loads(state.read_text())["batches"] == ["batch_1"]
    assert out.read_bytes() == b""

    server.batch_polls = 0
    report = run_batch([str(tmp_path / "in")], out, options(settings))
    assert (report.succeeded, len(server.batches), len(server.requests)) == (3, 1, 0)
    assert not state.exists()


def test_budget_limits_what_is_submitted(server, settings, tmp_path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"models": {"test-model": {"input": 1.0, "output": 2.0}}}))
    server.responder = echo_answer
    write_articles(tmp_path / "in", 6)
    from summarizer.batch import dry_run

    estimate = dry_run([str(tmp_path / "in")], tmp_path / "o.jsonl", options(settings, prices_file=prices))
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl",
                       options(settings, prices_file=prices, max_cost=estimate.cost / 6 * 2.5))  # fmt: skip
    assert (report.succeeded, report.not_started) == (2, 4)
    assert report.budget_stop is not None
    assert len(server.batch_requests) == 2


def test_batch_usage_is_priced_at_the_discount(server, settings, tmp_path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"models": {"test-model": {"input": 1.0, "output": 2.0}}, "batch_discount": 0.5}))
    server.responder = echo_answer
    write_articles(tmp_path / "in", 2)
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl", options(settings, prices_file=prices))
    assert report.cost == pytest.approx(2 * (100 * 1.0 + 50 * 2.0) / 1e6 * 0.5)


def test_openai_batch_excludes_replay_and_record(settings, tmp_path) -> None:
    write_articles(tmp_path / "in", 1)
    with pytest.raises(ConfigError, match="--openai-batch"):
        run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl", options(settings, record=tmp_path / "rec"))
