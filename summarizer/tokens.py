"""Tokens: offline counting with the OpenAI encodings shipped in ``bpe-openai`` (no downloads)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _encoding(model: str) -> Any:
    import bpe_openai

    try:
        return bpe_openai.encoding_for_model(model)
    except Exception:  # unknown or non-OpenAI model: o200k is a fair estimate for modern tokenizers
        return bpe_openai.get_encoding("o200k_base")


def count(text: str, model: str = "gpt-4o-mini") -> int:
    return len(_encoding(model).encode(text))
