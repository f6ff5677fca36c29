"""Client: an *engine* is an openai SDK client wrapped by instructor, over our transport chain, built
once per setup.

``Engine`` bundles what a call needs and is cheap to reuse: the patched instructor client (sync or
async), the mode, and the replay store when replaying. Building it once and reusing it across a batch
avoids rebuilding HTTP pools and clients per request.

Modes are a table, not an if-chain: ``tools`` (function calling), ``json_schema`` (structured
outputs), ``md_json`` (JSON in a Markdown block, for servers with neither; e.g. some llama.cpp builds).
The per-call CPU shortcuts past the SDK's and instructor's public surface live in ``_shortcuts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx2
import instructor
import openai

from summarizer import _shortcuts, recording, transport
from summarizer.config import (
    DEFAULT_MAX_OUTPUT_TOKENS,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT_S,
    Mode,
    Settings,
)
from summarizer.errors import ConfigError, redact

MODES: dict[str, instructor.Mode] = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}

OPENAI_HOST = "api.openai.com"
REPLAY_KEY = "replay-no-key"  # the SDK insists on a key; with replay nothing leaves the process


def _instructor(sdk: openai.OpenAI | openai.AsyncOpenAI, mode: Mode) -> Any:
    create = instructor.patch(create=_shortcuts.chat_create(sdk), mode=MODES[mode])
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
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS

    @cached_property
    def base_url_host(self) -> str:
        return urlparse(self.settings.base_url).hostname or self.settings.base_url

    @cached_property
    def _cap(self) -> dict[str, int]:
        name = "max_completion_tokens" if self.base_url_host == OPENAI_HOST else "max_tokens"
        return {name: self.max_output_tokens}

    def output_cap(self) -> dict[str, int]:
        """The completion cap as this endpoint names it: OpenAI's reasoning models accept only
        ``max_completion_tokens``; most OpenAI-compatible servers (Ollama, llama.cpp, older vLLM)
        know only ``max_tokens``."""
        return self._cap


def check_base_url(url: str) -> str:
    """``url`` when it is an http(s) URL with a host; a one-line ``ConfigError`` otherwise."""
    try:
        parsed = urlparse(url)
        port_ok = parsed.port is None or parsed.port > 0
    except ValueError:
        parsed, port_ok = None, False
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname or not port_ok:
        shown = url if parsed is None or not parsed.password else url.replace(parsed.password, "***")
        raise ConfigError(
            f"the base URL {redact(shown, limit=100)!r} is not an http(s) URL with a host",
            hint="pass e.g. --base-url http://localhost:11434/v1 (or set OPENAI_BASE_URL)",
        )
    return url


def _chain(
    *, is_async: bool, replay: recording.ReplayStore | None, recorder: recording.Recorder | None,
    policy: transport.RetryPolicy, limits: transport.Limits, base: Any = None,
) -> Any:  # fmt: skip
    if is_async:
        if replay:
            base = base or recording.AsyncReplayTransport(replay)
        else:
            base = transport.AsyncBoundedTransport(base or httpx2.AsyncHTTPTransport(), limits)
        if recorder:
            base = recording.AsyncRecordingTransport(base, recorder)
        return transport.AsyncRetryingTransport(transport.AsyncAccountingTransport(base), policy)
    if replay:
        base = base or recording.ReplayTransport(replay)
    else:
        base = transport.BoundedTransport(base or httpx2.HTTPTransport(), limits)
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
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    max_output_tokens: int = DEFAULT_MAX_OUTPUT_TOKENS,
    retry: transport.RetryPolicy | None = None,
    openai_client: openai.OpenAI | openai.AsyncOpenAI | None = None,
    network: httpx2.BaseTransport | httpx2.AsyncBaseTransport | None = None,
) -> Engine:
    """Build the client stack once.

    ``openai_client`` injects a ready SDK client instead (our retry policy, accounting and recording
    are then bypassed); ``network`` replaces the bottom of the chain, e.g. with an
    ``httpx2.MockTransport``, keeping everything above it. ``timeout`` bounds each HTTP request as a
    whole; ``max_response_bytes`` caps a response body; ``max_output_tokens`` is sent with every
    chat request as its completion cap.
    """
    check_base_url(settings.base_url)
    if max_output_tokens < 1:
        raise ConfigError("--max-output-tokens must be at least 1")
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
        recorder = (
            recording.Recorder(record, provenance=provenance, model=settings.model, secret=settings.api_key)
            if record else None
        )  # fmt: skip
        limits = transport.Limits(timeout=timeout, max_response_bytes=max_response_bytes)
        chain = _chain(is_async=is_async, replay=store, recorder=recorder,
                       policy=retry or transport.RetryPolicy(), limits=limits, base=network)  # fmt: skip
        common: dict[str, Any] = {"api_key": api_key, "base_url": settings.base_url, "max_retries": 0, "timeout": timeout}
        if is_async:
            openai_client = openai.AsyncOpenAI(**common, http_client=httpx2.AsyncClient(transport=chain, timeout=timeout))
        else:
            openai_client = openai.OpenAI(**common, http_client=httpx2.Client(transport=chain, timeout=timeout))
    _shortcuts.remember_async_validator_checks()
    return Engine(client=_instructor(openai_client, mode), settings=settings, mode=mode, replay=store,
                  max_output_tokens=max_output_tokens)  # fmt: skip
