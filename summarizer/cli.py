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
    from summarizer.orchestrator import run

    text, label = read_article(args.article)
    settings = Settings.from_env().with_overrides(model=args.model, base_url=args.base_url)
    engine = build_engine(
        settings,
        mode=args.mode,
        replay=Path(args.replay) if args.replay else None,
        record=Path(args.record) if args.record else None,
        timeout=args.timeout,
    )
    try:
        if args.max_input_tokens is not None:  # split on paragraphs/sentences when over budget
            from summarizer.chunking import summarize_chunked

            summary = summarize_chunked(engine, text, max_input_tokens=args.max_input_tokens, strict=args.strict,
                                        max_reasks=args.max_reasks, label=label)  # fmt: skip
        else:
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


def cmd_eval(args: argparse.Namespace) -> int:
    """Score summaries against hand-labelled gold: replay recordings (default), score saved
    predictions (--predictions), or call the configured model (--live [--record DIR])."""
    import json

    from summarizer.config import Settings
    from summarizer.errors import RegressionDetected
    from summarizer.evaluation import report as rep
    from summarizer.evaluation.gold import gold_files, lint, load_aliases, load_gold
    from summarizer.evaluation.runner import Source, evaluate, write_predictions

    gold_dir, aliases = Path(args.gold), Path(args.aliases)
    if args.lint:
        table = load_aliases(aliases)
        paths = gold_files(gold_dir)
        problems = [p for path in paths for p in lint(load_gold(path), table)]
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"linted {len(paths)} gold files: {len(problems)} problem(s)")
        if problems:
            raise InputError(f"{len(problems)} gold problem(s)", hint="every gold quote must be verbatim in its article")
        return 0
    source: Source = "predictions" if args.predictions else "live" if args.live else "replay"
    if args.record and not args.live:
        raise InputError("--record goes with --live", hint="summarizer eval --live --record DIR")
    settings = Settings.from_env().with_overrides(model=args.model, base_url=args.base_url)
    report, docs, golds = evaluate(
        gold_dir=gold_dir,
        aliases_path=aliases,
        source=source,
        recordings=Path(args.recordings),
        predictions=Path(args.predictions) if args.predictions else None,
        settings=settings,
        record=Path(args.record) if args.record else None,
        mode=args.mode,
    )
    comparison: list[str] | None = None
    moved = False
    if args.baseline:
        try:
            baseline = json.loads(Path(args.baseline).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read baseline {args.baseline}: {e}") from e
        comparison, moved = rep.compare(report, baseline)
    sys.stdout.write(rep.to_text(report))
    if comparison is not None:
        print("\nagainst the baseline:" if comparison else "\nagainst the baseline: no change")
        for line in comparison:
            print(f"  {line}")
    if args.json:
        _write(json.dumps(report, indent=2) + "\n", args.json)
    if args.markdown:
        _write(rep.to_markdown(report, comparison), args.markdown)
    if args.html:
        _write(rep.to_html(report, docs, golds), args.html)
    if args.save_predictions:
        write_predictions(docs, Path(args.save_predictions))
    if args.fail_on_regression and args.baseline:
        baseline_f1 = float(baseline["micro"]["f1"])
        if (source == "replay" and moved) or report["micro"]["f1"] < baseline_f1:
            raise RegressionDetected(
                "scores moved from the baseline" if moved else f"micro F1 fell below the baseline ({baseline_f1:.3f})"
            )
    return 0


def _add_endpoint_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", help="model name (default: $SUMMARIZER_MODEL or gpt-4o-mini)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL or OpenAI)")
    p.add_argument("--mode", choices=["tools", "json_schema", "md_json"], default="tools",
                   help="how the structured answer is requested (default: tools)")  # fmt: skip


def _add_model_options(p: argparse.ArgumentParser) -> None:
    _add_endpoint_options(p)
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

    p = sub.add_parser("eval", help=cmd_eval.__doc__, description=cmd_eval.__doc__)
    p.add_argument("--gold", default="evals/gold", metavar="DIR", help="gold files (default: evals/gold)")
    p.add_argument("--aliases", default="evals/aliases.yaml", metavar="F", help="actor aliases")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--recordings", default="evals/recordings", metavar="DIR", help="replay these (default)")
    src.add_argument("--predictions", metavar="DIR", help="score ID.json files instead of calling a model")
    src.add_argument("--live", action="store_true", help="call the configured model")
    p.add_argument("--record", metavar="DIR", help="with --live: record exchanges (provenance: recorded)")
    p.add_argument("--json", metavar="F", help="write the report as JSON")
    p.add_argument("--markdown", metavar="F", help="write the report as Markdown")
    p.add_argument("--html", metavar="F", help="write a self-contained HTML page with highlighted evidence")
    p.add_argument("--save-predictions", metavar="DIR", help="write each prediction as DIR/ID.json")
    p.add_argument("--baseline", metavar="F", help="a JSON report to compare with")
    p.add_argument("--fail-on-regression", action="store_true", help="exit 10 when scores moved/fell")
    p.add_argument("--lint", action="store_true", help="only check the gold files")
    _add_endpoint_options(p)
    p.set_defaults(handler=cmd_eval)

    from summarizer.cli_batch import register as register_batch

    register_batch(sub, _add_model_options)

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
