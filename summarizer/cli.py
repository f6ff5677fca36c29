"""The command line: a thin layer over the library. Each command's docstring is its ``--help``.

Library errors become one line on stderr (``summarizer: error: …`` plus ``hint: …``) and the error's
exit code, here at the boundary and nowhere else. Heavy imports happen inside the commands so that
``summarizer --help`` stays fast.

Exit codes: 0 ok; 1 unexpected; 2 bad usage or unreadable input; 3 configuration (no API key);
4 provider unreachable or failing; 5 validation failed; 6 truncated or refused output;
7 replay miss or recording problem; 8 budget exceeded; 9 a batch finished with failed articles;
10 the eval gate found a regression.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from summarizer.errors import InputError, SummarizerError

Handler = Callable[[argparse.Namespace], int]

EXIT_CODES = """exit codes:
  0 ok                      5 validation failed after re-asks
  1 unexpected error        6 truncated or refused output
  2 bad usage or input      7 replay miss / recording problem
  3 configuration           8 budget exceeded
  4 provider failure        9 batch finished with failed articles
                           10 eval regression against the baseline"""


def _fail(err: SummarizerError) -> int:
    print(f"summarizer: error: {err}", file=sys.stderr)
    if err.hint:
        print(f"hint: {err.hint}", file=sys.stderr)
    return err.exit_code


def _write(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot write {output}: {e.strerror or e}", hint="pick a writable -o path") from e


def cmd_summarize(args: argparse.Namespace) -> int:
    """Summarise one article (a path, or - for standard input) into a source-grounded brief."""
    from summarizer import render
    from summarizer.client import build_engine
    from summarizer.config import Settings
    from summarizer.inputs import read_article
    from summarizer.summarize import run

    text, label = read_article(args.article)
    settings = Settings.from_env().with_overrides(model=args.model, base_url=args.base_url)
    if args.max_input_tokens is not None:
        from summarizer.chunking import check_budget

        check_budget(text, args.max_input_tokens, settings.model)
    engine = build_engine(
        settings,
        mode=args.mode,
        replay=Path(args.replay) if args.replay else None,
        record=Path(args.record) if args.record else None,
        timeout=args.timeout,
    )
    try:
        summary = run(engine, text, strict=args.strict, max_reasks=args.max_reasks, label=label)
    finally:
        if engine.replay is not None:
            for rec in engine.replay.served:
                print(f"replayed {rec.path} (provenance: {rec.provenance})", file=sys.stderr)
    for warning in summary.metadata.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    _write(render.to_markdown(summary) if args.format == "markdown" else render.to_json(summary), args.output)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of ArticleSummary (schema v1)."""
    import json

    from summarizer.schema import json_schema

    _write(json.dumps(json_schema(), indent=2) + "\n", None)
    return 0


def _add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="model name (default: $SUMMARIZER_MODEL or gpt-4o-mini)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL or OpenAI)")
    p.add_argument("--mode", choices=["tools", "json_schema", "md_json"], default="tools",
                   help="how the structured answer is requested (default: tools)")  # fmt: skip
    p.add_argument("--strict", action="store_true", help="fail instead of dropping ungrounded items")
    p.add_argument("--max-reasks", type=int, default=2, metavar="N", help="re-asks on invalid output (default: 2)")
    p.add_argument("--timeout", type=float, default=120.0, metavar="S", help="per-request timeout in seconds")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="summarizer",
        description="Turn news and policy articles into structured, source-grounded briefs.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("summarize", help=cmd_summarize.__doc__, description=cmd_summarize.__doc__)
    p.add_argument("article", metavar="ARTICLE|-")
    p.add_argument("--format", choices=["json", "markdown"], default="markdown")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    _add_model_options(p)
    rec = p.add_mutually_exclusive_group()
    rec.add_argument("--replay", metavar="DIR", help="serve model responses from recordings (offline)")
    rec.add_argument("--record", metavar="DIR", help="save every model exchange under DIR")
    p.add_argument("--max-input-tokens", type=int, metavar="N", help="input budget per model call")
    p.set_defaults(handler=cmd_summarize)

    p = sub.add_parser("schema", help=cmd_schema.__doc__, description=cmd_schema.__doc__)
    p.set_defaults(handler=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse already printed the usage line
        return 0 if e.code == 0 else 2
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    logging.getLogger("instructor").setLevel(logging.CRITICAL)  # its retry chatter is ours to report
    try:
        return handler(args)
    except SummarizerError as err:
        return _fail(err)
    except KeyboardInterrupt:
        print("summarizer: interrupted", file=sys.stderr)
        return 130
