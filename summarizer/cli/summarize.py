"""The ``summarize`` command: one article (a path, or - for standard input) into one brief."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.cli.common import add_model_options, add_recording_options, quiet_instructor, write

if TYPE_CHECKING:
    from summarizer.recording import ReplayStore


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
    fmt = output_format(args.format, args.output)
    replayed = _provenance(engine.replay, args.record) if engine.replay is not None else None
    if fmt == "html":
        from summarizer.html_brief import to_html

        title = str((article.source or {}).get("title") or label)
        page = to_html(summary, text, title=title, provenance=_provenance(engine.replay, args.record))
        write(page, args.output)
    else:
        write(render.to_markdown(summary, source=article.source, provenance=replayed) if fmt == "markdown" else render.to_json(summary), args.output)
    return 0


FORMATS = ("json", "markdown", "html")
_SUFFIX_FORMAT = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}


def output_format(explicit: str | None, output: str | None) -> str:
    """``--format`` when given, else the one the -o extension names, else markdown."""
    if explicit:
        return explicit
    if output and output != "-":
        return _SUFFIX_FORMAT.get(Path(output).suffix.lower(), "markdown")
    return "markdown"


def _provenance(replay: ReplayStore | None, record: str | None) -> str:
    """Where the model's answer came from, as the page header says it."""
    if replay is None:
        return f"live (recorded under {record})" if record else "live"
    served = replay.served
    if not served:
        return "replayed (no recording served)"
    kinds = ", ".join(dict.fromkeys(rec.provenance for rec in served))
    paths = ", ".join(dict.fromkeys(str(rec.path) for rec in served))
    return f"Replayed from {kinds} response(s), not a live model call: {paths}"


def register(sub: Any) -> None:
    p = sub.add_parser("summarize", help=cmd_summarize.__doc__, description=cmd_summarize.__doc__)
    p.add_argument("article", metavar="ARTICLE|-",
                   help="a text or Markdown file, an .html/.htm page (its main text is extracted), or - for stdin")  # fmt: skip
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="a Markdown briefing note, schema v1 JSON, or a self-contained HTML page "
                        "(default: from the -o extension .json/.md/.html, else markdown)")  # fmt: skip
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of standard output")
    add_model_options(p)
    add_recording_options(p)
    p.add_argument("--max-input-tokens", type=int, metavar="N", help="split longer articles into chunks of at most N tokens (default: no splitting)")
    p.set_defaults(handler=cmd_summarize)
