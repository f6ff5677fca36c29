"""Per-document cost of the eval harness next to a bare interpreter start, measured in the same run.

Prints, for `summarizer eval --predictions` (score only) and `summarizer eval` (replay through the
full pipeline + score), the in-process wall time per document (median of several runs), and the
time of `python -c pass` (median), plus their ratio. Target: per-document cost well under one
interpreter start (ratio < 1).

    uv run python benchmarks/eval_speed.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bare_start(repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import logging

    from summarizer.evaluation.runner import evaluate, write_predictions

    logging.getLogger("instructor").setLevel(logging.CRITICAL)

    gold, aliases = ROOT / "evals/gold", ROOT / "evals/aliases.yaml"
    evaluate(gold_dir=gold, aliases_path=aliases, source="replay", recordings=ROOT / "evals/recordings")  # warm-up
    replay_times, predictions_times = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            t = time.perf_counter()
            _, docs, _ = evaluate(gold_dir=gold, aliases_path=aliases, source="replay",
                                  recordings=ROOT / "evals/recordings")  # fmt: skip
            replay_times.append((time.perf_counter() - t) / len(docs))
        write_predictions(docs, Path(tmp))
        for _ in range(args.repeat):
            t = time.perf_counter()
            _, docs, _ = evaluate(gold_dir=gold, aliases_path=aliases, source="predictions", predictions=Path(tmp))
            predictions_times.append((time.perf_counter() - t) / len(docs))
    start = bare_start(args.repeat)
    replay, scored = statistics.median(replay_times), statistics.median(predictions_times)
    print(f"documents: {len(docs)}, repeats: {args.repeat}")
    print(f"bare `python -c pass`:            {start * 1000:8.1f} ms")
    print(f"eval --predictions, per document: {scored * 1000:8.1f} ms  ratio to start {scored / start:.3f}")
    print(f"eval (replay), per document:      {replay * 1000:8.1f} ms  ratio to start {replay / start:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
