"""The command line: a thin layer over the library, one module per command. Each command's docstring
is its ``--help``.

Library errors become one line on stderr (``summarizer: error: …`` plus ``hint: …``) and the error's
exit code (the table is ``summarizer.errors.EXIT_CODES``), here at the boundary and nowhere else.
Heavy imports happen inside the commands so that ``summarizer --help`` stays fast, and a command that
calls no model (``schema``, ``eval --lint``, ``eval --predictions``) never imports the openai SDK or
instructor (``tests/test_offline_imports.py``; ``benchmarks/startup.py`` times them).

Run as a program (``console``: the console script, ``python -m summarizer``), a *quick* command (one
that calls no model: ``schema``, ``eval --lint``, ``eval --predictions``, ``compare``, ``export``,
``render``, ``batch --dry-run``; its parser's ``quick`` default says which) runs with the cyclic
garbage collector's first threshold raised from 700 to ``QUICK_GC_THRESHOLD`` allocations. Nearly all it allocates at start-up are the objects its
imports create, which live until the process ends: collecting every 700 allocations only traverses them
again and again (7% of ``eval --lint``). The collector stays on, so reference cycles made by a long
run (a dry run over a million-line JSONL) are still freed and memory stays bounded. ``main`` called in
a process of the caller's leaves the collector alone.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence

from summarizer.cli import batch, compare, eval, export, render, schema, summarize
from summarizer.cli.common import HelpFormatter, Parser, fail
from summarizer.errors import INTERRUPTED_EXIT, SummarizerError, exit_codes_help, redact
from summarizer.version import __version__

Handler = Callable[[argparse.Namespace], int]
QUICK_GC_THRESHOLD = 100_000  # allocations between young-generation collections in a quick command


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="summarizer",
        description="Turn news and policy articles into structured, source-grounded briefs.",
        epilog=exit_codes_help(),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"summarizer {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (summarize, eval, compare, batch, export, render, schema):
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, own_process: bool = False) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return its exit code. ``own_process``:
    the process ends when this returns (``console``), so a quick command may run without the collector."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage line
        return 0 if e.code == 0 else 2
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    quick: Callable[[argparse.Namespace], bool] | None = getattr(args, "quick", None)
    if own_process and quick is not None and quick(args):
        _, second, third = gc.get_threshold()
        gc.set_threshold(QUICK_GC_THRESHOLD, max(second, 50), max(third, 1000))  # see the module's docstring
    try:
        return handler(args)
    except SummarizerError as err:
        return fail(err)
    except KeyboardInterrupt:
        print("summarizer: interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT
    except Exception as err:  # a bug: still one line, scrubbed, never a traceback that could carry a key
        return fail(SummarizerError(f"unexpected failure: {type(err).__name__}: {redact(str(err))}",
                                    hint="this is a bug in summarizer; please report it with the command you ran"))


def console() -> int:
    """The ``summarizer`` program: ``main`` in a process of its own (the console script, ``python -m``)."""
    return main(own_process=True)
