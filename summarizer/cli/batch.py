"""The ``batch`` command: many articles into one JSON Lines results file (see ``summarizer.batch``).

Its exit codes are the subset of ``summarizer.errors.EXIT_CODES`` in ``BATCH_EXIT_CODES``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.cli.common import add_model_options, add_recording_options, quiet_instructor
from summarizer.config import DEFAULT_CONCURRENCY, DEFAULT_HTTP_ATTEMPTS, DEFAULT_POLL_INTERVAL_S
from summarizer.errors import (
    BATCH_PARTIAL_FAILURE_EXIT,
    INTERRUPTED_EXIT,
    BudgetExceeded,
    InputError,
    exit_codes_help,
)

if TYPE_CHECKING:
    from summarizer.transport import RetryPolicy

BATCH_EXIT_CODES = (0, 2, 3, 8, BATCH_PARTIAL_FAILURE_EXIT, INTERRUPTED_EXIT)


def cmd_batch(args: argparse.Namespace) -> int:
    """Summarise many articles concurrently into a JSON Lines file, one line per article (resumable)."""
    from summarizer.batch.articles import DEFAULT_PATTERNS
    from summarizer.batch.options import Options
    from summarizer.config import Settings

    settings = Settings.from_env().with_overrides(model=args.model, base_url=args.base_url)
    options = Options(
        settings=settings,
        mode=args.mode,
        concurrency=args.concurrency,
        strict=args.strict,
        max_reasks=args.max_reasks,
        max_input_tokens=args.max_input_tokens,
        timeout=args.timeout,
        max_output_tokens=args.max_output_tokens,
        retry=_retry_policy(args.retries),
        replay=Path(args.replay) if args.replay else None,
        record=Path(args.record) if args.record else None,
        max_cost=args.max_cost,
        prices_file=Path(args.prices) if args.prices else None,
        openai_batch=args.openai_batch,
        poll_interval=args.poll_interval,
        patterns=tuple(args.glob or DEFAULT_PATTERNS),
        redo_stale=args.redo_stale,
    )
    output = Path(args.output)
    if output.is_dir():
        raise InputError(f"{output} is a directory", hint="-o takes the path of a .jsonl file")
    if args.dry_run:
        from summarizer.batch.dry_run import dry_run  # prices offline: loads no SDK

        print(dry_run(args.inputs, output, options, cache_hit_rate=args.cache_hit_rate or 0.0).table(options))
        return 0
    if args.cache_hit_rate is not None:
        raise InputError("--cache-hit-rate only applies to --dry-run", hint="a run books the cached tokens the server reports")
    quiet_instructor()
    from summarizer.batch.run import run_batch

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


def _retry_policy(attempts: int | None) -> RetryPolicy | None:
    """``--retries N`` as a ``RetryPolicy``; None for the default. The transport (httpx2, tenacity,
    asyncio) is imported only then: a dry run prices offline without it."""
    if attempts is None:
        return None
    from summarizer.transport import RetryPolicy

    return RetryPolicy(attempts=attempts)


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


def _share(value: str) -> float:
    share = float(value.rstrip("%")) / 100 if value.endswith("%") else float(value)
    if not 0 <= share <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1 (or 0% and 100%)")
    return share


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "batch", help=cmd_batch.__doc__, description=cmd_batch.__doc__, epilog=exit_codes_help(BATCH_EXIT_CODES),
    )  # fmt: skip
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="article files (.txt, .md; .html/.htm pages are reduced to their main text), directories "
                        "(searched for --glob) or JSONL files of {id, text} or {id, html}, whose other fields (url, "
                        "title, published, source...) are kept as the line's source")  # fmt: skip
    p.add_argument("--glob", action="append", metavar="PATTERN",
                   help="file names to take from directories, repeatable (default: *.txt), e.g. --glob '*.md' --glob '*.html'")  # fmt: skip
    p.add_argument("-o", "--output", required=True, metavar="OUT.jsonl",
                   help="results file: one JSON line per article, appended as each finishes")  # fmt: skip
    p.add_argument("--concurrency", type=_positive_int, default=DEFAULT_CONCURRENCY, metavar="N",
                   help=f"articles in flight (default: {DEFAULT_CONCURRENCY})")  # fmt: skip
    p.add_argument("--max-cost", type=_amount, metavar="USD",
                   help="a ceiling on the spend the run books: no request is sent whose worst case would pass USD "
                        "(default: no budget)")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="price the run offline; send and write nothing")
    p.add_argument("--cache-hit-rate", type=_share, metavar="R",
                   help="with --dry-run: assume a share R of prompt tokens is served from the provider's prompt cache "
                        "(default: 0, none)")  # fmt: skip
    p.add_argument("--redo-stale", action="store_true",
                   help="run again finished articles whose lines were made with another model, mode or prompt version")  # fmt: skip
    p.add_argument("--prices", metavar="FILE", help="JSON price table laid over the shipped one (default: the shipped table only)")
    p.add_argument("--openai-batch", action="store_true",
                   help="submit first attempts via the OpenAI Batch API (half price, up to 24 h)")  # fmt: skip
    p.add_argument("--poll-interval", type=float, default=DEFAULT_POLL_INTERVAL_S, metavar="S",
                   help=f"seconds between Batch API status checks (default: {DEFAULT_POLL_INTERVAL_S:g})")  # fmt: skip
    p.add_argument("--max-input-tokens", type=_positive_int, metavar="N",
                   help="split longer articles into chunks of at most N tokens (default: no splitting)")  # fmt: skip
    p.add_argument("--retries", type=_positive_int, metavar="N", help=f"HTTP attempts per request (default: {DEFAULT_HTTP_ATTEMPTS})")
    add_model_options(p)
    add_recording_options(p)
    p.set_defaults(handler=cmd_batch, quick=lambda args: args.dry_run)  # quick: see summarizer.cli
