"""Whatever the server does, a request ends promptly with one line that says what the server did.

Real servers on 127.0.0.1: a hostile one (tests/hostile_server.py: dribbling, endless, huge, deeply
nested, HTML, key-echoing) and the OpenAI-compatible test server for bad usage and budget runs.
The thread/``wait_for`` limits below only stop a hung test; they assert no timing.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from answers import seed_answer
from conftest import ROOT, SEED
from hostile_server import Hostile
from openai_server import Answer, Fault, OpenAIServer, Raw, completion, echo_answer

from summarizer.batch import Options, run_batch
from summarizer.client import build_engine
from summarizer.config import Settings
from summarizer.errors import ConfigError, ProviderError
from summarizer.orchestrator import arun, run
from summarizer.prices import Price
from summarizer.transport import RetryPolicy

SECRET = "sk-test-hostile-secret-0123456789abcdef"
ONCE = RetryPolicy(attempts=1)
HANG_GUARD_S = 60.0  # a test stuck this long has hung; no test asserts a duration

EXPECTED = {
    "dribble": "did not finish answering within --timeout",
    "endless": "larger than 1,048,576 bytes",
    "huge": "larger than 1,048,576 bytes",
    "nested": "JSON nested too deeply",
    "html": "text/html, not a chat completion",
}


def _engine(base_url: str, is_async: bool) -> Any:
    settings = Settings(model="test-model", base_url=base_url, api_key=SECRET)
    return build_engine(settings, is_async=is_async, timeout=2.0, max_response_bytes=1 << 20, retry=ONCE)


def _in_thread(call: Any) -> BaseException | Any:
    """Run ``call`` in a thread; its result or exception (a guard against hanging, not a timing check)."""
    out: list[Any] = []

    def target() -> None:
        try:
            out.append(call())
        except BaseException as err:
            out.append(err)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(HANG_GUARD_S)
    assert out, "the call hung"
    return out[0]


@pytest.mark.parametrize("behaviour", sorted(EXPECTED))
def test_hostile_server_ends_a_sync_call_with_what_the_server_did(behaviour: str, seed_text: str) -> None:
    with Hostile(behaviour) as hostile:
        err = _in_thread(lambda: run(_engine(hostile.base_url, is_async=False), seed_text))
    assert isinstance(err, ProviderError), repr(err)
    assert EXPECTED[behaviour] in str(err) and "\n" not in str(err)
    assert "cannot reach" not in str(err) and err.hint != ProviderError.default_hint  # reached: no "is it up?" hint


@pytest.mark.parametrize("behaviour", sorted(EXPECTED))
async def test_hostile_server_ends_an_async_call_with_what_the_server_did(behaviour: str, seed_text: str) -> None:
    with Hostile(behaviour) as hostile, pytest.raises(ProviderError) as caught:
        await asyncio.wait_for(arun(_engine(hostile.base_url, is_async=True), seed_text), HANG_GUARD_S)
    assert EXPECTED[behaviour] in str(caught.value) and "cannot reach" not in str(caught.value)


def _write_articles(folder: Path, n: int) -> None:
    folder.mkdir()
    for i in range(n):
        (folder / f"a{i}.txt").write_text(f"Minister {i} announced a plan on Tuesday. Critics objected.\n")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZER_"))}, **(env or {})}
    return subprocess.run([sys.executable, "-m", "summarizer", *args], cwd=ROOT, env=full, capture_output=True,
                          text=True, timeout=HANG_GUARD_S * 2)  # fmt: skip


@pytest.mark.parametrize("behaviour", ["dribble", "html", "nested"])
def test_batch_against_a_hostile_server_fails_each_article_on_one_line_and_exits_9(behaviour: str, tmp_path) -> None:
    _write_articles(tmp_path / "in", 2)
    out = tmp_path / "out.jsonl"
    with Hostile(behaviour) as hostile:
        done = _cli("batch", str(tmp_path / "in"), "-o", str(out), "--timeout", "2", "--retries", "1",
                    env={"OPENAI_API_KEY": SECRET, "OPENAI_BASE_URL": hostile.base_url, "SUMMARIZER_MODEL": "m"})  # fmt: skip
    assert done.returncode == 9, done.stderr
    assert "Traceback" not in done.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 2 and not any(r["ok"] for r in lines)
    assert all(EXPECTED[behaviour] in r["error"]["message"] for r in lines)


def test_a_server_echoing_the_key_leaks_it_nowhere(tmp_path) -> None:
    _write_articles(tmp_path / "in", 1)
    env = {"OPENAI_API_KEY": SECRET, "SUMMARIZER_MODEL": "m"}
    with Hostile("echo_key") as hostile:
        env["OPENAI_BASE_URL"] = hostile.base_url
        one = _cli("summarize", str(SEED), "--record", str(tmp_path / "rec"), env=env)
        many = _cli("batch", str(tmp_path / "in"), "-o", str(tmp_path / "out.jsonl"), env=env)
        assert hostile.seen_auth and all(SECRET in a for a in hostile.seen_auth)  # the server did see it
    assert one.returncode == 4 and "rejected the API key" in one.stderr
    assert many.returncode == 9
    written = [p.read_text() for p in (tmp_path / "rec").rglob("*.json")] + [(tmp_path / "out.jsonl").read_text()]
    assert len(written) == 2, "the 401 exchange is recorded, scrubbed"
    for text in [one.stdout, one.stderr, many.stdout, many.stderr, *written]:
        assert SECRET not in text and SECRET[8:24] not in text
    assert "Incorrect API key provided: ***" in written[0]


def _completion_with_usage(request: dict[str, Any], usage: Any) -> Raw:
    body = completion(request, Answer(seed_answer()))
    if usage is None:
        del body["usage"]
    else:
        body["usage"] = usage
    return Raw(json.dumps(body))


@pytest.mark.parametrize(
    ("usage", "complaint"),
    [
        ({"prompt_tokens": -5, "completion_tokens": 10, "total_tokens": 5}, "negative prompt_tokens"),
        ({"prompt_tokens": 100, "completion_tokens": 2.5, "total_tokens": 102.5}, "invalid completion_tokens"),
        ({"prompt_tokens": "100", "completion_tokens": 5, "total_tokens": 105}, "invalid prompt_tokens"),
        ({"prompt_tokens": 10**12, "completion_tokens": 5, "total_tokens": 10**12 + 5}, "absurd prompt_tokens"),
        ({"prompt_tokens": 100, "completion_tokens": 90_000, "total_tokens": 90_100}, "90,000 completion tokens for a cap"),
    ],
)
def test_bad_usage_fails_the_article_clearly(server: OpenAIServer, settings: Settings, seed_text: str,
                                             usage: dict[str, Any], complaint: str) -> None:  # fmt: skip
    server.responder = lambda request: _completion_with_usage(request, usage)
    with pytest.raises(ProviderError, match=complaint):
        run(build_engine(settings, retry=ONCE), seed_text)


def test_missing_usage_is_estimated_offline_and_marked(server: OpenAIServer, settings: Settings, seed_text: str) -> None:
    server.responder = lambda request: _completion_with_usage(request, None)
    summary = run(build_engine(settings, retry=ONCE), seed_text)
    usage = summary.metadata.usage
    assert summary.metadata.usage_estimated is True
    assert usage.prompt_tokens > 1000 and usage.completion_tokens > 50  # the prompt and the answer, counted


def test_context_length_exceeded_says_the_article_is_too_long(server: OpenAIServer, settings: Settings,
                                                              seed_text: str) -> None:  # fmt: skip
    message = "This model's maximum context length is 128000 tokens. However, your messages resulted in 190000 tokens."
    body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "code": "context_length_exceeded"}})
    server.enqueue(Fault(400, body=body))
    with pytest.raises(ProviderError, match="too long for test-model's context window") as caught:
        run(build_engine(settings, retry=ONCE), seed_text)
    assert "--max-input-tokens" in caught.value.hint and "base" not in caught.value.hint


def test_an_invalid_base_url_is_a_one_line_configuration_error() -> None:
    for url in ("not a url", "ftp://example.com/v1", "http://", "http://localhost:99999/v1"):
        with pytest.raises(ConfigError, match="not an http"):
            build_engine(Settings(model="m", base_url=url, api_key=SECRET))
    done = _cli("summarize", str(SEED), "--base-url", "localhost:11434", env={"OPENAI_API_KEY": SECRET})
    assert done.returncode == 3 and len(done.stderr.strip().splitlines()) == 2  # the error and its hint


# --------------------------------------------------------------------------- the budget is a ceiling


def _reasking(request: dict[str, Any]) -> Answer:
    """Every article's first answer quotes something not in it (a re-ask), the second is grounded."""
    echoed = echo_answer(request)
    echoed.usage = (3000, 800)
    if len(request["messages"]) <= 2:
        data = echoed.data
        data["positions"][0]["evidence"] = ["a sentence that is not in the article at all"]
        return Answer(data, usage=(3000, 800))
    return echoed


