"""Inputs: what counts as an article's text, and reading one from a path or standard input, with one
clear error per way it can fail. ``check_text`` is the one check every article passes, whatever it
came from (a file, standard input, a JSON Lines record, or a caller of ``summarize``)."""

from __future__ import annotations

import sys
from pathlib import Path

from summarizer.errors import InputError


def check_text(text: object, name: str = "the article") -> str:
    """``text`` when it is a non-empty string without NUL characters; an ``InputError`` otherwise."""
    if not isinstance(text, str):
        raise InputError(f"{name} must be text (str), got {type(text).__name__}")
    if not text.strip():
        raise InputError(f"{name} is empty")
    if "\x00" in text:
        raise InputError(f"{name} looks binary (it contains NUL characters)")
    return text


def decode(data: bytes, name: str) -> str:
    """The text of a file's bytes (UTF-8, with or without a BOM), checked by ``check_text``."""
    if b"\x00" in data[:8192]:
        raise InputError(f"{name} looks binary, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{name} is not valid UTF-8 (byte {e.start})", hint="convert it first, e.g. iconv -t UTF-8"
        ) from e
    return check_text(text, name)


def read_article(source: str) -> tuple[str, str]:
    """The text of ``source`` (a path, or ``-`` for standard input) and a label naming it."""
    if source == "-":
        return decode(sys.stdin.buffer.read(), "standard input"), "stdin"
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{source} is a directory", hint="pass one article file, or use `summarizer batch DIR`")
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise InputError(f"{source} does not exist") from e
    except OSError as e:
        raise InputError(f"cannot read {source}: {e.strerror or e}") from e
    return decode(data, source), path.stem
