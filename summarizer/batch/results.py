"""The results file of a batch run: JSON Lines, one line per article (contract, DESIGN.md §2)::

    {"id": ..., "article_sha256": ..., "ok": true,  "summary": {...ArticleSummary...}}
    {"id": ..., "article_sha256": ..., "ok": false, "error": {"type": ..., "message": ...}}

An article with source metadata (JSON Lines fields besides id/text/html, what was found about an
HTML page) has a ``"source": {...}`` object after its hash, in ok and error lines alike.

A line may carry other keys too; a *result line* is any JSON object with a string ``id`` and
``article_sha256`` and either ``"ok": true`` with a ``summary`` object or ``"ok": false`` with an
``error`` object. The file is never a place where data is lost:

- *Only result lines*: ``load`` (and ``done``) refuse a file holding any other non-blank line, so a
  run never deletes or rewrites data it did not write (``ForeignLines``, exit 2).
- *One writer*: ``lock.hold`` takes an OS lock (``fcntl.flock``) on ``OUT.jsonl.lock`` beside the file
  (beside the file a symlinked output points to) for the whole run; a second run on the same file
  refuses at once, naming the holder's pid and command line. The lock file is opened without
  following a symbolic link; the kernel drops the lock when its holder dies, so a stale lock file
  never blocks.
- *Whole lines*: each line is encoded whole and written with a single ``os.write`` on an
  ``O_APPEND`` descriptor the moment its article finishes, so Ctrl-C (cancellation lands only between
  lines) or a crash of the process leaves no half line. A write that fails (disk full, file too
  large, I/O error) is undone, the file truncated back to its last whole line, and ends the run with
  ``ResultsWriteError``; the lines already written stay and a re-run resumes.
- *Repair*: a last line left torn by a machine that died mid-write (no final newline, not a
  complete result line, but beginning the way every written line begins, ``{"id": ``) is removed by
  ``load``, which says so; a complete last line missing only its newline gets one. Both before
  anything is appended. An unterminated last line that begins otherwise is other data (refused).
- *Atomic rewrites*: for a resume, ``prepare`` removes the lines of articles about to run again by
  streaming the kept lines, byte for byte, into a temporary file with a fresh unique name in the same
  directory (``tempfile.mkstemp``: ``O_EXCL``, never a pre-planted file or link), fsyncing it and
  renaming it over the file (``os.replace``), so an interruption leaves the old file or the new one.
  A symlinked output stays a link: the file it points to is what is rewritten. Lines of ids not in
  the current inputs are kept.
- *Small memory*: resuming keeps, per line, only its id and, per finished line, its hash and whether
  it is stale (made with another model, mode or prompt version than ``made``); rewriting streams line
  by line.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.batch.articles import Article
from summarizer.errors import InputError

_TORN_START = b'{"id": '  # how every line this module writes begins (json.dumps, default separators)
_TORN_ID = re.compile(rb'^\{"id": ("(?:[^"\\]|\\.)*")')
_WRITE_HINT = "free some space or fix the file's permissions, then re-run the same command to resume"


class ResultsWriteError(InputError):
    """The results file could not be written (disk full, file too large, permissions, I/O error)."""

    default_hint = _WRITE_HINT


class ForeignLines(InputError):
    """The file named by ``-o`` holds lines that are not batch result lines."""

    default_hint = "-o must be a new path or a results file of summarizer batch; nothing was changed"


def _head(article: Article) -> dict[str, Any]:
    """What every line of ``article`` begins with: its id, hash and, when known, its ``source``."""
    head: dict[str, Any] = {"id": article.id, "article_sha256": article.sha256}
    if article.source is not None:
        head["source"] = article.source
    return head


def ok_line(article: Article, summary: Any) -> dict[str, Any]:
    return {**_head(article), "ok": True, "summary": summary.model_dump(mode="json")}


def error_line(article: Article, kind: str, message: str) -> dict[str, Any]:
    return {**_head(article), "ok": False, "error": {"type": kind, "message": message}}


def parse(line: bytes) -> dict[str, Any] | None:
    """The record of a result line, or None if ``line`` is not one."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(record, dict):
        return None
    if not isinstance(record.get("id"), str) or not isinstance(record.get("article_sha256"), str):
        return None
    ok = record.get("ok")
    if (ok is True and isinstance(record.get("summary"), dict)) or (ok is False and isinstance(record.get("error"), dict)):
        return record
    return None


