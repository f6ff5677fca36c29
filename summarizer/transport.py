"""Transports: the HTTP layer under the openai SDK, where retries, bounds and accounting live.

A chain of ``httpx2`` transports, outermost first::

    Retrying  ->  Accounting  ->  [Recording]  ->  Bounded  ->  network (or Replay)

*Retrying* is the one retry policy (tenacity): 429 (honouring ``Retry-After`` / ``retry-after-ms``),
5xx, timeouts and connection errors, exponential backoff with jitter. The SDK's own retries are off,
so the layers never multiply, and transport errors never reach the prompt.

*Accounting* counts every HTTP attempt into the books of the current call (``accounting.CallStats``),
asks any meter on them (a batch budget) to reserve the attempt's worst case before sending it, and
books what the attempt cost after: the validated usage of a chat answer (``accounting.examine``), or
an offline estimate, marked as such, when there is none or no answer came at all.

*Bounded* makes every request finite whatever the server does: ``Limits.timeout`` bounds the whole
request (connect, headers and body together, not each read), and no response body is read past
``Limits.max_response_bytes``.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from dataclasses import dataclass
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

from summarizer.accounting import CallStats, Meter, book, current, estimate_usage, examine, is_chat
from summarizer.config import DEFAULT_HTTP_ATTEMPTS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT_S
from summarizer.errors import ProviderError
from summarizer.schema import Usage

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
RETRY_EXCEPTIONS = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
MAX_RETRY_AFTER_S = 60.0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = DEFAULT_HTTP_ATTEMPTS
    initial_wait: float = 0.5
    max_wait: float = 20.0


@dataclass(frozen=True)
class Limits:
    """What one HTTP request may take: seconds for the whole of it, and bytes of response body."""

    timeout: float = DEFAULT_TIMEOUT_S
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES


class RequestDeadline(httpx2.TimeoutException):
    """The server did not finish answering within the whole-request timeout."""


# --------------------------------------------------------------------------- helpers shared by both flavours


def rebuild(response: httpx2.Response, body: bytes, request: httpx2.Request) -> httpx2.Response:
    """A fresh response carrying an already-read (and decoded) body."""
    headers = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx2.Response(response.status_code, headers=headers, content=body, request=request)


def _too_large(request: httpx2.Request, limits: Limits) -> ProviderError:
    return ProviderError(
        f"{request.url.host} sent a response larger than {limits.max_response_bytes:,} bytes; stopped reading",
        hint="",
    )


def _declared_too_large(response: httpx2.Response, limits: Limits) -> bool:
    declared = response.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limits.max_response_bytes


def _deadline(request: httpx2.Request, limits: Limits) -> RequestDeadline:
    return RequestDeadline(f"{request.url.host} did not finish answering within {limits.timeout:g}s", request=request)


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
        # when attempts run out: hand back the last response, or raise the last error as itself
        "retry_error_callback": lambda state: state.outcome.result(),
    }


def _reserve(stats: CallStats | None, request: httpx2.Request) -> list[tuple[Meter, float]]:
    """Reserve the attempt's worst case on every meter of the enclosing books (a refusal raises)."""
    held: list[tuple[Meter, float]] = []
    meters = [b.meter for b in stats.ledgers() if b.meter is not None] if stats is not None else []
    try:
        for meter in meters:
            held.append((meter, meter.reserve(request)))
    except BaseException:
        for meter, amount in held:
            meter.book(amount, Usage())
        raise
    for books in stats.ledgers() if stats is not None else ():
        books.attempts += 1
    return held


def _settle(held: list[tuple[Meter, float]], usage: Usage) -> None:
    for meter, amount in held:
        meter.book(amount, usage)


class _Attempt:
    """One HTTP attempt's books: reserved on the meters before it is sent, booked when it ends.

    An attempt that got no answer may still have been billed for its prompt: it is booked at an
    offline estimate (marked ``estimated``). An answer is checked (``accounting.examine``) and its
    usage booked even when the check fails it.
    """

    def __init__(self, request: httpx2.Request) -> None:
        self.request = request
        self.stats = current()
        self.held = _reserve(self.stats, request)
        self.usage, self.estimated, self.answer = Usage(), False, False

    def __enter__(self) -> _Attempt:
        return self

    def answered(self, response: httpx2.Response, body: bytes) -> httpx2.Response:
        """``response`` once checked; its body was read whole below (``Bounded``, or replay), so it is
        handed up as it is."""
        self.answer = True
        if response.status_code < 300 and is_chat(self.request):
            self.usage, self.estimated, problem = examine(self.request, response, body)
            if problem is not None:
                raise problem
        return response

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None and not self.answer:
            self.usage, self.estimated = estimate_usage(self.request), True
        book(self.stats, self.usage, self.estimated)
        _settle(self.held, self.usage)


# --------------------------------------------------------------------------- sync


class BoundedTransport(httpx2.BaseTransport):
    """Reads the whole response within ``limits`` (the request runs in a helper thread so the deadline
    holds even while the server dribbles headers; a request past its deadline is abandoned)."""

    def __init__(self, inner: httpx2.BaseTransport, limits: Limits) -> None:
        self.inner = inner
        self.limits = limits

    def _fetch(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        try:
            if _declared_too_large(response, self.limits):
                raise _too_large(request, self.limits)
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.limits.max_response_bytes:
                    raise _too_large(request, self.limits)
                chunks.append(chunk)
        finally:
            response.close()
        return rebuild(response, b"".join(chunks), request)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        outcome: list[Any] = []
        context = contextvars.copy_context()

        def fetch() -> None:
            try:
                outcome.append(context.run(self._fetch, request))
            except BaseException as err:
                outcome.append(err)

        worker = threading.Thread(target=fetch, name="summarizer-request", daemon=True)
        worker.start()
        worker.join(self.limits.timeout)
        if not outcome:
            raise _deadline(request, self.limits)
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        result: httpx2.Response = outcome[0]
        return result

    def close(self) -> None:
        self.inner.close()


class AccountingTransport(httpx2.BaseTransport):
    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        with _Attempt(request) as attempt:
            response = self.inner.handle_request(request)
            return attempt.answered(response, response.read())

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


class AsyncBoundedTransport(httpx2.AsyncBaseTransport):
    """Reads the whole response within ``limits``: one deadline over connect, headers and body."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, limits: Limits) -> None:
        self.inner = inner
        self.limits = limits

    async def _fetch(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        try:
            if _declared_too_large(response, self.limits):
                raise _too_large(request, self.limits)
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.limits.max_response_bytes:
                    raise _too_large(request, self.limits)
                chunks.append(chunk)
        finally:
            await response.aclose()
        return rebuild(response, b"".join(chunks), request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            async with asyncio.timeout(self.limits.timeout):
                return await self._fetch(request)
        except TimeoutError:
            raise _deadline(request, self.limits) from None

    async def aclose(self) -> None:
        await self.inner.aclose()


class AsyncAccountingTransport(httpx2.AsyncBaseTransport):
    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        with _Attempt(request) as attempt:
            response = await self.inner.handle_async_request(request)
            return attempt.answered(response, await response.aread())

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
