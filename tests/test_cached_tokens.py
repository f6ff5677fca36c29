"""Cached tokens are money too: usage parsing, cached-input prices, the books of a run, the Batch API
discount, and the dry run's assumptions and completion estimate against the replayed eval run."""

import json
import statistics
from pathlib import Path

import httpx2
import pytest
from openai_server import Answer, echo_answer

from summarizer import accounting, cli, prices, tokens
from summarizer.batch import Options, dry_run, run_batch
from summarizer.batch.ledger import Ledger, worst_case_tokens
from summarizer.config import Settings
from summarizer.errors import InputError, ProviderError
from summarizer.evaluation.gold import load_gold
from summarizer.evaluation.runner import evaluate
from summarizer.schema import Usage
from summarizer.transport import RetryPolicy

ROOT = Path(__file__).resolve().parent.parent
FAST = RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.05)
PRICE = {"input": 1.0, "output": 2.0, "cached_input": 0.25}


def completion_payload(usage: object) -> dict:
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": "x"}}], "usage": usage}


def write_articles(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"c{i:02d}.txt").write_text(f"Minister {i} announced a plan on Tuesday. Critics objected.\n")


@pytest.fixture
def price_file(tmp_path: Path) -> Path:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"test-model": PRICE}, "batch_discount": 0.5}))
    return path


def run_options(settings: Settings, **kw) -> Options:
    return Options(settings=settings, retry=FAST, timeout=5.0, poll_interval=0.01, **kw)


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


# --------------------------------------------------------------------------- prices


def test_cost_prices_cached_prompt_tokens_at_the_cached_input_price() -> None:
    price = prices.Price(input=1.0, output=2.0, cached_input=0.25)
    usage = Usage(prompt_tokens=2000, completion_tokens=500, total_tokens=2500, cached_tokens=1024)
    assert price.of(usage) == pytest.approx(((2000 - 1024) * 1.0 + 1024 * 0.25 + 500 * 2.0) / 1e6)
    no_cached_price = prices.Price(input=1.0, output=2.0)  # no discount assumed
    assert no_cached_price.of(usage) == pytest.approx((2000 * 1.0 + 500 * 2.0) / 1e6)
    assert price.scaled(0.5) == prices.Price(0.5, 1.0, 0.125)
    assert no_cached_price.scaled(0.5) == prices.Price(0.5, 1.0)


def test_shipped_table_has_cached_input_prices_from_its_source() -> None:
    table = prices.load()
    assert table.require("gpt-4o-mini") == prices.Price(0.15, 0.6, 0.075)
    assert table.require("gpt-4o").cached_input == 1.25
    assert table.require("gpt-5").cached_input == 0.125
    assert table.require("gpt-4-turbo").cached_input is None  # the source gives none: priced at input
    for price in table.models.values():
        assert price.cached <= price.input
    raw = json.loads((ROOT / "summarizer/data/prices.json").read_text())
    assert "cache_read_input_token_cost" in raw["source"] and "00035b69f416be24e2e323c13198d9b7d2d1bdf9" in raw["source"]
    assert {name for name, p in raw["models"].items() if "cached_input" not in p} == {"gpt-4-turbo", "gpt-3.5-turbo"}


def test_price_file_accepts_cached_input(tmp_path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"m": {"input": 1, "output": 2, "cached_input": 0.1}, "n": {"input": 1, "output": 2}}}))
    table = prices.load(path)
    assert table.require("m") == prices.Price(1.0, 2.0, 0.1)
    assert table.require("n").cached == 1.0


@pytest.mark.parametrize("entry", [
    {"input": 1, "output": 2, "cached_input": "cheap"},
    {"input": 1, "output": 2, "cached_input": -0.1},
    {"input": 1, "output": 2, "cached_input": 1.5},  # above input: the budget's worst case would not be one
    {"input": 1, "output": 2, "cached_input": True},
    {"input": 1, "output": 2, "cached_input": [0.1]},
    {"input": float("nan"), "output": 2},
    {"input": 1, "output": float("inf")},
])  # fmt: skip
def test_malformed_cached_input_price_is_an_input_error(tmp_path, entry: dict) -> None:
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"models": {"m": entry}}))
    with pytest.raises(InputError, match="'m'"):
        prices.load(path)


# --------------------------------------------------------------------------- the books of a run


def cached_echo(request: dict) -> Answer:
    answer = echo_answer(request)
    answer.usage, answer.cached = (2000, 500), 1024
    return answer


