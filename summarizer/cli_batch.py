"""The ``batch`` command: many articles into one JSON Lines results file (see ``summarizer.batch``).

Kept apart from ``summarizer.cli`` so the command's options and exit codes live in one place;
``register`` adds it to the main parser. Heavy imports happen inside ``cmd_batch`` so that
``summarizer --help`` stays fast.

Exit codes: 0 every article succeeded (or was already done); 9 some articles failed (their error
lines are in the file; re-run to retry them); 8 ``--max-cost`` stopped the run before the end
(``BudgetExceeded``); 130 interrupted (the file is valid; re-run to resume); 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from summarizer.errors import BATCH_PARTIAL_FAILURE_EXIT, BudgetExceeded, InputError

INTERRUPTED_EXIT = 130
EXIT_CODES = """exit codes:
  0 every article succeeded or was already done     8 --max-cost stopped the run (re-run to resume)
  9 some articles failed (error lines; re-run)     130 interrupted (the file is valid; re-run)
  2 bad usage or input                               3 configuration (no key, no price for --max-cost)"""


def cmd_batch(args: argparse.Namespace) -> int:
    """Summarise many articles concurrently into a JSON Lines file, one line per article (resumable)."""
    from summarizer.batch import DEFAULT_PATTERNS, Options, dry_run, run_batch
    from summarizer.config import Settings
    from summarizer.transport import RetryPolicy

    settings = Settings.from_env().with_overrides(model=args.model, base_url=args.base_url)
    options = Options(
        settings=settings,
        mode=args.mode,
        concurrency=args.concurrency,
        strict=args.strict,
        max_reasks=args.max_reasks,
        max_input_tokens=args.max_input_tokens,
        timeout=args.timeout,
        retry=RetryPolicy(attempts=args.retries) if args.retries is not None else None,
        replay=Path(args.replay) if args.replay else None,
        record=Path(args.record) if args.record else None,
        max_cost=args.max_cost,
        prices_file=Path(args.prices) if args.prices else None,
        openai_batch=args.openai_batch,
        poll_interval=args.poll_interval,
        patterns=tuple(args.glob or DEFAULT_PATTERNS),
    )
    output = Path(args.output)
    if output.is_dir():
        raise InputError(f"{output} is a directory", hint="-o takes the path of a .jsonl file")
    if args.dry_run:
        print(dry_run(args.inputs, output, options).table(options))
        return 0
    report = run_batch(args.inputs, output, options)
    print(report.table(output), file=sys.stderr)
    if report.interrupted:
        print(f"summarizer: interrupted; {output} is complete up to here, re-run the same command to resume",
              file=sys.stderr)  # fmt: skip
        return INTERRUPTED_EXIT
    if report.budget_stop is not None:
        raise BudgetExceeded(f"{report.budget_stop}; {report.not_started} article(s) not started")
    if report.failed:
        return BATCH_PARTIAL_FAILURE_EXIT
    return 0


def _positive_int(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def _amount(value: str) -> float:
    amount = float(value.lstrip("$"))
    if amount < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return amount


def register(subparsers: Any, add_model_options: Callable[[argparse.ArgumentParser], None]) -> argparse.ArgumentParser:
    """Add ``batch`` to the main parser's sub-commands."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "batch", help=cmd_batch.__doc__, description=cmd_batch.__doc__, epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="article files, directories (searched for --glob) or JSONL files of {id, text}")  # fmt: skip
    p.add_argument("--glob", action="append", metavar="PATTERN",
                   help="file names to take from directories, repeatable (default: *.txt), e.g. --glob '*.md'")  # fmt: skip
    p.add_argument("-o", "--output", required=True, metavar="OUT.jsonl",
                   help="results file: one JSON line per article, appended as each finishes")  # fmt: skip
    p.add_argument("--concurrency", type=_positive_int, default=8, metavar="N", help="articles in flight (default: 8)")
    p.add_argument("--max-cost", type=_amount, metavar="USD",
                   help="stop starting articles before the estimated spend would exceed USD")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="price the run offline; send and write nothing")
    p.add_argument("--prices", metavar="FILE", help="JSON price table laid over the shipped one")
    p.add_argument("--openai-batch", action="store_true",
                   help="submit first attempts via the OpenAI Batch API (half price, up to 24 h)")  # fmt: skip
    p.add_argument("--poll-interval", type=float, default=30.0, metavar="S",
                   help="seconds between Batch API status checks (default: 30)")  # fmt: skip
    p.add_argument("--max-input-tokens", type=_positive_int, metavar="N",
                   help="split longer articles into chunks of at most N tokens")  # fmt: skip
    p.add_argument("--retries", type=_positive_int, metavar="N", help="HTTP attempts per request (default: 4)")
    add_model_options(p)
    rec = p.add_mutually_exclusive_group()
    rec.add_argument("--replay", metavar="DIR", help="serve model responses from recordings (offline)")
    rec.add_argument("--record", metavar="DIR", help="save every model exchange under DIR")
    p.set_defaults(handler=cmd_batch)
    return p