@dataclass(frozen=True)
class Made:
    """What a finished line must have been made with to count as current (``summary.metadata``)."""

    model: str
    mode: str
    prompt_version: str

    def of(self, record: dict[str, Any]) -> bool:
        metadata = record["summary"].get("metadata")
        if not isinstance(metadata, dict):
            return False
        return (metadata.get("model"), metadata.get("mode"), metadata.get("prompt_version")) == (
            self.model, self.mode, self.prompt_version,
        )  # fmt: skip


@dataclass(frozen=True)
class _Tail:
    """A last line without its final newline: ``torn`` (to remove) or complete (to terminate)."""

    offset: int  # where the line starts
    size: int
    torn: bool
    article_id: str | None = None


def _torn_id(line: bytes) -> str | None:
    found = _TORN_ID.match(line)
    if found is None:
        return None
    try:
        value = json.loads(found.group(1))
    except ValueError:
        return None
    return value if isinstance(value, str) else None


def _fail(path: Path, e: OSError) -> ResultsWriteError:
    return ResultsWriteError(f"cannot write {path}: {e.strerror or e}")


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Results:
    """The JSON Lines results file: checked and repaired for resuming, appended to one whole line at a time.

    ``path`` is the file as named; ``target`` is the file it resolves to (symbolic links followed),
    which is the file read, rewritten and appended to. With ``made``, finished lines made with
    another model, mode or prompt version are *stale*; with ``redo_stale`` they are not ``done``.
    """

    def __init__(self, path: Path, made: Made | None = None, *, redo_stale: bool = False) -> None:
        self.path = path
        self.target = Path(os.path.realpath(path))
        self.made = made
        self.redo_stale = redo_stale
        self.failure: ResultsWriteError | None = None  # the write that ended the run
        self._finished: dict[tuple[str, str], bool] | None = None  # (id, sha) of ok lines -> stale
        self._ids: set[str] = set()  # ids that have a line
        self._tail: _Tail | None = None
        self._fd: int | None = None
        self._size = 0

    # ----------------------------------------------------------------------- reading

    def _scan(self) -> None:
        """Index the file (ids, hashes, staleness), refusing other data; notes a last line without newline."""
        finished: dict[tuple[str, str], bool] = {}
        self._ids = set()
        self._tail = None
        try:
            info = os.stat(self.target)
        except FileNotFoundError:
            self._finished = finished
            return
        except OSError as e:
            raise InputError(f"cannot read {self.path}: {e.strerror or e}") from e
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{self.path} is not a regular file", hint="-o takes the path of a .jsonl file")
        try:
            with open(self.target, "rb") as f:
                offset = 0
                for n, line in enumerate(f, 1):
                    record = parse(line) if line.strip() else None
                    if not line.endswith(b"\n"):  # the last line, unterminated
                        if record is not None or not line.strip():
                            self._tail = _Tail(offset, len(line), torn=False)
                        elif line.startswith(_TORN_START) or _TORN_START.startswith(line):
                            self._tail = _Tail(offset, len(line), torn=True, article_id=_torn_id(line))
                            break
                    if record is None and line.strip():
                        raise ForeignLines(f"{self.path}:{n} is not a batch result line; refusing to write into it")
                    offset += len(line)
                    if record is None:
                        continue
                    self._ids.add(record["id"])
                    if record["ok"] is True:
                        key = (record["id"], record["article_sha256"])
                        stale = self.made is not None and not self.made.of(record)
                        finished[key] = finished.get(key, True) and stale  # one current line makes it current
        except OSError as e:
            raise InputError(f"cannot read {self.path}: {e.strerror or e}") from e
        self._finished = finished

    def _index(self) -> dict[tuple[str, str], bool]:
        if self._finished is None:
            self._scan()
        assert self._finished is not None
        return self._finished

    def load(self) -> str | None:
        """Check the file (``ForeignLines`` if it holds other data), index it, and repair its last line.

        Returns what was repaired, for the user, or None. Call it holding the lock (``lock.hold``); an
        index made under the same lock (by ``ids``, ``is_done``...) is kept, not read again.
        """
        self._index()
        tail = self._tail
        if tail is None:
            return None
        try:
            fd = os.open(self.target, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
            try:
                if tail.torn:
                    os.ftruncate(fd, tail.offset)
                else:
                    os.write(fd, b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as e:
            raise _fail(self.path, e) from e
        self._tail = None
        if not tail.torn:
            return f"repaired {self.path}: added the missing newline at the end of its last line"
        which = f"of article {tail.article_id!r}, " if tail.article_id is not None else ""
        return (f"repaired {self.path}: removed a torn last line ({which}{tail.size} bytes) left by an interrupted "
                "write; that article runs again")  # fmt: skip

    def ids(self) -> set[str]:
        """The ids that have a line in the file (the set itself, not a copy)."""
        self._index()
        return self._ids

    def is_done(self, key: tuple[str, str]) -> bool:
        """Whether the article (id, hash) has a finished line (a stale one does not count under ``redo_stale``)."""
        stale = self._index().get(key)
        return stale is not None and not (stale and self.redo_stale)

    def is_stale(self, key: tuple[str, str]) -> bool:
        """Whether the article (id, hash) has only finished lines made with another model, mode or prompt version."""
        return self._index().get(key, False)

    def done(self) -> set[tuple[str, str]]:
        """(id, hash) of the articles with a finished line (stale ones excepted under ``redo_stale``)."""
        return {key for key, stale in self._index().items() if not (stale and self.redo_stale)}

    def stale(self, keys: Collection[tuple[str, str]]) -> int:
        """How many of ``keys`` (id, hash) have only finished lines made with another model, mode or prompt version."""
        index = self._index()
        return sum(1 for key in keys if index.get(key, False))

    # ----------------------------------------------------------------------- rewriting

    def prepare(self, rerun: set[str]) -> int:
        """Remove the lines of articles about to run again (an atomic, streamed rewrite); returns how many."""
        self._index()
        if not rerun & self._ids:
            return 0
        folder = self.target.parent
        try:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{self.target.name}.", suffix=".tmp")
        except OSError as e:
            raise _fail(self.path, e) from e
        dropped = 0
        try:
            with os.fdopen(fd, "wb") as out, open(self.target, "rb") as f:
                os.fchmod(out.fileno(), stat.S_IMODE(os.fstat(f.fileno()).st_mode))
                for line in f:
                    record = parse(line) if line.strip() else None
                    if record is not None and record["id"] in rerun:
                        dropped += 1
                        continue
                    out.write(line)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.target)  # atomic: an interruption leaves the old file or the new one
        except BaseException as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(e, OSError):
                raise _fail(self.path, e) from e
            raise
        _fsync_dir(folder)
        self._ids -= rerun
        return dropped

    # ----------------------------------------------------------------------- appending

    def open(self) -> None:
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self._size = os.fstat(self._fd).st_size
        except OSError as e:
            raise ResultsWriteError(f"cannot write {self.path}: {e.strerror or e}", hint="pick a writable -o path") from e

    def append(self, record: dict[str, Any]) -> None:
        """One whole line, in one write (looping only if the OS takes it in parts).

        If the write fails, what it wrote is truncated away and ``failure`` (a ``ResultsWriteError``)
        is raised: the workers stop, and the run ends with it.
        """
        assert self._fd is not None, "open() first"
        if self.failure is not None:
            raise self.failure
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as e:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)  # back to the last whole line
            self.failure = _fail(self.path, e)
            raise self.failure from e
        self._size += len(data)

    def close(self) -> None:
        """fsync and close; a failing fsync becomes ``failure`` (unless a write failed first)."""
        if self._fd is None:
            return
        try:
            os.fsync(self._fd)
        except OSError as e:
            if self.failure is None and e.errno != errno.EINVAL:  # EINVAL: a file that cannot be synced
                self.failure = _fail(self.path, e)
        finally:
            os.close(self._fd)
            self._fd = None
