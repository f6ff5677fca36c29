"""Chat requests go through the SDK's ``post`` without its per-call TypedDict walk (client.py).

That is only sound while the walk would not change what is sent; these tests send the same calls
(first attempt and re-ask, every mode, sync and async) through the stock ``instructor.from_openai``
client and through ours, and require the same method, path, auth and JSON body, and the same result.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import instructor
import openai
import pytest
from answers import seed_answer, with_quote
from openai.types.chat import completion_create_params
from openai_server import Answer, completion

from summarizer import _shortcuts
from summarizer._shortcuts import direct_chat_create
from summarizer.client import MODES, Engine, build_engine
from summarizer.config import Settings
from summarizer.orchestrator import arun, run

SETTINGS = Settings(model="test-model", base_url="http://127.0.0.1:9/v1", api_key="sk-test-direct-0001")
PARAPHRASE = "NATO will not shoot down Russian missiles over Ukraine."  # not in the seed: forces a re-ask


class Capture:
    """Answers like the test server (a paraphrased quote first, then the seed answer) and keeps requests."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str | None, dict[str, Any]]] = []

    def _answer(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append((request.method, request.url.path, request.headers.get("authorization"), body))
        data = with_quote("positions", 0, PARAPHRASE) if len(self.requests) == 1 else seed_answer()
        return httpx2.Response(200, json=completion(body, Answer(data)))

    def sync(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self._answer)

    def async_(self) -> httpx2.MockTransport:
        async def answer(request: httpx2.Request) -> httpx2.Response:
            return self._answer(request)

        return httpx2.MockTransport(answer)


def _stock_engine(mode: str, is_async: bool, network: httpx2.MockTransport) -> Engine:
    common: dict[str, Any] = {"api_key": SETTINGS.api_key, "base_url": SETTINGS.base_url, "max_retries": 0}
    sdk: openai.OpenAI | openai.AsyncOpenAI
    if is_async:
        sdk = openai.AsyncOpenAI(**common, http_client=httpx2.AsyncClient(transport=network))
    else:
        sdk = openai.OpenAI(**common, http_client=httpx2.Client(transport=network))
    return Engine(client=instructor.from_openai(sdk, mode=MODES[mode]), settings=SETTINGS, mode=mode)  # type: ignore[arg-type]


def _summarise(engine: Engine, text: str, is_async: bool) -> str:
    summary = asyncio.run(arun(engine, text, max_reasks=1)) if is_async else run(engine, text, max_reasks=1)
    # the stock client lacks our accounting transport, so attempts and usage are not compared
    return summary.model_dump_json(exclude={"metadata": {"latency_ms", "created_at", "attempts", "usage"}})


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("mode", sorted(MODES))
def test_direct_requests_match_the_sdk_path(mode: str, is_async: bool, seed_text: str) -> None:
    assert _shortcuts.tested("openai"), "the bypass is off for this openai: this test would compare stock with stock"
    stock, direct = Capture(), Capture()
    stock_engine = _stock_engine(mode, is_async, stock.async_() if is_async else stock.sync())
    ours = build_engine(
        SETTINGS,
        mode=mode,
        is_async=is_async,
        network=direct.async_() if is_async else direct.sync(),  # type: ignore[arg-type]
    )

    expected = _summarise(stock_engine, seed_text, is_async)
    got = _summarise(ours, seed_text, is_async)

    assert len(stock.requests) == 2, "the paraphrased quote should have been re-asked once"
    assert direct.requests == stock.requests
    assert got == expected
    for _, _, auth, body in direct.requests:
        assert auth == f"Bearer {SETTINGS.api_key}"
        # and the SDK's walk, were it run, would send exactly this body
        assert openai._utils.maybe_transform(body, completion_create_params.CompletionCreateParamsNonStreaming) == body


def test_streaming_requests_take_the_sdk_path() -> None:
    sdk = openai.OpenAI(api_key="sk-test", base_url=SETTINGS.base_url, max_retries=0)
    seen: list[dict[str, Any]] = []

    def sdk_create(**kwargs: Any) -> str:
        seen.append(kwargs)
        return "streamed by the SDK"

    sdk.chat.completions.create = sdk_create  # type: ignore[method-assign]
    create = direct_chat_create(sdk)
    assert create(model="m", messages=[], stream=True) == "streamed by the SDK"
    assert seen and seen[0]["stream"] is True
