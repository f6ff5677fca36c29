"""Client: an openai SDK client wrapped by instructor, over our transport chain, built once per setup.

``Engine`` bundles what a call needs and is cheap to reuse: the patched instructor client (sync or
async), the mode, and the replay store when replaying. Building it once and reusing it across a batch
avoids rebuilding HTTP pools and clients per request.

Modes are a table, not an if-chain: ``tools`` (function calling), ``json_schema`` (structured
outputs), ``md_json`` (JSON in a Markdown block, for servers with neither; e.g. some llama.cpp builds).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx2
import instructor
import openai

from summarizer import recording, transport
from summarizer.config import Settings
from summarizer.errors import ConfigError
from summarizer.schema import Mode

MODES: dict[str, instructor.Mode] = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}

REPLAY_KEY = "replay-no-key"  # the SDK insists on a key; with replay nothing leaves the process
DEFAULT_TIMEOUT_S = 120.0


def _remember_async_validator_checks() -> None:
    """Per-call CPU: instructor walks the response model's whole type tree on every request to reject
    async validators; for a given class the answer never changes, so a passed check is remembered.
    A class that fails the check still fails on every call. Instructor calls the check through its
    own module and through names imported from it, so each of those is replaced.
    (benchmarks/batch_throughput.py measures it.)"""
    try:
        from instructor.v2.core import patch as patch_module
        from instructor.v2.validation import async_validators as module
    except ImportError:  # a future instructor may move or drop it; then there is nothing to remember
        return
    original = module.reject_async_validators
    if getattr(original, "remembers", False):
        return
    passed: weakref.WeakSet[type] = weakref.WeakSet()

    def remembering(response_model: Any) -> None:
        model = response_model
        if isinstance(model, type) and model in passed:
            return
        original(model)
        if isinstance(model, type):
            passed.add(model)

    remembering.remembers = True  # type: ignore[attr-defined]
    for holder in (module, patch_module):
        if getattr(holder, "reject_async_validators", None) is original:
            holder.reject_async_validators = remembering  # type: ignore[attr-defined]


# The SDK's ``chat.completions.create`` walks every request through its TypedDict annotations
# (``maybe_transform``) to rename aliased keys and encode files and dates. The chat parameters we send
# have none of those: the walk returns its input unchanged (tests/test_client_direct.py proves it for
# every mode), yet it was the largest single CPU cost per call. So requests go through the SDK's public
# ``post`` with the body as built, and everything else (auth, base URL, timeouts, response parsing,
# errors) stays the SDK's. A streaming request still takes the SDK's own path.
_CHAT_PATH = "/chat/completions"
_SECURITY = {"bearer_auth": True}


def _request_options(
    extra_headers: Any, extra_query: Any, extra_body: Any, timeout: Any
) -> dict[str, Any]:  # fmt: skip
    options: dict[str, Any] = {"security": _SECURITY}
    if extra_headers is not None:
        options["headers"] = extra_headers
    if extra_query is not None:
        options["params"] = extra_query
    if extra_body is not None:
        options["extra_json"] = extra_body
    if not isinstance(timeout, openai.NotGiven):
        options["timeout"] = timeout
    return options


def direct_chat_create(sdk: openai.OpenAI | openai.AsyncOpenAI) -> Any:
    """``sdk.chat.completions.create`` minus the per-call TypedDict walk (see above)."""
    from openai.types.chat import ChatCompletion

    if isinstance(sdk, openai.AsyncOpenAI):
        async_sdk = sdk

        async def acreate(
            *, extra_headers: Any = None, extra_query: Any = None, extra_body: Any = None,
            timeout: Any = openai.NOT_GIVEN, **body: Any,
        ) -> Any:  # fmt: skip
            if body.get("stream"):
                return await async_sdk.chat.completions.create(
                    **body, extra_headers=extra_headers, extra_query=extra_query, extra_body=extra_body, timeout=timeout
                )
            options = _request_options(extra_headers, extra_query, extra_body, timeout)
            return await async_sdk.post(_CHAT_PATH, body=body, cast_to=ChatCompletion, options=options)  # type: ignore[call-overload]

        return acreate
    sync_sdk = sdk

    def create(
        *, extra_headers: Any = None, extra_query: Any = None, extra_body: Any = None,
        timeout: Any = openai.NOT_GIVEN, **body: Any,
    ) -> Any:  # fmt: skip
        if body.get("stream"):
            return sync_sdk.chat.completions.create(
                **body, extra_headers=extra_headers, extra_query=extra_query, extra_body=extra_body, timeout=timeout
            )
        options = _request_options(extra_headers, extra_query, extra_body, timeout)
        return sync_sdk.post(_CHAT_PATH, body=body, cast_to=ChatCompletion, options=options)  # type: ignore[call-overload]

    return create


def _instructor(sdk: openai.OpenAI | openai.AsyncOpenAI, mode: Mode) -> Any:
    create = instructor.patch(create=direct_chat_create(sdk), mode=MODES[mode])
    if isinstance(sdk, openai.AsyncOpenAI):
        return instructor.AsyncInstructor(client=sdk, create=create, mode=MODES[mode])
    return instructor.Instructor(client=sdk, create=create, mode=MODES[mode])


@dataclass
class Engine:
    """A ready instructor client plus what the orchestrator needs to know about it."""

    client: Any  # instructor.Instructor | instructor.AsyncInstructor
    settings: Settings
    mode: Mode
    replay: recording.ReplayStore | None = None

    @property
    def base_url_host(self) -> str:
        return urlparse(self.settings.base_url).hostname or self.settings.base_url


def _chain(
    *, is_async: bool, replay: recording.ReplayStore | None, recorder: recording.Recorder | None,
    policy: transport.RetryPolicy, base: Any = None,
) -> Any:  # fmt: skip
    if is_async:
        base = base or (recording.AsyncReplayTransport(replay) if replay else httpx2.AsyncHTTPTransport())
        if recorder:
            base = recording.AsyncRecordingTransport(base, recorder)
        return transport.AsyncRetryingTransport(transport.AsyncAccountingTransport(base), policy)
    base = base or (recording.ReplayTransport(replay) if replay else httpx2.HTTPTransport())
    if recorder:
        base = recording.RecordingTransport(base, recorder)
    return transport.RetryingTransport(transport.AccountingTransport(base), policy)


def build_engine(
    settings: Settings,
    *,
    mode: Mode = "tools",
    is_async: bool = False,
    replay: Path | None = None,
    record: Path | None = None,
    provenance: recording.Provenance = "recorded",
    timeout: float = DEFAULT_TIMEOUT_S,
    retry: transport.RetryPolicy | None = None,
    openai_client: openai.OpenAI | openai.AsyncOpenAI | None = None,
    network: httpx2.BaseTransport | httpx2.AsyncBaseTransport | None = None,
) -> Engine:
    """Build the client stack once.

    ``openai_client`` injects a ready SDK client instead (our retry policy, accounting and recording
    are then bypassed); ``network`` replaces the bottom of the chain, e.g. with an
    ``httpx2.MockTransport``, keeping everything above it.
    """
    if mode not in MODES:
        raise ConfigError(f"unknown mode {mode!r}", hint=f"use one of: {', '.join(MODES)}")
    if replay is not None and record is not None:
        raise ConfigError("--replay and --record exclude each other", hint="pick one")
    store = recording.ReplayStore(replay) if replay is not None else None
    if openai_client is None:
        api_key = settings.api_key
        if api_key is None:
            if store is None:
                raise ConfigError("no API key: OPENAI_API_KEY is not set")
            api_key = REPLAY_KEY
        recorder = recording.Recorder(record, provenance=provenance, model=settings.model) if record else None
        chain = _chain(
            is_async=is_async, replay=store, recorder=recorder, policy=retry or transport.RetryPolicy(), base=network
        )
        common: dict[str, Any] = {"api_key": api_key, "base_url": settings.base_url, "max_retries": 0, "timeout": timeout}
        if is_async:
            openai_client = openai.AsyncOpenAI(**common, http_client=httpx2.AsyncClient(transport=chain, timeout=timeout))
        else:
            openai_client = openai.OpenAI(**common, http_client=httpx2.Client(transport=chain, timeout=timeout))
    _remember_async_validator_checks()
    return Engine(client=_instructor(openai_client, mode), settings=settings, mode=mode, replay=store)
