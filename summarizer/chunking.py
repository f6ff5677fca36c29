"""Chunking: keeping each model call within an input budget (``--max-input-tokens``)."""

from __future__ import annotations

from summarizer import tokens
from summarizer.errors import InputError


def check_budget(text: str, max_input_tokens: int, model: str) -> None:
    if max_input_tokens <= 0:
        raise InputError("--max-input-tokens must be positive")
    n = tokens.count(text, model)
    if n > max_input_tokens:
        raise InputError(
            f"the article is {n} tokens, over the input budget of {max_input_tokens}",
            hint="raise --max-input-tokens",
        )
