"""Cached tokens are money too: usage parsing, cached-input prices, the books of a run, the Batch API
discount, and the dry run's assumptions and completion estimate against the replayed eval run."""

import pytest

from summarizer import accounting
from summarizer.errors import ProviderError
from summarizer.schema import Usage


def completion_payload(usage: object) -> dict:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}}], "usage": usage}


# --------------------------------------------------------------------------- usage


def test_cached_tokens_are_read_from_prompt_tokens_details() -> None:
    usage = accounting.usage_of(completion_payload(
        {"prompt_tokens": 2000, "completion_tokens": 300, "total_tokens": 2300,
         "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0}}))  # fmt: skip
    assert usage == Usage(prompt_tokens=2000, completion_tokens=300, total_tokens=2300, cached_tokens=1024)


@pytest.mark.parametrize("usage", [
    {"prompt_tokens": 10, "completion_tokens": 5},
    {"prompt_tokens": 10, "completion_tokens": 5, "prompt_tokens_details": None},
    {"prompt_tokens": 10, "completion_tokens": 5, "prompt_tokens_details": {}},
    {"prompt_tokens": 10, "completion_tokens": 5, "prompt_tokens_details": {"cached_tokens": None}},
])  # fmt: skip
def test_missing_cached_tokens_are_zero(usage: dict) -> None:
    parsed = accounting.usage_of(completion_payload(usage))
    assert parsed is not None and parsed.cached_tokens == 0 and parsed.prompt_tokens == 10


@pytest.mark.parametrize(("details", "says"), [
    ({"cached_tokens": -1}, "negative cached_tokens"),
    ({"cached_tokens": 2.5}, "invalid cached_tokens"),
    ({"cached_tokens": "many"}, "invalid cached_tokens"),
    ({"cached_tokens": True}, "invalid cached_tokens"),
    ({"cached_tokens": 11}, "11 cached tokens of only 10 prompt tokens"),
    ({"cached_tokens": 10**9}, "absurd cached_tokens"),
    ([1, 2], "prompt_tokens_details that is not an object"),
])  # fmt: skip
def test_invalid_cached_tokens_are_a_one_line_provider_error(details: object, says: str) -> None:
    with pytest.raises(ProviderError, match=says) as info:
        accounting.usage_of(completion_payload({"prompt_tokens": 10, "completion_tokens": 5, "prompt_tokens_details": details}))
    assert "\n" not in str(info.value)


def test_usage_sums_cached_tokens() -> None:
    total = Usage(prompt_tokens=10, cached_tokens=4) + Usage(prompt_tokens=20, cached_tokens=16)
    assert (total.prompt_tokens, total.cached_tokens) == (30, 20)
