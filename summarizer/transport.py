"""Transports: the HTTP layer under the openai SDK, where retries, accounting and fail-fast checks live.

A chain of ``httpx2`` transports, outermost first::

    Retrying  ->  Accounting  ->  [Recording]  ->  network (or Replay)

*Retrying* is the one retry policy (tenacity): 429 (honouring ``Retry-After`` / ``retry-after-ms``),
5xx, timeouts and connection errors, exponential backoff with jitter. The SDK's own retries are off,
so the layers never multiply, and transport errors never reach the prompt.

*Accounting* counts every HTTP attempt and sums token usage into the ``CallStats`` of the current
call (a context variable, so concurrent async calls keep separate books), and fails fast on
truncated (``finish_reason == "length"``) or refused answers, before instructor would re-ask.
Books nest: a call tracked inside another (a chunk inside its article, an article inside a batch
ledger) also books into every enclosing ``CallStats``, so failed calls are still paid for.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx2
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

from summarizer.config import DEFAULT_HTTP_ATTEMPTS
from summarizer.errors import RefusedOutput, TruncatedOutput
from summarizer.schema import Usage

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
RETRY_EXCEPTIONS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
MAX_RETRY_AFTER_S = 60.0


@dataclass
class CallStats:
    """What one summarise call cost: HTTP attempts and tokens, failed attempts included."""

    label: str = ""
    prompt_version: str = ""
    attempts: int = 0
    usage: Usage = field(default_factory=Usage)
    parent: CallStats | None = field(default=None, repr=False, compare=False)  # the enclosing books

    def ledgers(self) -> Iterator[CallStats]:
        """These books and every enclosing one, innermost first."""
        cur: CallStats | None = self
        while cur is not None:
            yield cur
            cur = cur.parent


_current: contextvars.ContextVar[CallStats | None] = contextvars.ContextVar("summarizer_call", default=None)


@contextmanager
def tracking(stats: CallStats) -> Iterator[CallStats]:
    outer = _current.get()
    if stats.parent is None and outer is not None and all(s is not stats for s in outer.ledgers()):
        stats.parent = outer
    token = _current.set(stats)
    try:
        yield stats
    finally:
        _current.reset(token)


def current() -> CallStats | None:
    return _current.get()


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = DEFAULT_HTTP_ATTEMPTS
    initial_wait: float = 0.5
    max_wait: float = 20.0


# --------------------------------------------------------------------------- helpers shared by both flavours


def rebuild(response: httpx2.Response, body: bytes, request: httpx2.Request) -> httpx2.Response:
    """A fresh response carrying an already-read (and decoded) body."""
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx2.Response(response.status_code, headers=headers, content=body, request=request)


def usage_of(payload: Any) -> Usage | None:
    """The token usage a chat completion (parsed JSON) reports, or None when it reports none."""
    usage = payload.get("usage") if isinstance(payload, dict) else None
    if not isinstance(usage, dict):
        return None
    return Usage(
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        total_tokens=int(usage.get("total_tokens") or 0),
    )


def account(body: bytes) -> None:
    """Book one attempt's usage; fail fast on truncation or refusal."""
    stats = _current.get()
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        return
    booked = usage_of(payload)
    if stats is not None and booked is not None:
        for books in stats.ledgers():
            books.usage = books.usage + booked
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return
    choice = choices[0]
    message = choice.get("message") or {}
    if choice.get("finish_reason") == "length":
        raise TruncatedOutput("the model's answer was cut off at its output limit (finish_reason=length)")
    refusal = message.get("refusal") if isinstance(message, dict) else None
    if refusal or choice.get("finish_reason") == "content_filter":
        reason = str(refusal or "content filter")
        raise RefusedOutput(f"the model refused to summarise this article: {reason[:200]}")


def _retry_after(response: httpx2.Response) -> float | None:
    for header, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = response.headers.get(header)
        if value:
            try:
                return min(max(float(value) * scale, 0.0), MAX_RETRY_AFTER_S)
            except ValueError:
                return None  # an HTTP date: fall back to backoff
    return None


def _wait(policy: RetryPolicy) -> Any:
    backoff = wait_exponential_jitter(multiplier=policy.initial_wait, max=policy.max_wait)

    def wait(state: RetryCallState) -> float:
        outcome = state.outcome
        if outcome is not None and not outcome.failed:
            hinted = _retry_after(outcome.result())
            if hinted is not None:
                return hinted
        return float(backoff(state))

    return wait


def _retrying_kwargs(policy: RetryPolicy) -> dict[str, Any]:
    return {
        "stop": stop_after_attempt(policy.attempts),
        "wait": _wait(policy),
        "retry": retry_if_exception_type(RETRY_EXCEPTIONS) | retry_if_result(lambda r: r.status_code in RETRY_STATUSES),
        "retry_error_callback": lambda state: state.outcome.result(),  # hand back the last response
        "reraise": True,
    }


# --------------------------------------------------------------------------- sync


class AccountingTransport(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        stats = _current.get()
        for books in stats.ledgers() if stats is not None else ():
            books.attempts += 1
        response = self.inner.handle_request(request)
        body = response.read()
        response.close()
        if response.status_code < 300:
            account(body)
        return rebuild(response, body, request)

    def close(self) -> None:
        self.inner.close()


class RetryingTransport(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport, policy: RetryPolicy) -> None:
        self.inner = inner
        self.policy = policy
        self._strategy = _retrying_kwargs(policy)  # stateless strategies, built once

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response: httpx2.Response = Retrying(**self._strategy)(self.inner.handle_request, request)
        return response

    def close(self) -> None:
        self.inner.close()


# --------------------------------------------------------------------------- async


class AsyncAccountingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        stats = _current.get()
        for books in stats.ledgers() if stats is not None else ():
            books.attempts += 1
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        await response.aclose()
        if response.status_code < 300:
            account(body)
        return rebuild(response, body, request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class AsyncRetryingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, inner: httpx2.AsyncBaseTransport, policy: RetryPolicy) -> None:
        self.inner = inner
        self.policy = policy
        self._strategy = _retrying_kwargs(policy)  # stateless strategies, built once

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response: httpx2.Response = await AsyncRetrying(**self._strategy)(self.inner.handle_async_request, request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
