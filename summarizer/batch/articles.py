"""Batch articles: what a batch run's inputs name. An *article* is an id, the hash of its text, and the
text (or why it could not be read).

Inputs are files; directories, searched recursively for ``*.txt`` (or ``--glob`` patterns), hidden
files and folders skipped; and JSON Lines files of ``{"id", "text"}``. An article's id is its path
relative to the input argument, without extension (a file given directly: its name without
extension); ids must be unique across the inputs. An unreadable article is kept, with its problem,
so it becomes an error line rather than stopping the run.

``check_output`` refuses a results file that is one of the inputs (or would be found among them).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from summarizer.errors import InputError
from summarizer.inputs import check_text, decode

DEFAULT_PATTERNS = ("*.txt",)  # what a directory is searched for; notes like SOURCES.md stay out
_JSONL_HINT = 'each line must be {"id": ..., "text": ...}'


@dataclass(frozen=True)
class Article:
    id: str
    sha256: str
    text: str | None  # None when the article could not be read; ``problem`` says why
    problem: str | None = None
    path: Path | None = None  # the file it was read from (for a JSONL record, the JSONL file)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _from_file(path: Path, article_id: str) -> Article:
    try:
        data = path.read_bytes()
    except OSError as e:
        return Article(article_id, _sha(b""), None, f"cannot read {path}: {e.strerror or e}", path)
    try:
        text = decode(data, str(path))
    except InputError as e:
        return Article(article_id, _sha(data), None, str(e), path)
    return Article(article_id, _sha(text.encode("utf-8")), text, None, path)


def _from_record(article_id: str, text: object, path: Path) -> Article:
    sha = _sha(text.encode("utf-8") if isinstance(text, str) else json.dumps(text).encode())
    try:
        return Article(article_id, sha, check_text(text, "the article"), None, path)
    except InputError as e:
        return Article(article_id, sha, None, str(e), path)


def _from_jsonl(path: Path) -> Iterator[Article]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}") from e
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            raise InputError(f"{path}:{n} is not valid JSON: {e}", hint=_JSONL_HINT) from e
        if not isinstance(record, dict) or not isinstance(record.get("id"), str | int) or "text" not in record:
            raise InputError(f"{path}:{n} needs an \"id\" and a \"text\"", hint=_JSONL_HINT)
        yield _from_record(str(record["id"]), record["text"], path)


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def _matching(folder: Path, patterns: Sequence[str]) -> list[Path]:
    """Files under ``folder`` whose names match a pattern, skipping hidden files and folders."""
    found: set[Path] = set()
    for pattern in patterns:
        found.update(p for p in folder.rglob(pattern) if p.is_file() and not _hidden(p.relative_to(folder)))
    return sorted(found)


def collect(inputs: Sequence[str], patterns: Sequence[str] = DEFAULT_PATTERNS) -> list[Article]:
    """Every article the inputs name, in order; an unreadable file becomes an article with a problem.

    Directories are searched recursively for file names matching ``patterns`` (``*.txt`` unless told
    otherwise); a file named directly is always taken.
    """
    found: list[Article] = []
    for source in inputs:
        path = Path(source)
        if path.is_dir():
            files = _matching(path, patterns)
            found += [_from_file(p, p.relative_to(path).with_suffix("").as_posix()) for p in files]
        elif path.suffix.lower() == ".jsonl" and path.is_file():
            found += list(_from_jsonl(path))
        elif path.exists():
            found.append(_from_file(path, path.stem))
        else:
            raise InputError(f"{source} does not exist", hint="pass article files, directories or a JSONL of {id, text}")
    seen: set[str] = set()
    for article in found:
        if article.id in seen:
            raise InputError(f"two articles share the id {article.id!r}", hint="ids must be unique across the inputs")
        seen.add(article.id)
    if not found:
        raise InputError(
            f"no articles found in {' '.join(inputs)}",
            hint=f"directories are searched for {' '.join(patterns)}; --glob PATTERN searches for others",
        )
    return found


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_output(output: Path, inputs: Sequence[str], articles: Sequence[Article],
                 patterns: Sequence[str] = DEFAULT_PATTERNS) -> None:  # fmt: skip
    """Refuse a results file that is one of the inputs: a file named directly, a JSONL input, a file
    found inside an input directory, or a file a directory input would find once it exists (so that
    a resume would not read its own results as articles). Paths are compared resolved (symbolic
    links followed) and, for existing files, by identity (hard links too).
    """
    real = os.path.realpath(output)
    hint = "write the results to a new .jsonl path outside the inputs; nothing was changed"
    for source in sorted({str(a.path) for a in articles if a.path is not None}):
        if os.path.realpath(source) == real or _same_file(source, real):
            raise InputError(f"-o {output} is one of the inputs ({source})", hint=hint)
    for source in inputs:
        if not Path(source).is_dir():
            continue
        folder = Path(os.path.realpath(source))
        try:
            relative = Path(real).relative_to(folder)
        except ValueError:
            continue
        if not _hidden(relative) and any(relative.match(pattern) for pattern in patterns):
            raise InputError(f"-o {output} is inside the input directory {source} and would be read as an article",
                             hint=hint)  # fmt: skip
