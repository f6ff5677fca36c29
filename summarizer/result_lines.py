"""Reading a batch results file: JSON Lines, one ``{"id", "article_sha256", "ok", ...}`` object a line.

``summarizer batch`` writes it (``summarizer.batch.results``); ``export`` turns it into tables and
``eval``/``compare`` score its summaries. Reading streams the file one line at a time: each non-blank
line is checked to be a result line (an ``ok: true`` line with a ``summary`` that validates as an
``ArticleSummary``, through its snapshot, or an ``ok: false`` line with an ``error`` object), and a line that is not stops the
reader with a ``ResultsError`` naming ``FILE:N`` (exit 2). Resumed and re-run batches may hold several
lines of one id: readers decide, and all of them let the last one win.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.errors import InputError
from summarizer.snapshots import ARTICLE_SUMMARY, Invalid

if TYPE_CHECKING:
    from summarizer.schema import ArticleSummary

Line = tuple[dict[str, Any], "ArticleSummary | None"]


class ResultsError(InputError):
    """A results file cannot be read, or one of its lines is not a result line."""


def records(path: Path, only: Collection[str] | None = None) -> Iterator[Line]:
    """(record, its validated summary or None) of each non-blank line; ``ResultsError`` naming ``FILE:N``
    for a malformed one. With ``only``, lines of other ids are checked to be JSON objects with an id but
    not validated further, and not yielded."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, errors while reading named too
    except OSError as e:
        raise ResultsError(f"cannot read {path}: {e.strerror or e}", hint="pass the results file of summarizer batch") from e
    with f:
        try:
            for n, line in enumerate(f, 1):
                if line.strip():
                    got = record(path, n, line, only)
                    if got is not None:
                        yield got
        except OSError as e:
            raise ResultsError(f"cannot read {path}: {e.strerror or e}") from e


def record(path: Path, n: int, line: bytes, only: Collection[str] | None = None) -> Line | None:
    """Line ``n`` of ``path`` read as a result line; None for an id not in ``only`` (when given)."""

    def bad(why: str) -> ResultsError:
        return ResultsError(f"{path}:{n} is not a batch result line: {why}")

    try:
        value = json.loads(line)
    except (ValueError, RecursionError) as e:
        raise bad("not JSON" if not isinstance(e, UnicodeDecodeError) else "not UTF-8") from None
    if not isinstance(value, dict):
        raise bad("not a JSON object")
    for key in ("id", "article_sha256"):
        if not isinstance(value.get(key), str):
            raise bad(f"no string {key!r}")
    if only is not None and value["id"] not in only:
        return None
    ok = value.get("ok")
    if ok is True and isinstance(value.get("summary"), dict):
        try:
            return value, ARTICLE_SUMMARY.validate_python(value["summary"])
        except Invalid as e:
            first = e.errors[0]
            where = ".".join(str(p) for p in first["loc"])
            raise bad(f"summary.{where}: {first['msg']} ({len(e.errors)} error(s))") from None
    if ok is False and isinstance(value.get("error"), dict):
        return value, None
    raise bad('neither "ok": true with a "summary" object nor "ok": false with an "error" object')
