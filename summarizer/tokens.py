"""Tokens: offline counting with the OpenAI encodings shipped in ``bpe-openai`` (no downloads).

Counts come from the package's native tokenizer (``bpe_openai._bindings``), loaded on its own:
importing ``bpe_openai`` itself parses three vocabularies in Python (``bpe_openai.compat``, ~0.4 s)
that counting never reads, which ``batch --dry-run`` would pay for. As with the wrapper, a model the
native tokenizer does not know is counted with o200k (a fair estimate for modern tokenizers) and lone
surrogates are replaced before counting (``tests/test_tokens.py`` holds the two to the same counts).
Unlike the wrapper, nothing an article holds is refused: a special token's marker (``<|endoftext|>``)
is counted as ordinary text, as a provider reads user content, and a piece of many tokens is counted
whole; an article is untrusted input and pricing it must not fail.

The encoder refuses very long inputs ("too long to encode safely"), so text longer than
``PIECE_CHARS`` is counted in pieces cut at white space (a cut there joins no token across it in
practice; the sum is the count to within a token per piece).
"""

from __future__ import annotations

import importlib
from functools import cache
from types import ModuleType
from typing import Any

from summarizer import extensions

PIECE_CHARS = 100_000
FALLBACK = "o200k_base"
NATIVE = "bpe_openai._bindings"


@cache
def _native() -> ModuleType:
    """``bpe_openai._bindings`` without running ``bpe_openai/__init__.py`` (``summarizer.extensions``)."""
    return extensions.load(NATIVE) or importlib.import_module(NATIVE)  # a layout we do not know: the ordinary import


@cache
def _tokenizer(model: str) -> Any:
    native = _native()
    if model.lower() in native.supported_models():
        try:
            return native.tokenizer_for_model(model)
        except Exception:  # pragma: no cover - listed yet refused: as the wrapper, fall back
            pass
    return native.tokenizer_for_encoding(FALLBACK)  # unknown or non-OpenAI model


def _count(text: str, model: str) -> int:
    """Tokens of ``text`` read as ordinary text, as a provider reads user content: a special token's
    marker (``<|endoftext|>``) in an article is counted as the characters it is, never refused."""
    tokenizer = _tokenizer(model)
    try:
        n: int = tokenizer.count(text)
    except UnicodeEncodeError:  # lone surrogates: replaced, as the wrapper does
        n = tokenizer.count(text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
    return n


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
