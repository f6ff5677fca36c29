"""Batch articles: what a batch run's inputs name, read one at a time. An *article* is an id, the hash
of its text, and the text (or why it could not be read).

Inputs are files; directories, searched recursively for ``*.txt`` (or ``--glob`` patterns), hidden
files and folders skipped; and JSON Lines files of ``{"id", "text"}`` or ``{"id", "html"}``. A
``.html``/``.htm`` file or an ``html`` field is reduced to its main text (``inputs.extract_html``),
which is the article's text and what its hash is of. Any other fields of a JSON Lines record (``url``,
``title``, ``published``, ``source``...) and what is found about a page are the article's ``source``
metadata, capped in size (``inputs.cap_source``), read with the article and dropped with it. A
``.txt`` file that looks like a web page gets a ``note``. An article's id is its path
relative to the input argument, without extension (a file given directly: its name without
extension); ids must be unique across the inputs. An unreadable article is kept, with its problem,
so it becomes an error line rather than stopping the run.

Inputs are *streamed*: ``names`` walks them in order and yields each article's id and where it is
(``Named``) without keeping anything; a file is read when its ``Named.read`` is called, a JSON Lines
file is read line by line as it is walked. So a run holds one article's text per worker, whatever
the number of articles. A malformed JSON Lines line is an ``InputError`` naming ``path:line``.
``collect`` reads every article into a list (small inputs, tests).

``check_output`` refuses a results file that is one of the inputs (or would be found among them).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarizer.errors import InputError
from summarizer.inputs import (
    HTML_SUFFIXES,
    cap_source,
    check_text,
    decode,
    extract_html,
    looks_like_html,
    markup_warning,
)

DEFAULT_PATTERNS = ("*.txt",)  # what a directory is searched for; notes like SOURCES.md stay out
_JSONL_HINT = 'each line must be {"id": ..., "text": ...} or {"id": ..., "html": ...}, other fields kept as its source'
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Article:
    id: str
    sha256: str
    text: str | None  # None when the article could not be read; ``problem`` says why
    problem: str | None = None
    path: Path | None = None  # the file it was read from (for a JSONL record, the JSONL file)
    source: dict[str, Any] | None = None  # what is known of where it came from (None: nothing)
    note: str | None = None  # something the user should know about the input (not a failure)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Named:
    """An article the inputs name, not read yet (a JSONL record carries its text, as parsed)."""

    id: str
    path: Path  # the file (for a JSONL record, the JSONL file)
    line: int | None = None  # the JSONL line of a record
    record: dict[str, Any] | None = None  # a JSONL record, as parsed

    @property
    def where(self) -> str:
        """Where the article is, for messages: ``path`` or ``path:line``."""
        return str(self.path) if self.line is None else f"{self.path}:{self.line}"

    def read(self) -> Article:
        """The article: a file is read now; an unreadable one is an article with its problem."""
        if self.record is not None:
            return _from_record(self.id, self.record, self.path)
        return _from_file(self.path, self.id)


def _from_file(path: Path, article_id: str) -> Article:
    html = path.suffix.lower() in HTML_SUFFIXES
    try:
        data = path.read_bytes()
    except OSError as e:
        problem = f"cannot read {path}: {e.strerror or e}"
        return Article(article_id, _sha(b""), None, problem, path, {"format": "html"} if html else None)
    if html:
        return _from_html(article_id, data, str(path), path, {})
    try:
        text = decode(data, str(path))
    except InputError as e:
        return Article(article_id, _sha(data), None, str(e), path)
    note = markup_warning(str(path)) if looks_like_html(text) else None
    return Article(article_id, _sha(text.encode("utf-8")), text, None, path, note=note)


def _from_html(article_id: str, page: str | bytes, name: str, path: Path, given: dict[str, Any]) -> Article:
    """An HTML page's article: its extracted text, hashed; ``given`` fields laid over what was found."""
    try:
        text, found = extract_html(page, name)
    except InputError as e:
        data = page.encode("utf-8", "surrogatepass") if isinstance(page, str) else page
        source, note = cap_source({"format": "html", **given})
        return Article(article_id, _sha(data), None, str(e), path, source, note)
    source, note = cap_source({**found, **given, "format": "html"})
    return Article(article_id, _sha(text.encode("utf-8", "surrogatepass")), text, None, path, source, note)


def _from_record(article_id: str, record: dict[str, Any], path: Path) -> Article:
    given = {key: value for key, value in record.items() if key not in ("id", "text", "html")}
    if "html" in record:
        page = record["html"]
        if not isinstance(page, str):
            capped, capped_note = cap_source({"format": "html", **given})
            problem = f"the article's html must be text (str), got {type(page).__name__}"
            return Article(article_id, _sha(json.dumps(page).encode()), None, problem, path, capped, capped_note)
        return _from_html(article_id, page, "the article's html", path, given)
    text = record["text"]
    source: dict[str, Any] | None = None
    note: str | None = None
    if given:
        source, note = cap_source(given)
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else json.dumps(text).encode()
    try:
        return Article(article_id, _sha(data), check_text(text, "the article"), None, path, source, note)
    except InputError as e:
        return Article(article_id, _sha(data), None, str(e), path, source, note)


def _from_jsonl(path: Path) -> Iterator[Named]:
    """The records of a JSON Lines file, read line by line; a malformed line is an ``InputError``."""
    try:
        with open(path, "rb") as f:
            for n, line in enumerate(f, 1):
                if n == 1 and line.startswith(_BOM):
                    line = line[len(_BOM) :]
                if line.strip():
                    yield _record(path, n, line)
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from e