@pytest.mark.parametrize("concurrency", [1, 16])
def test_spend_never_exceeds_max_cost_at_any_concurrency_with_reasks(server: OpenAIServer, settings: Settings,
                                                                     tmp_path, concurrency: int) -> None:  # fmt: skip
    server.responder = _reasking
    _write_articles(tmp_path / "in", 24)
    price_file = tmp_path / "prices.json"
    price_file.write_text(json.dumps({"models": {"test-model": {"input": 1.0, "output": 4.0}}}))
    budget = 0.06  # each article bills 2 × (3000 + 4 × 800) = 12,400 token-units: $0.0124; 24 would cost $0.30
    options = Options(settings=settings, retry=ONCE, timeout=10.0, concurrency=concurrency, max_cost=budget,
                      prices_file=price_file, max_output_tokens=1000)  # fmt: skip
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl", options)
    answered = [r for r in server.requests]
    billed = len(answered) * Price(1.0, 4.0).cost(3000, 800)
    assert report.budget_stop is not None and report.not_started > 0
    assert report.cost == pytest.approx(billed)  # the ledger books what the server reported, nothing else
    assert billed <= budget
    assert any(len(r["messages"]) > 2 for r in answered), "re-asks were in play"


def test_an_unexpected_exception_is_one_scrubbed_line_not_a_traceback(monkeypatch, capsys) -> None:
    from summarizer import cli

    def boom(args: Any) -> int:
        raise RuntimeError(f"something broke near Authorization: Bearer {SECRET}\nsecond line")

    monkeypatch.setattr(cli.schema, "cmd_schema", boom)
    assert cli.main(["schema"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("summarizer: error: unexpected failure: RuntimeError: something broke")
    assert SECRET not in err and "Traceback" not in err and len(err.strip().splitlines()) == 2


def test_a_5_mb_article_is_priced_and_budgeted_without_a_traceback(server: OpenAIServer, tmp_path, capsys,
                                                                  monkeypatch) -> None:  # fmt: skip
    from summarizer.cli import main

    paragraph = "The minister announced a plan on Tuesday. Critics objected to the cost of it. " * 60
    (tmp_path / "in").mkdir()
    (tmp_path / "in/big.txt").write_text("\n\n".join(paragraph for _ in range(1100)))
    assert (tmp_path / "in/big.txt").stat().st_size > 5_000_000
    out = str(tmp_path / "out.jsonl")
    assert main(["batch", str(tmp_path / "in"), "-o", out, "--dry-run", "--model", "gpt-4o-mini"]) == 0
    assert "prompt tokens" in capsys.readouterr().out
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    server.responder = echo_answer
    assert main(["batch", str(tmp_path / "in"), "-o", out, "--model", "gpt-4o-mini", "--max-cost", "0.01"]) == 8
    err = capsys.readouterr().err
    assert "stopped before exceeding --max-cost" in err and "Traceback" not in err and server.requests == []
