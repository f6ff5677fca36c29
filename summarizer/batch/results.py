"""The results file of a batch run: JSON Lines, one line per article (contract, DESIGN.md §2)::

    {"id": ..., "article_sha256": ..., "ok": true,  "summary": {...ArticleSummary...}}
    {"id": ..., "article_sha256": ..., "ok": false, "error": {"type": ..., "message": ...}}

Each line is encoded whole and written with a single ``os.write`` on an ``O_APPEND`` descriptor the
moment its article finishes, so the file never holds a half line, even after Ctrl-C (cancellation
lands only between lines) or a crash. For a resume, ``done`` says which articles are finished and
``prepare`` removes the lines of articles about to run again (an atomic rewrite), so the file keeps
one line per article; lines of ids not in the current inputs are kept.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from summarizer.batch.articles import Article
from summarizer.errors import InputError


def ok_line(article: Article, summary: Any) -> dict[str, Any]:
    return {"id": article.id, "article_sha256": article.sha256, "ok": True, "summary": summary.model_dump(mode="json")}


def error_line(article: Article, kind: str, message: str) -> dict[str, Any]:
    return {"id": article.id, "article_sha256": article.sha256, "ok": False, "error": {"type": kind, "message": message}}


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    ok = isinstance(record, dict) and isinstance(record.get("id"), str) and isinstance(record.get("ok"), bool)
    return record if ok else None


class Results:
    """The JSON Lines results file: read for resuming, appended to one whole line at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def read(self) -> list[tuple[bytes, dict[str, Any] | None]]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as e:
            raise InputError(f"cannot read {self.path}: {e.strerror or e}") from e
        return [(line, _parse(line)) for line in data.splitlines(keepends=True) if line.strip()]

    def done(self) -> set[tuple[str, str]]:
        return {(r["id"], str(r.get("article_sha256"))) for _, r in self.read() if r is not None and r["ok"] is True}

    def prepare(self, rerun: set[str]) -> int:
        """Drop the lines of articles about to run again (and unreadable lines); returns how many."""
        lines = self.read()
        keep = [raw if raw.endswith(b"\n") else raw + b"\n" for raw, r in lines if r is not None and r["id"] not in rerun]
        dropped = len(lines) - len(keep)
        if dropped:
            tmp = self.path.with_name(self.path.name + ".tmp")
            tmp.write_bytes(b"".join(keep))
            os.replace(tmp, self.path)  # atomic: an interruption leaves the old file or the new one
        return dropped

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as e:
            raise InputError(f"cannot write {self.path}: {e.strerror or e}", hint="pick a writable -o path") from e

    def append(self, record: dict[str, Any]) -> None:
        """One whole line, in one write (looping only if the OS takes it in parts)."""
        assert self._fd is not None, "open() first"
        data = memoryview((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        while data:
            data = data[os.write(self._fd, data) :]

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