def test_a_batch_books_cached_tokens_at_the_cached_price(server, settings, tmp_path, price_file) -> None:
    server.responder = cached_echo
    write_articles(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    report = run_batch([str(tmp_path / "in")], out, run_options(settings, prices_file=price_file, max_cost=1.0))
    assert (report.succeeded, report.attempts) == (3, 3)
    assert report.usage == Usage(prompt_tokens=6000, completion_tokens=1500, total_tokens=7500, cached_tokens=3072)
    by_hand = 3 * ((2000 - 1024) * 1.0 + 1024 * 0.25 + 500 * 2.0) / 1e6  # 3 × $0.002232
    assert report.cost == pytest.approx(by_hand)
    assert report.cost < 3 * (2000 * 1.0 + 500 * 2.0) / 1e6  # cheaper than the same tokens uncached
    for line in out.read_text().splitlines():
        assert json.loads(line)["summary"]["metadata"]["usage"]["cached_tokens"] == 1024
    table = report.table(out)
    assert "cached" in table and "3,072" in table and "51% of prompt tokens" in table


def test_the_batch_command_prints_cached_tokens_and_the_cost(server, tmp_path, price_file, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    server.responder = cached_echo
    write_articles(tmp_path / "in", 2)
    assert cli.main(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out.jsonl"), "--base-url", server.base_url,
                     "--model", "test-model", "--prices", str(price_file)]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "2,048" in err and f"${2 * 0.002232:.4f}" in err


def test_worst_case_reservation_stays_at_the_full_input_price(price_file) -> None:
    body = {"model": "test-model", "messages": [{"role": "user", "content": "x" * 1000}], "max_completion_tokens": 500}
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions", json=body)
    ledger = Ledger(price=prices.load(price_file).require("test-model"), max_cost=1.0)
    prompt, completion = worst_case_tokens(request)
    assert ledger.reserve(request) == pytest.approx((prompt * 1.0 + completion * 2.0) / 1e6)  # nothing assumed cached


def test_a_server_reporting_more_cached_than_prompt_tokens_fails_that_article(server, settings, tmp_path, price_file) -> None:
    def absurd(request: dict) -> Answer:
        answer = echo_answer(request)
        answer.cached = answer.usage[0] + 1
        return answer

    server.responder = absurd
    write_articles(tmp_path / "in", 1)
    out = tmp_path / "out.jsonl"
    report = run_batch([str(tmp_path / "in")], out, run_options(settings, prices_file=price_file))
    assert report.failed == 1 and report.cost is not None and report.cost > 0  # counted offline, never free
    [line] = [json.loads(line) for line in out.read_text().splitlines()]
    assert line["error"]["type"] == "ProviderError" and "cached tokens of only" in line["error"]["message"]


def test_batch_api_discount_scales_the_cached_price_too(server, settings, tmp_path, price_file) -> None:
    server.responder = cached_echo
    write_articles(tmp_path / "in", 2)
    report = run_batch([str(tmp_path / "in")], tmp_path / "out.jsonl",
                       run_options(settings, prices_file=price_file, openai_batch=True))  # fmt: skip
    assert report.succeeded == 2 and server.requests == []  # all answered by the Batch API job
    assert report.cost == pytest.approx(2 * 0.5 * ((2000 - 1024) * 1.0 + 1024 * 0.25 + 500 * 2.0) / 1e6)


# --------------------------------------------------------------------------- the dry run


def test_dry_run_assumes_no_cache_hits_unless_told_and_says_so(tmp_path, price_file) -> None:
    write_articles(tmp_path / "in", 3)
    options = Options(Settings(model="test-model"), prices_file=price_file)
    cold = dry_run([str(tmp_path / "in")], tmp_path / "o.jsonl", options)
    assert cold.cached_tokens == 0
    assert cold.cost == pytest.approx((cold.prompt_tokens * 1.0 + cold.completion_tokens * 2.0) / 1e6)
    table = cold.table(options)
    assert "none assumed" in table and "--cache-hit-rate" in table
    assert "re-asks and retries are not counted" in table
    assert f"{prices.MIN_COMPLETION} + {prices.COMPLETION_RATIO:.2f} × article tokens" in table

    warm = dry_run([str(tmp_path / "in")], tmp_path / "o.jsonl", options, cache_hit_rate=0.5)
    assert warm.cached_tokens == round(0.5 * warm.prompt_tokens)
    assert warm.cost == pytest.approx(prices.Price(**PRICE).cost(warm.prompt_tokens, warm.completion_tokens,
                                                                 warm.cached_tokens), rel=1e-3)  # fmt: skip
    assert "assumed: 50% of prompt tokens (--cache-hit-rate), at $0.25 per 1M" in warm.table(options)

    via_batch = dry_run([str(tmp_path / "in")], tmp_path / "o.jsonl",
                        Options(Settings(model="test-model"), prices_file=price_file, openai_batch=True), cache_hit_rate=0.5)  # fmt: skip
    assert via_batch.cost == pytest.approx(warm.cost / 2)
    with pytest.raises(InputError, match="between 0 and 1"):
        dry_run([str(tmp_path / "in")], tmp_path / "o.jsonl", options, cache_hit_rate=1.5)


def test_cache_hit_rate_option_is_for_dry_runs_only(tmp_path, capsys) -> None:
    write_articles(tmp_path / "in", 1)
    argv = ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "o.jsonl"), "--model", "gpt-4o-mini"]
    assert cli.main([*argv, "--dry-run", "--cache-hit-rate", "25%"]) == 0
    assert "assumed: 25% of prompt tokens" in capsys.readouterr().out
    assert cli.main([*argv, "--cache-hit-rate", "0.25"]) == 2
    assert "only applies to --dry-run" in capsys.readouterr().err
    assert cli.main([*argv, "--dry-run", "--cache-hit-rate", "2"]) == 2
    assert "must be between 0 and 1" in capsys.readouterr().err


