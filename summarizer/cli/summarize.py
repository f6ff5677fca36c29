"""The ``summarize`` command: one article (a path, or - for standard input) into one brief."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from summarizer.cli.common import add_model_options, add_recording_options, quiet_instructor, write


def cmd_summarize(args: argparse.Namespace) -> int:
    """Summarise one article (a path, or - for standard input) into a source-grounded brief."""
    from summarizer import render
    from summarizer.client import build_engine
    from summarizer.config import Settings
    from summarizer.inputs import read_input
    from summarizer.orchestrator import run

    quiet_instructor()
    article = read_input(args.article)
    for warning in article.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    text, label = article.text, article.label
    settings = Settings.from_env().with_overrides(model=args.model, base_url=args.base_url)
    engine = build_engine(
        settings,
        mode=args.mode,
        replay=Path(args.replay) if args.replay else None,
        record=Path(args.record) if args.record else None,
        timeout=args.timeout,
        max_output_tokens=args.max_output_tokens,
    )
    def progress(done: int, total: int, error: str | None) -> None:
        failed = f" (this one failed: {error})" if error else ""
        print(f"chunks: {done}/{total} finished{failed}", file=sys.stderr, flush=True)

    try:
        summary = run(engine, text, strict=args.strict, max_reasks=args.max_reasks, label=label,
                      max_input_tokens=args.max_input_tokens, progress=progress)  # fmt: skip
    finally:
        if engine.replay is not None:
            for rec in engine.replay.served:
                print(f"replayed {rec.path} (provenance: {rec.provenance})", file=sys.stderr)
    for warning in summary.metadata.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    write(render.to_markdown(summary, source=article.source) if args.format == "markdown" else render.to_json(summary), args.output)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("summarize", help=cmd_summarize.__doc__, description=cmd_summarize.__doc__)
    p.add_argument("article", metavar="ARTICLE|-",
                   help="a text or Markdown file, an .html/.htm page (its main text is extracted), or - for stdin")  # fmt: skip
    p.add_argument("--format", choices=["json", "markdown"], default="markdown")
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    add_model_options(p)
    add_recording_options(p)
    p.add_argument("--max-input-tokens", type=int, metavar="N", help="input budget per model call")
    p.set_defaults(handler=cmd_summarize)
