"""Tokens: offline counting with the OpenAI encodings shipped in ``bpe-openai`` (no downloads).

Counts come from the package's native tokenizer (``bpe_openai._bindings``), loaded on its own:
importing ``bpe_openai`` itself parses three vocabularies in Python (``bpe_openai.compat``, ~0.4 s)
that counting never reads, which ``batch --dry-run`` would pay for. The wrapper's rules still hold:
a model the native tokenizer does not know is counted with o200k (a fair estimate for modern
tokenizers), lone surrogates are replaced before counting, and the rare text the wrapper refuses
(one holding a special token's marker ``<|``, or a piece over its ``CHUNK_LIMIT``) goes to the
wrapper, which raises as before (``tests/test_tokens.py`` holds the two to the same counts).

The encoder refuses very long inputs ("too long to encode safely"), so text longer than
``PIECE_CHARS`` is counted in pieces cut at white space (a cut there joins no token across it in
practice; the sum is the count to within a token per piece).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from functools import cache
from types import ModuleType
from typing import Any

PIECE_CHARS = 100_000
CHUNK_LIMIT = 200_000  # tokens the wrapper lets one call produce (its chunk_limit for these encodings)
SPECIAL_MARK = "<|"  # every special token starts with it; the wrapper refuses them in text
FALLBACK = "o200k_base"
NATIVE = "bpe_openai._bindings"


@cache
def _native() -> ModuleType:
    """``bpe_openai._bindings`` without running ``bpe_openai/__init__.py`` (registered under its own
    name, so a later ``import bpe_openai`` shares it rather than initialising it twice)."""
    if NATIVE in sys.modules:
        return sys.modules[NATIVE]
    package = importlib.util.find_spec("bpe_openai")  # locates the package without importing it
    folders = package.submodule_search_locations if package else None
    finder = importlib.machinery.FileFinder(
        folders[0] if folders else "",
        (importlib.machinery.ExtensionFileLoader, importlib.machinery.EXTENSION_SUFFIXES),
    )
    spec = finder.find_spec(NATIVE) if folders else None
    if spec is None or spec.loader is None:  # pragma: no cover - a layout we do not know: the ordinary import
        return importlib.import_module(NATIVE)
    module = importlib.util.module_from_spec(spec)
    sys.modules[NATIVE] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:  # pragma: no cover
        del sys.modules[NATIVE]
        raise
    return module


@cache
def _tokenizer(model: str) -> Any:
    native = _native()
    if model.lower() in native.supported_models():
        try:
            return native.tokenizer_for_model(model)
        except Exception:  # pragma: no cover - listed yet refused: as the wrapper, fall back
            pass
    return native.tokenizer_for_encoding(FALLBACK)  # unknown or non-OpenAI model


def _wrapper_count(text: str, model: str) -> int:
    """The count through the ``bpe_openai`` wrapper (it raises where it refuses the text)."""
    import bpe_openai

    try:
        encoding = bpe_openai.encoding_for_model(model)
    except Exception:
        encoding = bpe_openai.get_encoding(FALLBACK)
    return len(encoding.encode(text))


def _count(text: str, model: str) -> int:
    if SPECIAL_MARK in text:
        return _wrapper_count(text, model)
    tokenizer = _tokenizer(model)
    try:
        n: int = tokenizer.count(text)
    except UnicodeEncodeError:  # lone surrogates: replaced, as the wrapper does
        n = tokenizer.count(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
    return n if n <= CHUNK_LIMIT else _wrapper_count(text, model)


def _pieces(text: str) -> list[str]:
    pieces, start = [], 0
    while len(text) - start > PIECE_CHARS:
        cut = text.rfind(" ", start + PIECE_CHARS // 2, start + PIECE_CHARS)
        cut = cut if cut > start else start + PIECE_CHARS
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def count(text: str, model: str = "gpt-4o-mini") -> int:
    if len(text) <= PIECE_CHARS:
        return _count(text, model)
    return sum(_count(piece, model) for piece in _pieces(text))
