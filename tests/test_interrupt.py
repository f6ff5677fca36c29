"""Ctrl-C ends a chunked ``summarize`` and a chunked ``batch`` promptly, with exit 130 and valid output;
a chunked ``summarize`` shows its progress on stderr. Real processes against the local test server.

``benchmarks/interrupt.py`` measures how long after the signal they exit; the limit below only
detects a hang (no duration is asserted).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from openai_server import Answer, OpenAIServer, echo_answer

HANG_GUARD_S = 30.0


def _article(parts: int) -> str:
    paragraph = "The minister announced a plan on Tuesday. Critics objected to the cost of it. " * 6
    return "\n\n".join(f"Part {i}. {paragraph}" for i in range(parts))


def _slow_echo(request: dict) -> Answer:
    answer = echo_answer(request)
    answer.delay = 60.0  # the request is recorded at once, answered only after this
    return answer


def _env(server: OpenAIServer) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZER_"))}
    return {**clean, "OPENAI_API_KEY": "sk-test-interrupt-0001", "OPENAI_BASE_URL": server.base_url,
            "SUMMARIZER_MODEL": "test-model"}  # fmt: skip


def _interrupt_when_requests_are_in_flight(argv: list[str], server: OpenAIServer) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen([sys.executable, "-m", "summarizer", *argv], cwd=ROOT, env=_env(server),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + HANG_GUARD_S
    while len(server.requests) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert len(server.requests) >= 3, "no chunk requests reached the server"
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=HANG_GUARD_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the process did not end after Ctrl-C")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_ctrl_c_ends_a_chunked_summarize_with_chunks_in_flight(tmp_path: Path) -> None:
    article = tmp_path / "long.txt"
    article.write_text(_article(40))
    with OpenAIServer(responder=_slow_echo) as server:
        done = _interrupt_when_requests_are_in_flight(["summarize", str(article), "--max-input-tokens", "120"], server)
    assert done.returncode == 130 and "interrupted" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""  # no half brief


def test_ctrl_c_ends_a_chunked_batch_leaving_valid_json_lines(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in/quick.txt").write_text("The minister announced a plan on Tuesday. Critics objected.\n")
    for i in range(3):
        (tmp_path / f"in/long{i}.txt").write_text(_article(20))
    out = tmp_path / "out.jsonl"
    with OpenAIServer(responder=_slow_echo) as server:
        done = _interrupt_when_requests_are_in_flight(
            ["batch", str(tmp_path / "in"), "-o", str(out), "--max-input-tokens", "120", "--concurrency", "4"], server
        )
    assert done.returncode == 130 and "re-run the same command to resume" in done.stderr
    for line in out.read_bytes().splitlines() if out.exists() else []:
        json.loads(line)


def test_chunked_summarize_shows_progress_on_stderr(tmp_path: Path) -> None:
    article = tmp_path / "long.txt"
    article.write_text(_article(6))
    with OpenAIServer(responder=echo_answer) as server:
        done = subprocess.run([sys.executable, "-m", "summarizer", "summarize", str(article), "--max-input-tokens", "120"],
                              cwd=ROOT, env=_env(server), capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    steps = [line for line in done.stderr.splitlines() if line.startswith("chunks: ")]
    assert len(steps) == 6 and steps[-1] == "chunks: 6/6 finished"
