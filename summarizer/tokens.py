"""Tokens: offline counting with the OpenAI encodings shipped in ``bpe-openai`` (no downloads).

The encoder refuses very long inputs ("too long to encode safely"), so text longer than
``PIECE_CHARS`` is counted in pieces cut at white space (a cut there joins no token across it in
practice; the sum is the count to within a token per piece).
"""

from __future__ import annotations

from functools import cache
from typing import Any

PIECE_CHARS = 100_000


@cache
def _encoding(model: str) -> Any:
    import bpe_openai

    try:
        return bpe_openai.encoding_for_model(model)
    except Exception:  # unknown or non-OpenAI model: o200k is a fair estimate for modern tokenizers
        return bpe_openai.get_encoding("o200k_base")


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
    encoding = _encoding(model)
    if len(text) <= PIECE_CHARS:
        return len(encoding.encode(text))
    return sum(len(encoding.encode(piece)) for piece in _pieces(text))
