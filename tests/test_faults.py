"""Fault injection: a batch on a flaky server ends with exactly one line per article, and resumes."""

import hashlib
import json
from collections import Counter
from pathlib import Path

from openai_server import FaultPlan, OpenAIServer, echo_answer

from summarizer.batch import Options, run_batch
from summarizer.config import Settings
from summarizer.schema import ArticleSummary
from summarizer.transport import RetryPolicy

N = 60
KINDS = ("429", "500", "503", "drop", "malformed", "slow", "truncated")
FAST = RetryPolicy(attempts=4, initial_wait=0.01, max_wait=0.05)


def write_articles(folder: Path) -> dict[str, str]:
    folder.mkdir()
    texts = {}
    for i in range(N):
        text = f"Delegation {i} arrived in the capital on Monday. Talks on item {i} went on for hours.\n"
        (folder / f"art{i:02d}.txt").write_text(text, encoding="utf-8")
        texts[f"art{i:02d}"] = text
    return texts


def check_file(path: Path, texts: dict[str, str]) -> list[dict]:
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    records = [json.loads(line) for line in raw.splitlines()]  # every line whole
    ids = [r["id"] for r in records]
    assert Counter(ids) == Counter(list(texts))  # nothing lost, nothing duplicated
    for record in records:
        text = texts[record["id"]]
        assert record["article_sha256"] == hashlib.sha256(text.encode()).hexdigest()
        if record["ok"]:
            summary = ArticleSummary.model_validate(record["summary"])
            for position in summary.positions:
                for ev in position.evidence:
                    assert text[ev.start : ev.end] == ev.quote
        else:
            assert set(record["error"]) == {"type", "message"} and record["error"]["message"]
    return records


def test_flaky_server_batch_ends_with_one_line_per_article_and_resume_completes(
    server: OpenAIServer, settings: Settings, tmp_path: Path
) -> None:
    texts = write_articles(tmp_path / "in")
    server.responder = echo_answer
    plan = FaultPlan(rate=0.45, seed=20240611, kinds=KINDS, slow_seconds=1.0)
    first_attempt_faults: list[bool] = []
    pick = plan.pick

    def logged(key: str):  # record whether each article's first request was faulted
        action = pick(key)
        if len(json.loads(key)["messages"]) == 2 and key not in seen:
            seen.add(key)
            first_attempt_faults.append(action is not None)
        return action

    seen: set[str] = set()
    plan.pick = logged  # type: ignore[method-assign]
    server.plan = plan
    options = Options(settings=settings, concurrency=8, retry=FAST, timeout=0.5)
    out = tmp_path / "out.jsonl"

    first = run_batch([str(tmp_path / "in")], out, options)

    assert len(first_attempt_faults) == N
    assert sum(first_attempt_faults) >= 0.3 * N
    records = check_file(out, texts)
    failed = {r["id"] for r in records if not r["ok"]}
    assert (first.succeeded, first.failed) == (N - len(failed), len(failed))
    assert failed, "the schedule truncates some answers, which fail fast"
    assert {r["error"]["type"] for r in records if not r["ok"]} <= {"TruncatedOutput", "ProviderError", "ValidationFailed"}
    assert first.attempts > N  # retries are counted

    before = len(server.requests)
    second = run_batch([str(tmp_path / "in")], out, options)

    assert (second.skipped, second.succeeded, second.failed) == (N - len(failed), len(failed), 0)
    assert len(server.requests) - before == len(failed)
    final = check_file(out, texts)
    assert all(r["ok"] for r in final)
