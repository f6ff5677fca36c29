"""Interrupt: how long after Ctrl-C (SIGINT) a chunked ``summarize`` and a chunked ``batch`` exit.

Each command runs the whole CLI in its own process against the local test server, which answers
every request after ``--latency`` seconds (long, so that requests are in flight when the signal
comes). A long article is split into ~``--chunks`` chunks; SIGINT is sent ``--after`` seconds after
the first request reached the server, and the time from the signal to the process's exit is
measured, ``--repeat`` times each. Printed: every run, the median, and the exit code (130 expected),
and whether the batch results file is valid JSON Lines afterwards. The target is ≤ 2 s.

    uv run python benchmarks/interrupt.py [--chunks 100] [--latency 30] [--after 1.5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SERVER = """
import sys
sys.path.insert(0, {tests!r})
from openai_server import OpenAIServer, echo_answer
def slow(request):
    answer = echo_answer(request)
    answer.delay = {latency}
    return answer
with OpenAIServer(responder=slow) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()
"""


def long_article(chunks: int) -> str:
    paragraph = "The minister announced a plan on Tuesday. Critics objected to the cost of it. " * 6
    return "\n\n".join(f"Part {i}. {paragraph}" for i in range(chunks))


def one(argv: list[str], env: dict[str, str], after: float, out: Path | None) -> tuple[float, int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "summarizer", *argv], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    try:
        proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
    took = time.monotonic() - sent
    valid = "n/a"
    if out is not None:
        try:
            for line in out.read_bytes().splitlines():
                json.loads(line)
            valid = "valid JSONL" if out.exists() else "no file"
        except (OSError, ValueError) as e:
            valid = f"INVALID ({e})"
    return took, proc.returncode, valid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=100)
    parser.add_argument("--latency", type=float, default=30.0)
    parser.add_argument("--after", type=float, default=3.0, help="seconds after start before SIGINT")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    code = SERVER.format(tests=str(ROOT / "tests"), latency=args.latency)
    server = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    base_url = server.stdout.readline().strip()
    env = {**os.environ, "OPENAI_API_KEY": "sk-benchmark-interrupt", "OPENAI_BASE_URL": base_url,
           "SUMMARIZER_MODEL": "test-model"}  # fmt: skip
    try:
        with tempfile.TemporaryDirectory() as tmp:
            article = Path(tmp) / "long.txt"
            article.write_text(long_article(args.chunks), encoding="utf-8")
            folder = Path(tmp) / "in"
            folder.mkdir()
            for i in range(4):
                (folder / f"long{i}.txt").write_text(long_article(args.chunks // 4), encoding="utf-8")
            budget = "120"
            for name, argv, out in (
                ("summarize (sync, chunks in threads)", ["summarize", str(article), "--max-input-tokens", budget], None),
                ("batch (async, chunks as tasks)", ["batch", str(folder), "-o", str(Path(tmp) / "out.jsonl"),
                                                    "--max-input-tokens", budget, "--concurrency", "4"], Path(tmp) / "out.jsonl"),
            ):  # fmt: skip
                runs = [one(argv, env, args.after, out) for _ in range(args.repeat)]
                times = [t for t, _, _ in runs]
                print(f"{name}: SIGINT to exit {', '.join(f'{t:.2f}s' for t in times)}; median {statistics.median(times):.2f}s "
                      f"(target ≤ 2 s); exit codes {sorted({c for _, c, _ in runs})}; output: {runs[-1][2]}")  # fmt: skip
    finally:
        server.stdin.close()  # type: ignore[union-attr]
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
