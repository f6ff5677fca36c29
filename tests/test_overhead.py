"""The offline overhead count (summarizer/overhead.py) equals what the real request costs, every mode."""

from __future__ import annotations

import pytest
from conftest import ROOT

from summarizer import overhead, prices, tokens
from summarizer.capture import capture
from summarizer.config import MODE_NAMES, Settings


@pytest.mark.parametrize("mode", MODE_NAMES)
@pytest.mark.parametrize("article", ["seed", "short", "corpus"])
def test_offline_overhead_equals_the_captured_request(mode: str, article: str, seed_text: str) -> None:
    text = {"seed": seed_text, "short": "Poland said no.",
            "corpus": (ROOT / "evals/articles/12_wn_eastmed_pipeline_greece.txt").read_text()}[article]  # fmt: skip
    model = "gpt-4o-mini"
    body = capture(Settings(model=model), mode, [text])[0][0]  # type: ignore[arg-type]
    real = prices.request_tokens(body, model) - tokens.count(text, model)
    assert overhead.request_overhead(text, mode, model) == real  # type: ignore[arg-type]
    assert abs(overhead.overhead_tokens(model, mode) - real) <= 12  # type: ignore[arg-type]  # the fence's hash


@pytest.mark.parametrize("mode", ["tools", "json_schema"])
def test_offline_request_matches_the_sent_schema_parts(mode: str, seed_text: str) -> None:
    body = capture(Settings(model="gpt-4o-mini"), mode, [seed_text])[0][0]  # type: ignore[arg-type]
    ours = overhead.first_request(seed_text, mode, "gpt-4o-mini")  # type: ignore[arg-type]
    for key in ("messages", "tools", "tool_choice", "response_format"):
        if key in body or key in ours:
            assert ours.get(key) == body.get(key), key
