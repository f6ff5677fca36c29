"""The dependency shortcuts (summarizer/_shortcuts.py): applied only to the versions they were tested
against, and never changing what instructor accepts or rejects."""

from __future__ import annotations

import httpx2
import openai
import pytest
from instructor.v2.core import patch as patch_module
from instructor.v2.validation import async_validators
from openai_server import Answer, completion
from pydantic import BaseModel

from summarizer import _shortcuts
from summarizer.client import build_engine
from summarizer.config import Settings

SETTINGS = Settings(model="test-model", base_url="http://127.0.0.1:9/v1", api_key="sk-test-shortcuts-01")


class Plain(BaseModel):
    name: str


class WithAsyncValidator(BaseModel):
    name: str

    @async_validators.async_field_validator("name")
    async def _check(self, value: str) -> None:  # never run: instructor refuses such models
        return None


def _engine(answers: list[httpx2.Request]) -> object:
    def answer(request: httpx2.Request) -> httpx2.Response:
        answers.append(request)
        import json

        return httpx2.Response(200, json=completion(json.loads(request.content), Answer({"name": "NATO"})))

    return build_engine(SETTINGS, network=httpx2.MockTransport(answer)).client


def test_the_locked_dependency_versions_are_the_tested_ones() -> None:
    # Fails after a dependency upgrade: re-run the shortcut tests on the new version, then add it to TESTED.
    assert _shortcuts.tested("openai") and _shortcuts.tested("instructor")


def test_async_validator_model_is_rejected_on_every_call_not_only_the_first() -> None:
    sent: list[httpx2.Request] = []
    client = _engine(sent)
    assert getattr(patch_module.reject_async_validators, "remembers", False)  # the memo is in place
    messages = [{"role": "user", "content": "Name one actor."}]
    for _ in range(3):
        with pytest.raises(Exception, match="async validators"):
            client.chat.completions.create(model="m", messages=messages, response_model=WithAsyncValidator)  # type: ignore[attr-defined]
    assert sent == []  # refused before anything was sent, each time
    assert client.chat.completions.create(model="m", messages=messages, response_model=Plain).name == "NATO"  # type: ignore[attr-defined]
    assert client.chat.completions.create(model="m", messages=messages, response_model=Plain).name == "NATO"  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="async validators"):  # a remembered pass for one class says nothing of another
        client.chat.completions.create(model="m", messages=messages, response_model=WithAsyncValidator)  # type: ignore[attr-defined]


def test_a_passed_check_is_remembered_and_a_failed_one_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _shortcuts.remember_async_validator_checks()
    remembering = async_validators.reject_async_validators
    walks: list[object] = []
    real_get_args = async_validators.get_args  # the walk calls it for every type it visits

    def counting(tp: object) -> object:
        walks.append(tp)
        return real_get_args(tp)

    monkeypatch.setattr(async_validators, "get_args", counting)

    class Fresh(BaseModel):
        name: str

    remembering(Fresh)
    first = len(walks)
    remembering(Fresh)
    assert first > 0 and len(walks) == first  # walked once, then remembered
    for _ in range(2):
        before = len(walks)
        with pytest.raises(ValueError, match="async validators"):
            remembering(WithAsyncValidator)
        assert len(walks) > before  # walked again every time: failures are never remembered


def test_untested_versions_take_the_stock_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_shortcuts, "TESTED", {"openai": ("0.0.",), "instructor": ("0.0.",)})
    _shortcuts.tested.cache_clear()
    try:
        sdk = openai.OpenAI(api_key="sk-test", base_url=SETTINGS.base_url, max_retries=0)
        assert _shortcuts.chat_create(sdk) == sdk.chat.completions.create
        assert _shortcuts.remember_async_validator_checks() is False
        sent: list[httpx2.Request] = []
        client = _engine(sent)
        out = client.chat.completions.create(  # type: ignore[attr-defined]
            model="m", messages=[{"role": "user", "content": "Name one actor."}], response_model=Plain
        )
        assert out.name == "NATO" and len(sent) == 1
    finally:
        _shortcuts.tested.cache_clear()
