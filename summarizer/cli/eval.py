"""The ``eval`` command: score summaries against hand-labelled gold, and gate on a baseline."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from summarizer.cli.common import add_endpoint_options, add_report_outputs, import_yaml, quiet_instructor, write
from summarizer.errors import InputError


def _lint(gold_dir: Path, aliases: Path) -> int:
    from summarizer.evaluation.gold import gold_files, lint, load_aliases, load_gold

    table = load_aliases(aliases)
    paths = gold_files(gold_dir)
    problems = [p for path in paths for p in lint(load_gold(path), table)]
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"linted {len(paths)} gold files: {len(problems)} problem(s)")
    if problems:
        raise InputError(f"{len(problems)} gold problem(s)", hint="every gold quote must be verbatim in its article")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Score summaries against hand-labelled gold: replay recordings (default), score saved
    predictions (--predictions), or call the configured model (--live [--record DIR])."""
    import_yaml()  # gold and aliases are YAML
    from summarizer.evaluation.gold import DEFAULT_ALIASES, DEFAULT_GOLD, DEFAULT_RECORDINGS, default_path

    if args.fail_on_regression and not args.baseline:
        raise InputError("--fail-on-regression needs --baseline F", hint="a gate needs a report to compare with")
    gold_dir = default_path(args.gold, DEFAULT_GOLD, "--gold DIR")
    aliases = default_path(args.aliases, DEFAULT_ALIASES, "--aliases F")
    if args.lint:
        return _lint(gold_dir, aliases)
    # The runner imports the client (the openai SDK, instructor) only for replay and --live.
    from summarizer.config import Settings
    from summarizer.errors import RegressionDetected
    from summarizer.evaluation import views
    from summarizer.evaluation.gate import judge
    from summarizer.evaluation.report import Source, load_report
    from summarizer.evaluation.runner import evaluate, write_predictions

    started = datetime.now(UTC).isoformat(timespec="seconds")
    source: Source = "predictions" if args.predictions else "live" if args.live else "replay"
    if args.record and not args.live:
        raise InputError("--record goes with --live", hint="summarizer eval --live --record DIR")
    if source != "predictions":
        quiet_instructor()
    settings = Settings.from_env().with_overrides(model=args.model, base_url=args.base_url)
    report, docs, golds = evaluate(
        gold_dir=gold_dir,
        aliases_path=aliases,
        source=source,
        recordings=default_path(args.recordings, DEFAULT_RECORDINGS, "--recordings DIR")
        if source == "replay" else Path(args.recordings or DEFAULT_RECORDINGS),
        predictions=Path(args.predictions) if args.predictions else None,
        settings=settings,
        record=Path(args.record) if args.record else None,
        mode=args.mode,
    )
    verdict = judge(report, load_report(Path(args.baseline))) if args.baseline else None
    comparison = verdict.lines if verdict else None
    sys.stdout.write(views.to_text(report, comparison))
    if args.json:
        write(report.to_json(), args.json)
    if args.markdown:
        write(views.to_markdown(report, comparison), args.markdown)
    if args.html:
        from summarizer.evaluation.html_report import eval_page

        write(eval_page(report, docs, golds, generated_at=started, comparison=comparison), args.html)
    if args.save_predictions:
        write_predictions(docs, Path(args.save_predictions))
    if args.fail_on_regression and verdict and verdict.failure:
        raise RegressionDetected(verdict.failure)
    return 0


def _quick(args: argparse.Namespace) -> bool:
    """Checking gold or scoring saved predictions: calls no model, ends soon (see ``summarizer.cli``)."""
    return bool(args.lint or args.predictions)


def register(sub: Any) -> None:
    p = sub.add_parser("eval", help=cmd_eval.__doc__, description=cmd_eval.__doc__)
    p.add_argument("--gold", metavar="DIR", help="gold files (default: evals/gold of the project you are in)")
    p.add_argument("--aliases", metavar="F", help="actor aliases (default: evals/aliases.yaml of the project)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--recordings", metavar="DIR",
                     help="replay these (the default source; default: evals/recordings of the project)")  # fmt: skip
    src.add_argument("--predictions", metavar="PATH",
                     help="score saved summaries instead of calling a model: a directory of ID.json, a batch "
                          "results .jsonl, or another labelling (a directory of ID.yaml)")  # fmt: skip
    src.add_argument("--live", action="store_true", help="call the configured model")
    p.add_argument("--record", metavar="DIR", help="with --live: record exchanges (provenance: recorded)")
    add_report_outputs(p, "report", "items linked to their highlighted evidence")
    p.add_argument("--save-predictions", metavar="DIR", help="write each prediction as DIR/ID.json")
    p.add_argument("--baseline", metavar="F", help="a JSON report to compare with")
    p.add_argument("--fail-on-regression", action="store_true", help="exit 10 when scores moved (replay) or fell (needs --baseline)")
    p.add_argument("--lint", action="store_true", help="only check the gold files")
    add_endpoint_options(p)
    p.set_defaults(handler=cmd_eval, quick=_quick)
