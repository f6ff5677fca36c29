"""Batch memory: peak memory of a whole ``batch`` run for few and for many articles, and how soon a
very long input gives its first result.

Each run is the whole CLI, ``python -m summarizer batch ARTICLES.jsonl -o OUT.jsonl``, in its own
process, against the local test server in another process, which answers every request at once
(``echo_answer``). Articles are the evaluation corpus, cycled, each made unique by a prefix.

- *Peak memory*: the peak resident set size of the batch process (``os.wait4``'s ``ru_maxrss`` of
  that one child) for ``--small`` (10) and ``--large`` (4,000) articles; the figure is the ratio
  large/small (target ≤ 1.1×: memory does not grow with the number of articles).
- *First result*: the time from starting the process to the first whole line in the results file
  for a ``--long`` (100,000) line JSONL, against the same for ``--small`` lines as the baseline
  (target: within seconds). The run is then killed (SIGKILL), so that its peak RSS is what it held up
  to its first result (the first pass over the whole file included); after Ctrl-C it would count the
  tokens of the requests it abandoned offline, loading the tokenizer, which is not what is measured.

Runs alternate small and large (or long), ``--repeat`` times each, after one unmeasured warm-up run
(so the first measured run does not pay for a cold disk cache); every run is printed, with the
median and the spread (min-max).

    uv run python benchmarks/batch_memory.py [--small 10] [--large 4000] [--long 100000] [--repeat 3]
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
class Forget(list):  # the server keeps every request body; a long run need not
    def append(self, item):
        pass
with OpenAIServer(responder=echo_answer) as server:
    server.requests = Forget()
    print(server.base_url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
"""


def start_server() -> tuple[subprocess.Popen[str], str]:
    code = SERVER.format(tests=str(ROOT / "tests"))
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)  # interrupted runs make it log dropped connections
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def write_jsonl(path: Path, n: int) -> Path:
    corpus = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "evals/articles").glob("*.txt"))]
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"{i:06d}", "text": f"Item {i}. {corpus[i % len(corpus)]}"}) + "\n")
    return path


def command(inputs: Path, out: Path, base_url: str, concurrency: int) -> list[str]:
    return [sys.executable, "-m", "summarizer", "batch", str(inputs), "-o", str(out), "--base-url", base_url,
            "--model", "test-model", "--concurrency", str(concurrency)]  # fmt: skip


def child_env() -> dict[str, str]:
    return {**os.environ, "OPENAI_API_KEY": "sk-benchmark", "PYTHONDONTWRITEBYTECODE": "1"}


def peak_rss(argv: list[str], log: Path) -> tuple[float, int]:
    """Run ``argv`` to its end; its peak RSS in MiB and its exit code."""
    with log.open("w") as err:
        proc = subprocess.Popen(argv, cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL, stderr=err)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, proc.returncode  # ru_maxrss is in KiB on Linux


def first_result(argv: list[str], out: Path, log: Path) -> tuple[float, float]:
    """Seconds from starting ``argv`` to the first whole line in ``out`` (the run is then killed), and
    the process's peak RSS in MiB by then."""
    with log.open("w") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL, stderr=err)
    try:
        while True:
            try:
                if b"\n" in out.read_bytes()[:1_000_000]:
                    took = time.perf_counter() - started
                    break
            except FileNotFoundError:
                pass
            if proc.poll() is not None:
                raise SystemExit(f"the batch ended ({proc.returncode}) before writing a line:\n{log.read_text()}")
            time.sleep(0.002)
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return took, usage.ru_maxrss / 1024


def spread(values: list[float], unit: str, digits: int = 1) -> str:
    runs = "  ".join(f"{v:.{digits}f}" for v in values)
    return f"median {statistics.median(values):.{digits}f} {unit}, min-max {min(values):.{digits}f}-{max(values):.{digits}f} (runs: {runs})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10, help="articles of the baseline runs (default 10)")
    parser.add_argument("--large", type=int, default=4000, help="articles of the memory runs (default 4000)")
    parser.add_argument("--long", type=int, default=100_000, help="lines of the first-result runs (default 100000)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, alternating (default 3)")
    args = parser.parse_args()

    server, base_url = start_server()
    small_rss: list[float] = []
    large_rss: list[float] = []
    small_first: list[float] = []
    long_first: list[float] = []
    long_rss: list[float] = []
    problems: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            small = write_jsonl(folder / "small.jsonl", args.small)
            large = write_jsonl(folder / "large.jsonl", args.large)
            long = write_jsonl(folder / "long.jsonl", args.long)
            log = folder / "stderr.txt"
            peak_rss(command(small, folder / "warm-up.jsonl", base_url, args.concurrency), log)
            for run in range(args.repeat):
                for inputs, into in ((small, small_rss), (large, large_rss)):
                    out = folder / f"out-{inputs.stem}-{run}.jsonl"
                    mib, code = peak_rss(command(inputs, out, base_url, args.concurrency), log)
                    written = len(out.read_bytes().splitlines()) if out.exists() else 0
                    expected = args.small if inputs is small else args.large
                    if code != 0 or written != expected:
                        problems.append(f"{inputs.name} run {run}: exit {code}, {written} of {expected} lines\n"
                                        f"{log.read_text()[-2000:]}")  # fmt: skip
                    into.append(mib)
            for run in range(args.repeat):
                for inputs, into in ((small, small_first), (long, long_first)):
                    out = folder / f"first-{inputs.stem}-{run}.jsonl"
                    took, mib = first_result(command(inputs, out, base_url, args.concurrency), out, log)
                    into.append(took)
                    if inputs is long:
                        long_rss.append(mib)
            long_size = long.stat().st_size / 2**20
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)

    ratios = [big / little for big, little in zip(large_rss, small_rss, strict=True)]
    firsts = [big / little for big, little in zip(long_first, small_first, strict=True)]
    extra = [big - little for big, little in zip(long_first, small_first, strict=True)]
    print(f"batch memory: whole CLI runs (python -m summarizer batch JSONL -o OUT), concurrency {args.concurrency}, "
          f"server answering at once, {args.repeat} run(s) of each, alternating")  # fmt: skip
    rows = [
        (f"peak RSS, {args.small:,} articles", spread(small_rss, "MiB")),
        (f"peak RSS, {args.large:,} articles", spread(large_rss, "MiB")),
        (f"ratio {args.large:,}/{args.small:,}", spread(ratios, "x", 2) + "   target <= 1.10"),
        (f"first result, {args.small:,} lines", spread(small_first, "s", 2)),
        (f"first result, {args.long:,} lines", spread(long_first, "s", 2) + f"   ({long_size:,.0f} MiB of JSONL)"),
        (f"ratio {args.long:,}/{args.small:,}", spread(firsts, "x", 2)),
        (f"difference {args.long:,}-{args.small:,}", spread(extra, "s", 2) + "   target: within seconds"),
        (f"peak RSS, {args.long:,} lines", spread(long_rss, "MiB") + "   (up to the first result)"),
    ]
    for label, value in rows:
        print(f"  {label:<30}{value}")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
