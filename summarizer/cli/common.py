"""CLI plumbing shared by the commands: the error boundary, output writing, and the options that
several commands take (their defaults imported from the library, never re-declared)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

from summarizer.config import DEFAULT_MAX_OUTPUT_TOKENS, DEFAULT_REASKS, DEFAULT_TIMEOUT_S, MODE_NAMES
from summarizer.errors import InputError, SummarizerError


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help with each option's default: stated in its text, or appended when it has a plain value."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        plain = action.default not in (None, False, argparse.SUPPRESS) and action.option_strings
        return text if "default" in text or not plain else f"{text} (default: %(default)s)"


class Parser(argparse.ArgumentParser):
    """argparse, with its usage errors in the shape of every other error: one line, then a hint; and
    every page of help (sub-commands' too) formatted by ``HelpFormatter``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        print(f"summarizer: error: {message}", file=sys.stderr)
        print(f"hint: `{self.prog} --help` lists the options", file=sys.stderr)
        raise SystemExit(2)


def fail(err: SummarizerError) -> int:
    """Report a library error as one line plus a hint; return its exit code."""
    print(f"summarizer: error: {err}", file=sys.stderr)
    if err.hint:
        print(f"hint: {err.hint}", file=sys.stderr)
    return err.exit_code


def quiet_instructor() -> None:
    """Silence instructor's logger: its retry chatter is ours to report. For the commands that call a
    model; the others do not import ``logging`` at all."""
    import logging

    logging.getLogger("instructor").setLevel(logging.CRITICAL)


YAML_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"
"""The pattern ``yaml.reader.Reader`` compiles when PyYAML is imported (``NON_PRINTABLE``)."""


class _LazyPattern:
    """A compiled pattern that compiles on first use."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._args = (pattern, flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(re.compile(*self._args), name)

    def __repr__(self) -> str:
        return f"<lazy {re.compile(*self._args)!r}>"


def import_yaml() -> None:
    """Import PyYAML without compiling ``YAML_NON_PRINTABLE`` up front: one character class over all of
    Unicode, about 6 ms, a twentieth of ``eval --lint``, for a check the gold loader never makes (it
    reads through libyaml, which checks characters itself). The pattern stays a pattern that compiles
    on first use, for any pure-Python loader that needs it. For the commands that read YAML."""
    if "yaml" in sys.modules:
        return
    compile_now = re.compile

    def compile_later(pattern: Any, flags: Any = 0) -> Any:
        if pattern == YAML_NON_PRINTABLE and flags == 0:
            return _LazyPattern(pattern, flags)
        return compile_now(pattern, flags)

    re.compile = compile_later
    try:
        import yaml  # noqa: F401
    finally:
        re.compile = compile_now


def add_report_outputs(p: argparse.ArgumentParser, what: str, html: str) -> None:
    """``--json F``, ``--markdown F``, ``--html F``: where to write ``what`` (its page being ``html``)."""
    p.add_argument("--json", metavar="F", help=f"write the {what} as JSON")
    p.add_argument("--markdown", metavar="F", help=f"write the {what} as Markdown")
    p.add_argument("--html", metavar="F", help=f"write a self-contained HTML page, {html}")


def write(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` (a path), or to standard output for None or ``-``."""
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot write {output}: {e.strerror or e}", hint="pick a writable -o path") from e


def add_endpoint_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-m", "--model", help="model name (default: $SUMMARIZER_MODEL or gpt-4o-mini)")
    p.add_argument("--base-url", help="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL or OpenAI)")
    p.add_argument("--mode", choices=MODE_NAMES, default=MODE_NAMES[0],
                   help=f"how the structured answer is requested (default: {MODE_NAMES[0]})")  # fmt: skip


def add_model_options(p: argparse.ArgumentParser) -> None:
    add_endpoint_options(p)
    p.add_argument("--strict", action="store_true", help="fail instead of dropping ungrounded items")
    p.add_argument("--max-reasks", type=int, default=DEFAULT_REASKS, metavar="N",
                   help=f"re-asks on invalid output (default: {DEFAULT_REASKS})")  # fmt: skip
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S",
                   help=f"seconds one HTTP request may take, all of it (default: {DEFAULT_TIMEOUT_S:g})")  # fmt: skip
    p.add_argument("--max-output-tokens", type=int, default=DEFAULT_MAX_OUTPUT_TOKENS, metavar="N",
                   help="completion cap sent with every request; hitting it is reported as truncation "
                        f"(default: {DEFAULT_MAX_OUTPUT_TOKENS})")  # fmt: skip


def add_recording_options(p: argparse.ArgumentParser) -> None:
    rec = p.add_mutually_exclusive_group()
    rec.add_argument("--replay", metavar="DIR", help="serve model responses from recordings (offline)")
    rec.add_argument("--record", metavar="DIR", help="save every model exchange under DIR")
