"""Inputs: what counts as an article's text, and reading one from a path or standard input, with one
clear error per way it can fail. ``check_text`` is the one check every article passes, whatever it
came from (a file, standard input, a JSON Lines record, or a caller of ``summarize``).

An HTML page (a ``.html``/``.htm`` file, or a JSON Lines ``html`` field) is reduced to its main text
by trafilatura (imported only when a page is read): that text is the article (what offsets index and
what is hashed), and what trafilatura finds about the page (title, date, url, site) is its *source*
metadata, with ``"format": "html"``. ``cap_source`` bounds the metadata an input carries.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer.errors import InputError

HTML_SUFFIXES = (".html", ".htm")
MAX_SOURCE_BYTES = 16 * 1024  # the JSON of an article's source metadata, at most
MAX_KNOWN_VALUE = 2048  # characters of one known field kept when the metadata is over the cap
KNOWN_SOURCE_KEYS = ("format", "url", "title", "published", "source", "author")
MARKUP_SHARE = 0.3  # a text with more of its characters inside <...> tags looks like a page
_TAG = re.compile(r"<[^<>]{0,2000}>")


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


def markup_share(text: str) -> float:
    """The share of ``text``'s characters inside ``<...>`` tags."""
    if not text:
        return 0.0
    return sum(len(m.group()) for m in _TAG.finditer(text)) / len(text)


def looks_like_html(text: str) -> bool:
    """Whether a plain text file is in fact a web page (it starts like one, or is mostly tags)."""
    head = text.lstrip()[:64].lower()
    return head.startswith(("<!doctype html", "<html")) or markup_share(text) > MARKUP_SHARE


def markup_warning(name: str) -> str:
    return (f"{name} looks like HTML (markup, not article text); rename it to .html so that its main text "
            "is extracted")  # fmt: skip


def _text_of(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def extract_html(page: str | bytes, name: str) -> tuple[str, dict[str, Any]]:
    """The main text of an HTML page and what is known of its source (``format``, ``title``,
    ``published``, ``url``, ``source`` (the site), ``author``), by trafilatura. A page with no
    article text in it is an ``InputError``."""
    import trafilatura  # lazily: only commands that read a page pay for it

    if isinstance(page, bytes) and b"\x00" in page[:8192]:
        raise InputError(f"{name} looks binary, not HTML")
    try:
        text = trafilatura.extract(page, output_format="txt", include_comments=False, include_tables=True)
        tree = trafilatura.load_html(page) if text else None  # parsed again: extract prunes the tree it works on
        meta = trafilatura.extract_metadata(tree) if tree is not None else None
    except Exception as e:  # a page trafilatura cannot parse at all
        raise InputError(f"{name}: cannot read the HTML ({type(e).__name__}: {e})") from e
    if text is None or not text.strip():
        raise InputError(f"{name}: no article text could be extracted from the HTML",
                         hint="check that the page holds the article itself (not a script-rendered shell)")  # fmt: skip
    source: dict[str, Any] = {"format": "html"}
    if meta is None:
        return check_text(text, name), source
    found = {"title": meta.title, "published": meta.date, "url": meta.url, "source": meta.sitename,
             "author": meta.author}  # fmt: skip
    for key, value in found.items():
        if (kept := _text_of(value)) is not None:
            source[key] = kept
    return check_text(text, name), source


def _size(value: object) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def cap_source(source: dict[str, Any], limit: int = MAX_SOURCE_BYTES) -> tuple[dict[str, Any], str | None]:
    """``source`` if its JSON is at most ``limit`` bytes; otherwise only its known fields (strings
    over ``MAX_KNOWN_VALUE`` characters cut, other values that large dropped) with ``"capped"``
    saying what was dropped, and the same as a note."""
    if _size(source) <= limit:
        return source, None
    kept: dict[str, Any] = {}
    for key in KNOWN_SOURCE_KEYS:
        if key not in source:
            continue
        value = source[key]
        if isinstance(value, str) and len(value) > MAX_KNOWN_VALUE:
            value = value[:MAX_KNOWN_VALUE] + "…"
        if _size(value) <= MAX_KNOWN_VALUE * 4:
            kept[key] = value
    dropped = len(source) - len(kept)
    note = f"source metadata over {limit} bytes of JSON: kept {', '.join(kept) or 'nothing'}, dropped {dropped} field(s)"
    kept["capped"] = note
    return kept, note


@dataclass(frozen=True)
class Input:
    """One article read for ``summarize``: its text, a label naming it, what is known of its source
    (None for a plain text) and warnings for the user."""

    text: str
    label: str
    source: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)


def read_input(source: str) -> Input:
    """``read_article`` with the source metadata of an HTML page and a warning for markup in a text file."""
    if source != "-" and Path(source).suffix.lower() in HTML_SUFFIXES and Path(source).is_file():
        path = Path(source)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise InputError(f"cannot read {source}: {e.strerror or e}") from e
        text, meta = extract_html(data, source)
        return Input(text, path.stem, meta)
    text, label = read_article(source)
    warnings = [markup_warning(source)] if source != "-" and looks_like_html(text) else []
    return Input(text, label, None, warnings)
