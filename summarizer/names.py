"""Names: the file or folder a user-supplied name (an article id, a file stem) becomes, never outside
the folder the user gave.

``relative(name)`` maps a name to a relative path, one *part* per ``/``-separated segment (batch ids are
paths relative to the input directory, so ``sub/dir/article`` stays the nested ``sub/dir/article``).
A part is kept unchanged when it is *ordinary*:

- only letters and digits (any script, in NFC form) and ``- _ . # + @ , ( ) =`` and inner spaces;
- not empty, not starting with a dot or a space, not ending with a dot or a space;
- not a name Windows reserves (``CON``, ``PRN``, ``AUX``, ``NUL``, ``COM1``…, ``LPT1``…, with or
  without an extension, any case);
- at most ``MAX_CHARS`` characters and ``MAX_BYTES`` bytes of UTF-8;
- not ending like a changed part (``-`` and 12 hexadecimal digits).

Any other part becomes a *slug*: its safe characters, every run of other characters replaced by one
``_``, leading and trailing dots and spaces removed (``_`` if nothing is left), cut to fit, followed by
``-`` and the first 12 hex digits of the SHA-256 of the original part (and led by ``_`` if Windows would
still read it as a reserved name, as ``_con.txt-<hash>``). So
``01_ukraine_zelenskyy_asks_nato_for_weapons`` and ``article#2`` stay as they are, ``..`` becomes
``_-<hash>``, ``CON`` becomes ``CON-<hash>`` and ``a\\x00b`` becomes ``a_b-<hash>``. A name with more
than ``MAX_DEPTH`` parts is flattened into one changed part (its ``/`` replaced like any other unsafe
character, the hash taken of the whole name). Distinct names map to distinct paths: ordinary parts
never end in ``-<hash>``, and two changed parts are equal only if their hashes are. ``\\`` is not a
separator: on Windows it would be, so it counts as an unsafe character.

``child(root, name, suffix)`` is where a file named after ``name`` goes under ``root``, checked with
``Path.resolve()`` to lie inside the resolved ``root`` (a symbolic link pointing out is refused).
Case-insensitive file systems (macOS, Windows) still fold names that differ only in case.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from summarizer.errors import InputError

MAX_CHARS = 80  # per part, hash included
MAX_BYTES = 200  # per part in UTF-8, so a part plus an extension stays under the usual 255-byte limit
MAX_DEPTH = 8  # parts; deeper names are flattened
HASH_CHARS = 12

_PUNCTUATION = frozenset("-_.#+@,()= ")
_HASHED = re.compile(rf"-[0-9a-f]{{{HASH_CHARS}}}\Z")
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789¹²³"]
)


def _safe_char(ch: str) -> bool:
    return ch.isalnum() or ch in _PUNCTUATION


def _reserved(part: str) -> bool:
    return part.split(".", 1)[0].rstrip(" ").upper() in _RESERVED


def _fits(part: str) -> bool:
    return len(part) <= MAX_CHARS and len(part.encode("utf-8", "surrogatepass")) <= MAX_BYTES


def ordinary(part: str) -> bool:
    """Whether ``part`` (one path segment) is used unchanged as a file or folder name."""
    return (
        bool(part)
        and all(_safe_char(ch) for ch in part)
        and part[0] not in ". "
        and part[-1] not in ". "
        and unicodedata.is_normalized("NFC", part)
        and not _reserved(part)
        and _fits(part)
        and not _HASHED.search(part)
    )


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]


def slug(part: str) -> str:
    """One safe file name for ``part``: itself when ordinary, else a readable slug plus a hash of it."""
    if ordinary(part):
        return part
    body: list[str] = []
    for ch in unicodedata.normalize("NFC", part):
        if _safe_char(ch):
            body.append(ch)
        elif not body or body[-1] != "_":
            body.append("_")
    text = "".join(body).strip(". ") or "_"
    suffix = "-" + _digest(part)
    if _reserved(text + suffix):  # "con.txt-<hash>" is still CON to Windows
        text = "_" + text
    while not _fits(text + suffix):
        text = text[:-1]
    return text + suffix


def relative(name: str) -> Path:
    """The relative path ``name`` maps to: one ``slug`` per ``/``-separated part (see the module)."""
    parts = name.split("/")
    if len(parts) > MAX_DEPTH:
        parts = [name]  # flattened: "/" is unsafe, so the whole name becomes one hashed part
    return Path(*(slug(part) for part in parts))


def inside(root: Path, path: Path) -> Path:
    """``path`` when it resolves inside ``root`` (both resolved); an ``InputError`` otherwise."""
    base, target = root.resolve(), path.resolve()
    if not target.is_relative_to(base):
        raise InputError(f"{path} would be outside {root}", hint="remove the symbolic link that points out of it")
    return path


def child(root: Path, name: str, suffix: str = "") -> Path:
    """Where a file named after ``name`` (plus ``suffix``, e.g. ``.json``) goes under ``root``, verified."""
    rel = relative(name)
    return inside(root, root / rel.with_name(rel.name + suffix))