def authored_first_answers() -> tuple[list[int], list[int]]:
    """(article tokens, tokens of the first authored answer) for every shipped authored conversation."""
    articles, answers = [], []
    for path in sorted((ROOT / "evals/authored").glob("*.json")):
        gold = load_gold(ROOT / "evals/gold" / f"{path.stem}.yaml")
        first = json.loads(path.read_text(encoding="utf-8"))["responses"][0]
        articles.append(tokens.count(gold.article_text, "gpt-4o-mini"))
        answers.append(tokens.count(json.dumps(first, ensure_ascii=False), "gpt-4o-mini"))
    return articles, answers


def test_completion_estimate_constants_are_the_fit_to_the_authored_briefs() -> None:
    x, y = authored_first_answers()
    assert len(x) == 16
    slope = statistics.median((y[j] - y[i]) / (x[j] - x[i]) for i in range(len(x)) for j in range(i + 1, len(x)) if x[i] != x[j])
    intercept = statistics.median(b - slope * a for a, b in zip(x, y, strict=True))
    assert abs(prices.COMPLETION_RATIO - slope) <= 0.05  # 0.99, rounded
    assert abs(prices.MIN_COMPLETION - intercept) <= 10  # 565, rounded
    assert prices.completion_estimate(1000) == prices.MIN_COMPLETION + int(prices.COMPLETION_RATIO * 1000)
    assert prices.completion_estimate(10**6) == prices.MAX_COMPLETION


def test_dry_run_completion_estimate_is_within_half_of_the_replayed_run(tmp_path) -> None:
    """The dry run of the shipped set against the replayed eval run of the same 16 articles.

    The dry run estimates first attempts; the replay's first answers are the like-for-like figure,
    and its total (re-asks included, what ``summarizer eval`` reports) must be within the bound too.
    """
    estimate = dry_run([str(ROOT / "seeds"), str(ROOT / "evals/articles")], tmp_path / "o.jsonl",
                       Options(Settings(model="gpt-4o-mini")))  # fmt: skip
    report, docs, _ = evaluate(gold_dir=ROOT / "evals/gold", aliases_path=ROOT / "evals/aliases.yaml", source="replay",
                               recordings=ROOT / "evals/recordings", settings=Settings(model="gpt-4o-mini"))  # fmt: skip
    assert estimate.calls == len(docs) == 16 and report.schema_valid_rate == 1.0
    replayed_all = report.tokens.completion_tokens
    first = [sorted((ROOT / "evals/recordings" / d.id).glob("*.json"))[0] for d in docs]
    replayed_first = sum(json.loads(p.read_text())["response"]["body"]["usage"]["completion_tokens"] for p in first)
    assert replayed_first < replayed_all
    assert 0.5 * replayed_first <= estimate.completion_tokens <= 1.5 * replayed_first
    assert 0.5 * replayed_all <= estimate.completion_tokens <= 1.5 * replayed_all