def _record(path: Path, n: int, line: bytes) -> Named:
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"{path}:{n} is not valid UTF-8 (byte {e.start})", hint=_JSONL_HINT) from e
    except (ValueError, RecursionError) as e:
        raise InputError(f"{path}:{n} is not valid JSON: {e}", hint=_JSONL_HINT) from e
    if not isinstance(record, dict) or not isinstance(record.get("id"), str | int) or ("text" in record) == ("html" in record):
        raise InputError(f"{path}:{n} needs an \"id\" and either a \"text\" or an \"html\"", hint=_JSONL_HINT)
    return Named(str(record["id"]), path, n, record)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _matching(folder: Path, patterns: Sequence[str]) -> list[Path]:
    """Files under ``folder`` whose names match a pattern, skipping hidden files and folders."""
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in folder.rglob(pattern) if p.is_file() and not _hidden(p.relative_to(folder)))
    return sorted(found)


def _missing(source: str) -> InputError:
    return InputError(f"{source} does not exist", hint="pass article files, directories or a JSONL of {id, text|html}")


def names(inputs: Sequence[str], patterns: Sequence[str] = DEFAULT_PATTERNS) -> Iterator[Named]:
    """Every article the inputs name, in order, unread (see the module docstring).

    Directories are searched recursively for file names matching ``patterns`` (``*.txt`` unless told
    otherwise); a file named directly is always taken. Ids are not checked for duplicates here.
    """
    for source in inputs:
        path = Path(source)
        if path.is_dir():
            for p in _matching(path, patterns):
                yield Named(p.relative_to(path).with_suffix("").as_posix(), p)
        elif path.suffix.lower() == ".jsonl" and path.is_file():
            yield from _from_jsonl(path)
        elif path.exists():
            yield Named(path.stem, path)
        else:
            raise _missing(source)


def first_place(inputs: Sequence[str], patterns: Sequence[str], article_id: str) -> str | None:
    """Where the first article with ``article_id`` is (for the message about a duplicate id)."""
    try:
        return next((named.where for named in names(inputs, patterns) if named.id == article_id), None)
    except InputError:
        return None


def duplicate(inputs: Sequence[str], patterns: Sequence[str], again: Named) -> InputError:
    """The error for a second article with an id already taken, naming both places."""
    first = first_place(inputs, patterns, again.id)
    where = f" ({first} and {again.where})" if first is not None else f" ({again.where})"
    return InputError(f"two articles share the id {again.id!r}{where}", hint="ids must be unique across the inputs")


def nothing_found(inputs: Sequence[str], patterns: Sequence[str]) -> InputError:
    return InputError(
        f"no articles found in {' '.join(inputs)}",
        hint=f"directories are searched for {' '.join(patterns)}; --glob PATTERN searches for others",
    )


def collect(inputs: Sequence[str], patterns: Sequence[str] = DEFAULT_PATTERNS) -> list[Article]:
    """Every article the inputs name, read, in a list (a batch run streams them instead: ``names``)."""
    found: list[Article] = []
    seen: set[str] = set()
    for named in names(inputs, patterns):
        if named.id in seen:
            raise duplicate(inputs, patterns, named)
        seen.add(named.id)
        found.append(named.read())
    if not found:
        raise nothing_found(inputs, patterns)
    return found


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


_OUTPUT_HINT = "write the results to a new .jsonl path outside the inputs; nothing was changed"


class OutputCheck:
    """Refuses a results file that is one of the inputs: a file named directly, a JSONL input, a file
    found inside an input directory, or a file a directory input would find once it exists (so that
    a resume would not read its own results as articles). Paths are compared resolved (symbolic
    links followed) and, for existing files, by identity (hard links too).

    Made from the arguments (``check_output``), it checks what they name directly; ``source`` then
    checks each file the walk of the inputs finds (a file inside a directory may be a link to it).
    """

    def __init__(self, output: Path, inputs: Sequence[str], patterns: Sequence[str] = DEFAULT_PATTERNS) -> None:
        self.output = output
        self.real = os.path.realpath(output)
        self._last: Path | None = None
        for source in inputs:
            if Path(source).is_dir():
                self._inside(source, patterns)
            elif Path(source).exists():
                self.source(Path(source))
            else:
                raise _missing(source)

    def _inside(self, source: str, patterns: Sequence[str]) -> None:
        folder = Path(os.path.realpath(source))
        try:
            relative = Path(self.real).relative_to(folder)
        except ValueError:
            return
        if not _hidden(relative) and any(relative.match(pattern) for pattern in patterns):
            raise InputError(f"-o {self.output} is inside the input directory {source} and would be read as an article",
                             hint=_OUTPUT_HINT)  # fmt: skip

    def source(self, path: Path) -> None:
        """Refuse if ``path`` (a file about to be read as input) is the results file."""
        if path == self._last:  # the records of one JSONL file come one after another
            return
        self._last = path
        if os.path.realpath(path) == self.real or _same_file(str(path), self.real):
            raise InputError(f"-o {self.output} is one of the inputs ({path})", hint=_OUTPUT_HINT)


def check_output(output: Path, inputs: Sequence[str], patterns: Sequence[str] = DEFAULT_PATTERNS) -> OutputCheck:
    """Refuse a results file that the inputs name (see ``OutputCheck``); the check for the files they hold."""
    return OutputCheck(output, inputs, patterns)
