"""Prices: the shipped table, overrides, model-name lookup, cost arithmetic and offline estimates."""

import json

import pytest

from summarizer import prices, tokens
from summarizer.capture import capture
from summarizer.config import Settings
from summarizer.errors import ConfigError, InputError
from summarizer.schema import Usage


def test_shipped_table_prices_common_openai_models() -> None:
    table = prices.load()
    mini = table.require("gpt-4o-mini")
    assert (mini.input, mini.output) == (0.15, 0.6)
    for model in ("gpt-4o", "gpt-4.1-mini", "o3-mini"):
        assert table.lookup(model) is not None
    assert table.batch_discount == 0.5
    assert "as of" in table.source


def test_dated_model_names_are_priced_as_the_longest_listed_base_name() -> None:
    table = prices.load()
    assert table.lookup("gpt-4o-mini-2024-07-18") == table.lookup("gpt-4o-mini")
    assert table.lookup("gpt-4o-2024-08-06") == table.lookup("gpt-4o")
    assert table.lookup("gpt-4oo") is None  # an extension must follow a dash
    assert table.lookup("gpt-5.4-mini-2026-03-17") == prices.Price(0.75, 4.5, 0.075)  # not gpt-5.4's price
    assert table.lookup("gpt-5.9") is None  # a newer version is not priced as gpt-5


def test_unknown_model_is_a_config_error_pointing_at_prices_file() -> None:
    with pytest.raises(ConfigError) as info:
        prices.load().require("llama3:8b")
    assert "llama3:8b" in str(info.value) and "--prices FILE" in info.value.hint


def test_override_file_adds_models_and_replaces_prices(tmp_path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"llama3:8b": {"input": 0, "output": 0},
                                           "gpt-4o-mini": {"input": 1, "output": 2}},
                                "batch_discount": 0.25}))  # fmt: skip
    table = prices.load(path)
    assert table.require("llama3:8b") == prices.Price(0.0, 0.0)
    assert table.require("gpt-4o-mini") == prices.Price(1.0, 2.0)
    assert table.require("gpt-4o") == prices.load().require("gpt-4o")  # the rest of the shipped table stays
    assert table.batch_discount == 0.25
    assert str(path) in table.source


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"models": {"m": {"input": 1}}}', '{"models": {"m": {"input": -1, "output": 1}}}',
     '{"models": {}, "batch_discount": 2}', '{"models": {"m": {"input": 1, "output": 1, "cached_input": 2}}}',
     '{"models": {"m": {"input": 1, "output": 1, "cached_input": -1}}}'],
)  # fmt: skip
def test_malformed_price_file_is_an_input_error(tmp_path, content: str) -> None:
    path = tmp_path / "prices.json"
    path.write_text(content)
    with pytest.raises(InputError):
        prices.load(path)


def test_missing_price_file_is_an_input_error(tmp_path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        prices.load(tmp_path / "nope.json")


def test_cost_is_usd_per_million_tokens_for_each_side() -> None:
    price = prices.Price(input=0.15, output=0.60)
    assert price.cost(1_000_000, 0) == pytest.approx(0.15)
    assert price.cost(0, 1_000_000) == pytest.approx(0.60)
    assert price.of(Usage(prompt_tokens=2000, completion_tokens=1000, total_tokens=3000)) == pytest.approx(0.0009)


def test_completion_estimate_is_a_fixed_part_plus_a_share_of_the_article_and_capped() -> None:
    assert prices.completion_estimate(0) == prices.MIN_COMPLETION
    assert prices.completion_estimate(1000) == prices.MIN_COMPLETION + int(prices.COMPLETION_RATIO * 1000)
    assert prices.completion_estimate(10**7) == prices.MAX_COMPLETION


def test_estimate_adds_the_call_overhead_once_per_chunk() -> None:
    price = prices.Price(1.0, 1.0)
    one = prices.estimate(price, [1000], overhead_tokens=500)
    two = prices.estimate(price, [500, 500], overhead_tokens=500)
    assert one.prompt_tokens == 1500 and two.prompt_tokens == 2000
    assert one.cost == pytest.approx((one.prompt_tokens + one.completion_tokens) / 1e6)


@pytest.mark.parametrize("mode", ["tools", "json_schema", "md_json"])
def test_request_tokens_of_a_real_request_count_article_instructions_and_schema(mode, seed_text) -> None:
    body = capture(Settings(model="gpt-4o-mini"), mode, [seed_text])[0][0]
    article = tokens.count(seed_text, "gpt-4o-mini")
    counted = prices.request_tokens(body, "gpt-4o-mini")
    schema = tokens.count(json.dumps(body.get("tools") or body.get("response_format") or ""), "gpt-4o-mini")
    assert counted > article + 0.8 * schema  # the schema is paid on every call
    assert counted < 2 * (article + schema) + 2000
