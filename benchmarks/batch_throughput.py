"""Batch throughput: how close a batch run gets to the concurrency limit, and its peak memory.

Runs N articles (the corpus, cycled) through ``summarizer.batch`` against the local test server in
a separate process, which answers every request after a fixed latency L. With concurrency C the
ideal wall time is N·L/C, so

    efficiency = (N·L/C) / wall        (target ≥ 0.85)

The same run also measures a baseline: the same N request bodies (captured from the pipeline) sent
as bare HTTP POSTs (no SDK, no instructor, no validation) at the same concurrency, which shows what
the server and the loopback network allow by themselves. A warm-up run of a few articles comes first, so that one-off costs
(imports, loading the tokenizer; see ``startup.py``) are not counted as throughput. Both are measured
``--repeat`` times, alternating, because a shared machine's noise moves a single run by several
points; every run is printed, and the median is the figure compared with the target. Peak memory is the process's
peak resident set size.

    uv run python benchmarks/batch_throughput.py [--n 256] [--latency 0.2] [--concurrency 32] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 8

SERVER = """
import sys, time
sys.path.insert(0, {tests!r})
from openai_server import OpenAIServer, echo_answer
with OpenAIServer(responder=echo_answer, latency={latency}) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
"""


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    code = SERVER.format(tests=str(ROOT / "tests"), latency=latency)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def write_inputs(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    corpus = sorted((ROOT / "evals/articles").glob("*.txt"))
    path = folder / "articles.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(n):
            text = corpus[i % len(corpus)].read_text(encoding="utf-8")
            f.write(json.dumps({"id": f"{i:04d}", "text": f"Item {i}. {text}"}) + "\n")
    return path


def request_bodies(inputs: Path) -> list[dict[str, object]]:
    """The exact first request body the pipeline sends for each article (captured, not sent)."""
    from summarizer.capture import capture
    from summarizer.config import Settings

    texts = [json.loads(line)["text"] for line in inputs.read_text(encoding="utf-8").splitlines()]
    return [bodies[0] for bodies in capture(Settings(model="test-model", api_key="sk-benchmark"), "tools", texts)]


async def bare_http(base_url: str, bodies: list[dict[str, object]], concurrency: int) -> float:
    import httpx2

    limit = asyncio.Semaphore(concurrency)
    limits = httpx2.Limits(max_connections=100, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(timeout=60, limits=limits) as client:

        async def one(body: dict[str, object]) -> None:
            async with limit:
                response = await client.post(base_url + "/chat/completions", json=body)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(body) for body in bodies))
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=256)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, alternating (default 3)")
    args = parser.parse_args()

    import logging

    from summarizer import tokens
    from summarizer.batch import Options, run_batch
    from summarizer.config import Settings

    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    tokens.count("warm up the tokenizer")
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    server, base_url = start_server(args.latency)
    bare: list[float] = []
    walls: list[float] = []
    cpus: list[float] = []
    failed = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            inputs = write_inputs(Path(tmp), args.n)
            bodies = request_bodies(inputs)
            options = Options(
                settings=Settings(model="test-model", base_url=base_url, api_key="sk-benchmark"),
                concurrency=args.concurrency,
                timeout=60.0,
            )
            warm = write_inputs(Path(tmp) / "warm", WARM_UP)  # imports, tokenizer, regexes: not throughput
            run_batch([str(warm)], Path(tmp) / "warm.jsonl", options, stream=io.StringIO())
            for run in range(args.repeat):
                bare.append(asyncio.run(bare_http(base_url, bodies, args.concurrency)))
                cpu = time.process_time()
                started = time.perf_counter()
                report = run_batch([str(inputs)], Path(tmp) / f"out-{run}.jsonl", options, stream=io.StringIO())
                walls.append(time.perf_counter() - started)
                cpus.append(time.process_time() - cpu)
                failed += report.failed
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ideal = args.n * args.latency / args.concurrency

    def runs(values: list[float]) -> str:
        return "  ".join(f"{ideal / v:.2f}" for v in values)

    median_bare, median_wall = statistics.median(bare), statistics.median(walls)
    print(f"batch throughput: N={args.n} articles, latency L={args.latency * 1000:.0f} ms, "
          f"concurrency C={args.concurrency}, {args.repeat} run(s) of each (after a warm-up run of {WARM_UP})")  # fmt: skip
    print(f"  ideal wall N·L/C              {ideal:7.2f} s")
    print(f"  bare HTTP POSTs (baseline)    {median_bare:7.2f} s   efficiency {ideal / median_bare:5.2f}   (runs: {runs(bare)})")
    print(f"  summarizer batch              {median_wall:7.2f} s   efficiency {ideal / median_wall:5.2f}   "
          f"(runs: {runs(walls)}; target >= 0.85 for the median)")  # fmt: skip
    print(f"  batch / bare HTTP wall        {median_wall / median_bare:7.2f} x")
    print(f"  client CPU per article        {1000 * statistics.median(cpus) / args.n:7.2f} ms")
    print(f"  failed articles               {failed:7d}   (of {args.n * args.repeat})")
    print(f"  peak RSS                      {peak_mib:7.1f} MiB   (before the run: {rss_before / 1024:.1f} MiB)")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
